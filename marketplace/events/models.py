"""Events, the listings they present, sign-ups, appointments (with their seats) and outcomes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.auctions.models import Lot
from marketplace.database import Money, TimestampMixin, UTCDateTime, in_codes, utcnow
from marketplace.deals.models import Deal
from marketplace.events.vocab import (
    APPOINTMENT_STATUSES,
    EVENT_STATUSES,
    EVENT_TYPES,
    OUTCOME_KINDS,
    SIGNUP_STATUSES,
)
from marketplace.extensions import Model
from marketplace.listings.models import Listing


class Event(TimestampMixin, Model):
    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint(in_codes("type", EVENT_TYPES.codes), name="type"),
        sa.CheckConstraint(in_codes("status", EVENT_STATUSES.codes), name="status"),
        sa.CheckConstraint("ends_at > starts_at", name="period"),
        sa.CheckConstraint("capacity > 0", name="capacity"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    online: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int] = mapped_column(sa.Integer)
    slot_minutes: Mapped[int] = mapped_column(sa.Integer, default=20)
    organiser_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="open")

    organiser: Mapped[Organisation] = relationship(lazy="joined")
    listings: Mapped[list[Listing]] = relationship(
        secondary="event_listings", order_by="Listing.id"
    )
    lots: Mapped[list[Lot]] = relationship(secondary="event_lots", order_by="Lot.id")


event_listings = sa.Table(
    "event_listings",
    Model.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("listing_id", sa.ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
)

event_lots = sa.Table(
    "event_lots",
    Model.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("lot_id", sa.ForeignKey("lots.id", ondelete="CASCADE"), primary_key=True),
)


class Signup(Model):
    """An organisation's registration for an event, reviewed by the organiser."""

    __tablename__ = "event_signups"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "org_id"),
        sa.CheckConstraint(in_codes("status", SIGNUP_STATUSES.codes), name="status"),
        sa.CheckConstraint(
            "status != 'refused' OR refuse_reason IS NOT NULL", name="refused_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    contact: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    refuse_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Shown to the participant once approved; entered at the door (签到).
    checkin_code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()
    org: Mapped[Organisation] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship()


class Appointment(Model):
    """A 1-on-1 meeting in one slot of the event, asked by one participant of another."""

    __tablename__ = "event_appointments"
    __table_args__ = (
        sa.CheckConstraint(in_codes("status", APPOINTMENT_STATUSES.codes), name="status"),
        sa.CheckConstraint("requester_id != invitee_id", name="two_parties"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime())
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("event_signups.id"), index=True)
    invitee_id: Mapped[int] = mapped_column(sa.ForeignKey("event_signups.id"), index=True)
    topic: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="requested")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    requester: Mapped[Signup] = relationship(foreign_keys=[requester_id], lazy="joined")
    invitee: Mapped[Signup] = relationship(foreign_keys=[invitee_id], lazy="joined")


class AppointmentSeat(Model):
    """One participant's place in a slot, written when an appointment is accepted.

    The unique key is what makes double booking impossible, whichever side asked.
    """

    __tablename__ = "event_appointment_seats"
    __table_args__ = (sa.UniqueConstraint("event_id", "signup_id", "slot_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_appointments.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    signup_id: Mapped[int] = mapped_column(sa.ForeignKey("event_signups.id"))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime())


class Outcome(TimestampMixin, Model):
    """What came of a pair of parties at the event; followed to a deal and its contracts."""

    __tablename__ = "event_outcomes"
    __table_args__ = (
        sa.CheckConstraint(in_codes("kind", OUTCOME_KINDS.codes), name="kind"),
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="amount"),
        sa.CheckConstraint("seller_org_id != buyer_org_id", name="two_parties"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    seller_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    buyer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    achievement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="SET NULL")
    )
    demand_id: Mapped[int | None] = mapped_column(sa.ForeignKey("listings.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    signed_before_event: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    deal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deals.id", ondelete="SET NULL"), index=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    seller_org: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    buyer_org: Mapped[Organisation] = relationship(foreign_keys=[buyer_org_id])
    deal: Mapped[Deal | None] = relationship()


class EventLog(Model):
    """Immutable history of an event: created, sign-ups reviewed, check-ins, outcomes…"""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()
