"""Voucher schemes, approved providers, declared ties, vouchers, their documents and audit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.database import Money, TimestampMixin, UTCDateTime, in_codes, utcnow
from marketplace.extensions import Model
from marketplace.vouchers.vocab import (
    DOCUMENT_KINDS,
    PAYEE_MODES,
    PROVIDER_STATUSES,
    SCHEME_STATUSES,
    SERVICE_TYPES,
    VOUCHER_STATUSES,
)


class VoucherScheme(TimestampMixin, Model):
    """A year's voucher plan. ``committed`` (approved, not yet redeemed) and ``redeemed`` are
    running totals kept under a row lock; the database refuses them above the budget."""

    __tablename__ = "voucher_schemes"
    __table_args__ = (
        sa.CheckConstraint(in_codes("status", SCHEME_STATUSES.codes), name="status"),
        sa.CheckConstraint(in_codes("payee_mode", PAYEE_MODES.codes), name="payee_mode"),
        sa.CheckConstraint("budget > 0", name="budget"),
        sa.CheckConstraint("ratio_percent BETWEEN 1 AND 100", name="ratio"),
        sa.CheckConstraint(
            "cap_per_application > 0 AND cap_per_enterprise_year >= cap_per_application",
            name="caps",
        ),
        sa.CheckConstraint(
            "full_offset_below IS NULL OR full_offset_below >= 0", name="full_offset_below"
        ),
        sa.CheckConstraint(
            "committed >= 0 AND redeemed >= 0 AND committed + redeemed <= budget",
            name="within_budget",
        ),
        sa.CheckConstraint("use_by >= opens_on AND redeem_by >= use_by", name="dates"),
        sa.CheckConstraint("publication_days BETWEEN 0 AND 60", name="publication_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    budget: Mapped[Decimal] = mapped_column(Money())
    eligible_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # GB/T 2260 codes; a province includes its cities. Empty = any region.
    eligible_regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Organisations excluded, e.g. already funded by the same plan.
    excluded_org_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    services: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    ratio_percent: Mapped[int] = mapped_column()
    cap_per_application: Mapped[Decimal] = mapped_column(Money())
    cap_per_enterprise_year: Mapped[Decimal] = mapped_column(Money())
    # Services costing less than this are paid in full (全额抵扣); None = never.
    full_offset_below: Mapped[Decimal | None] = mapped_column(Money())
    payee_mode: Mapped[str] = mapped_column(sa.String(20), default="provider")
    opens_on: Mapped[date] = mapped_column(sa.Date)
    use_by: Mapped[date] = mapped_column(sa.Date)
    redeem_by: Mapped[date] = mapped_column(sa.Date)
    publication_days: Mapped[int] = mapped_column(default=5)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    committed: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    redeemed: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    @property
    def available(self) -> Decimal:
        return self.budget - self.committed - self.redeemed


class VoucherProvider(TimestampMixin, Model):
    """An organisation an admin approved to accept vouchers, for some service types."""

    __tablename__ = "voucher_providers"
    __table_args__ = (
        sa.CheckConstraint(in_codes("status", PROVIDER_STATUSES.codes), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), unique=True)
    services: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(20), default="approved")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org: Mapped[Organisation] = relationship()


class VoucherTie(Model):
    """A declared tie between two organisations (shareholding, common management…): no
    voucher may pass between them. Stored once per pair, lower id first."""

    __tablename__ = "voucher_ties"
    __table_args__ = (
        sa.CheckConstraint("org_a_id < org_b_id", name="ordered_pair"),
        sa.UniqueConstraint("org_a_id", "org_b_id", name="uq_voucher_ties_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_a_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    org_b_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    declared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Voucher(TimestampMixin, Model):
    __tablename__ = "vouchers"
    __table_args__ = (
        sa.CheckConstraint(in_codes("status", VOUCHER_STATUSES.codes), name="status"),
        sa.CheckConstraint(in_codes("service_type", SERVICE_TYPES.codes), name="service_type"),
        sa.CheckConstraint("requested_amount > 0", name="requested_amount"),
        sa.CheckConstraint(
            "approved_amount IS NULL OR (approved_amount > 0 AND "
            "approved_amount <= requested_amount)",
            name="approved_amount",
        ),
        sa.CheckConstraint(
            "order_amount IS NULL OR (order_amount > 0 AND order_amount <= approved_amount)",
            name="order_amount",
        ),
        sa.CheckConstraint(
            "redeemed_amount IS NULL OR (redeemed_amount >= 0 AND "
            "redeemed_amount <= approved_amount AND "
            "(actual_cost IS NULL OR redeemed_amount <= actual_cost))",
            name="redeemed_amount",
        ),
        sa.CheckConstraint(
            "provider_org_id IS NULL OR provider_org_id != org_id", name="distinct_parties"
        ),
        sa.CheckConstraint("contract_id IS NULL OR booking_id IS NULL", name="one_delivery"),
        sa.Index("ix_vouchers_scheme_org", "scheme_id", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_schemes.id"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    service_type: Mapped[str] = mapped_column(sa.String(20))
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    requested_amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(sa.String(20), default="applied", index=True)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money())
    refusal_code: Mapped[str | None] = mapped_column(sa.String(30))
    refusal_reason: Mapped[str] = mapped_column(sa.Text, default="")
    provider_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    order_amount: Mapped[Decimal | None] = mapped_column(Money())
    order_note: Mapped[str] = mapped_column(sa.Text, default="")
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"))
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("instrument_bookings.id"))
    actual_cost: Mapped[Decimal | None] = mapped_column(Money())
    redeemed_amount: Mapped[Decimal | None] = mapped_column(Money())
    payee_mode: Mapped[str] = mapped_column(sa.String(20), default="provider")
    publication_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeem_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    scheme: Mapped[VoucherScheme] = relationship()
    org: Mapped[Organisation] = relationship(foreign_keys=[org_id])
    provider_org: Mapped[Organisation | None] = relationship(foreign_keys=[provider_org_id])
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    documents: Mapped[list[VoucherDocument]] = relationship(
        back_populates="voucher", order_by="VoucherDocument.id"
    )


class VoucherDocument(Model):
    """A redemption document (contract, invoice, proof of payment, result), checked by content."""

    __tablename__ = "voucher_documents"
    __table_args__ = (sa.CheckConstraint(in_codes("kind", DOCUMENT_KINDS.codes), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(sa.ForeignKey("vouchers.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    original_name: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(60))
    size_bytes: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    voucher: Mapped[Voucher] = relationship(back_populates="documents")


class VoucherEvent(Model):
    """Audit of schemes, providers and vouchers: who did what, when, from which status to which,
    with the reason code and note. ``actor_id`` is empty for scheduled jobs."""

    __tablename__ = "voucher_events"
    __table_args__ = (
        sa.CheckConstraint("subject IN ('scheme', 'provider', 'voucher', 'tie')", name="subject"),
        sa.Index("ix_voucher_events_subject", "subject", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(10))
    subject_id: Mapped[int] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str | None] = mapped_column(sa.String(20))
    reason_code: Mapped[str | None] = mapped_column(sa.String(30))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    amount: Mapped[Decimal | None] = mapped_column(Money())
    details: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()
