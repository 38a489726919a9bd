"""Instruments, their bookings (time slots, decisions, usage and fees) and the booking audit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.database import Money, TimestampMixin, UTCDateTime, in_codes, utcnow
from marketplace.extensions import Model
from marketplace.instruments.vocab import (
    BOOKING_STATUSES,
    FEE_UNITS,
    INSTRUMENT_CATEGORIES,
    INSTRUMENT_STATUSES,
)

# Approved and completed bookings hold their slot; the overlap rule applies to them only.
HOLDING_STATUSES = ("approved", "completed")


class Instrument(TimestampMixin, Model):
    __tablename__ = "instruments"
    __table_args__ = (
        sa.CheckConstraint(in_codes("category", INSTRUMENT_CATEGORIES.codes), name="category"),
        sa.CheckConstraint(in_codes("fee_unit", FEE_UNITS.codes), name="fee_unit"),
        sa.CheckConstraint(in_codes("status", INSTRUMENT_STATUSES.codes), name="status"),
        sa.CheckConstraint("fee >= 0", name="fee"),
        sa.UniqueConstraint("org_id", "ref", name="uq_instruments_org_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    # The owner's own inventory number, kept for re-imports (same ref → update).
    ref: Mapped[str | None] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(200))
    model_no: Mapped[str] = mapped_column(sa.String(120), default="")
    category: Mapped[str] = mapped_column(sa.String(20), index=True)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    specification: Mapped[str] = mapped_column(sa.Text, default="")
    fee: Mapped[Decimal] = mapped_column(Money())
    fee_unit: Mapped[str] = mapped_column(sa.String(10), default="hour")
    open_hours: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="active", index=True)
    photo_name: Mapped[str | None] = mapped_column(sa.String(80))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    org: Mapped[Organisation] = relationship()


class Booking(TimestampMixin, Model):
    """A request for a time slot; no two approved or completed bookings of an instrument
    overlap (an exclusion constraint on PostgreSQL, triggers on SQLite: see the migration)."""

    __tablename__ = "instrument_bookings"
    __table_args__ = (
        sa.CheckConstraint(in_codes("status", BOOKING_STATUSES.codes), name="status"),
        sa.CheckConstraint("ends_at > starts_at", name="slot"),
        sa.CheckConstraint("samples >= 0", name="samples"),
        sa.CheckConstraint("used_minutes IS NULL OR used_minutes >= 0", name="used_minutes"),
        sa.CheckConstraint("fee IS NULL OR fee >= 0", name="fee"),
        sa.CheckConstraint(
            "voucher_amount IS NULL OR (voucher_amount >= 0 AND "
            "(fee IS NULL OR voucher_amount <= fee))",
            name="voucher_amount",
        ),
        sa.CheckConstraint(
            "status != 'completed' OR (fee IS NOT NULL AND used_minutes IS NOT NULL)",
            name="completed_has_usage",
        ),
        sa.Index("ix_instrument_bookings_slot", "instrument_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), index=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    requester_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    samples: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(20), default="requested", index=True)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Usage, recorded by the owner when the work is done.
    used_minutes: Mapped[int | None] = mapped_column()
    used_samples: Mapped[int | None] = mapped_column()
    fee: Mapped[Decimal | None] = mapped_column(Money())
    usage_note: Mapped[str] = mapped_column(sa.Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The part of the fee an innovation voucher pays (set with the voucher at booking time,
    # the amount fixed when the usage is recorded).
    voucher_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("vouchers.id", use_alter=True), index=True
    )
    voucher_amount: Mapped[Decimal | None] = mapped_column(Money())

    instrument: Mapped[Instrument] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    requester_org: Mapped[Organisation] = relationship(foreign_keys=[requester_org_id])

    @property
    def hours(self) -> Decimal:
        minutes = int((self.ends_at - self.starts_at).total_seconds() // 60)
        return (Decimal(minutes) / 60).quantize(Decimal("0.01"))

    @property
    def used_hours(self) -> Decimal | None:
        if self.used_minutes is None:
            return None
        return (Decimal(self.used_minutes) / 60).quantize(Decimal("0.01"))


class BookingEvent(Model):
    """Audit of a booking: who moved it from which status to which, when and why."""

    __tablename__ = "instrument_booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument_bookings.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()
