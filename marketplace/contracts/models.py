"""Contracts, their line items, their audit history and the registration-number counters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.contracts.vocab import REJECT_REASONS
from marketplace.database import Money, TimestampMixin, UTCDateTime, in_codes, utcnow
from marketplace.extensions import Model
from marketplace.vocab import CONTRACT_STATUSES, CONTRACT_TYPES, FIELDS, ORG_KINDS


class Contract(TimestampMixin, Model):
    __tablename__ = "contracts"
    __table_args__ = (
        sa.CheckConstraint(in_codes("type", CONTRACT_TYPES.codes), name="type"),
        sa.CheckConstraint(in_codes("status", CONTRACT_STATUSES.codes), name="status"),
        sa.CheckConstraint(f"field IS NULL OR {in_codes('field', FIELDS.codes)}", name="field"),
        sa.CheckConstraint("contract_amount >= 0", name="contract_amount"),
        sa.CheckConstraint(
            "tech_amount >= 0 AND tech_amount <= contract_amount", name="tech_amount"
        ),
        sa.CheckConstraint("seller_org_id != buyer_org_id", name="distinct_parties"),
        sa.CheckConstraint("term_end IS NULL OR term_end >= signed_on", name="term"),
        sa.CheckConstraint(
            f"seller_kind IS NULL OR {in_codes('seller_kind', ORG_KINDS.codes)}", name="seller_kind"
        ),
        sa.CheckConstraint(
            f"buyer_kind IS NULL OR {in_codes('buyer_kind', ORG_KINDS.codes)}", name="buyer_kind"
        ),
        sa.CheckConstraint(
            "status NOT IN ('registered', 'void') OR registration_no IS NOT NULL",
            name="registered_has_number",
        ),
        sa.CheckConstraint(
            f"reject_code IS NULL OR {in_codes('reject_code', REJECT_REASONS.codes)}",
            name="reject_code",
        ),
        sa.CheckConstraint(
            "verified_tech_amount IS NULL OR (verified_tech_amount >= 0 AND "
            "verified_tech_amount <= contract_amount)",
            name="verified_tech_amount",
        ),
        sa.Index("ix_contracts_status_signed", "status", "signed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(20))
    subtype: Mapped[str | None] = mapped_column(sa.String(30))
    seller_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    broker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    field: Mapped[str | None] = mapped_column(sa.String(40))
    plan_category: Mapped[str | None] = mapped_column(sa.String(60))
    signed_on: Mapped[date] = mapped_column(sa.Date)
    term_end: Mapped[date | None] = mapped_column(sa.Date)
    contract_amount: Mapped[Decimal] = mapped_column(Money())
    tech_amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    registration_no: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(sa.Text)
    reject_code: Mapped[str | None] = mapped_column(sa.String(30))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 核定: the technology amount the registrar confirmed or adjusted (statistics count this
    # one; ``tech_amount`` stays as the broker entered it), with the registrar's reason.
    verified_tech_amount: Mapped[Decimal | None] = mapped_column(Money())
    verification_note: Mapped[str | None] = mapped_column(sa.Text)
    # Printed on the 登记证明; with the 登记号 it lets anyone check the certificate.
    verification_code: Mapped[str | None] = mapped_column(sa.String(16))
    # VAT exemption of technical income (技术转让、技术开发免征增值税), decided at registration.
    tax_exempt: Mapped[bool | None] = mapped_column()
    void_reason: Mapped[str | None] = mapped_column(sa.Text)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Copied from the parties when the contract is registered, so later edits of an
    # organisation never move historical statistics.
    seller_region: Mapped[str | None] = mapped_column(sa.String(6))
    seller_kind: Mapped[str | None] = mapped_column(sa.String(20))
    buyer_region: Mapped[str | None] = mapped_column(sa.String(6))
    buyer_kind: Mapped[str | None] = mapped_column(sa.String(20))

    seller_org: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    buyer_org: Mapped[Organisation] = relationship(foreign_keys=[buyer_org_id])
    broker: Mapped[User | None] = relationship(foreign_keys=[broker_id])
    line_items: Mapped[list[ContractLineItem]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractLineItem.id"
    )
    signed_copy: Mapped[ContractSignedCopy | None] = relationship(
        cascade="all, delete-orphan", lazy="select"
    )


class ContractSignedCopy(Model):
    """The signed contract text (PDF) the registrar reads beside the entered fields.

    Kept in the database, not on a web host's disk: any host can serve it (SPEC §4), and a
    registered contract keeps it for good (the row is frozen with the contract).
    """

    __tablename__ = "contract_signed_copies"
    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contracts.id", ondelete="CASCADE"), unique=True
    )
    original_name: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column()
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()


class ContractLineItem(Model):
    __tablename__ = "contract_line_items"
    __table_args__ = (sa.CheckConstraint("amount >= 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(sa.String(200))
    amount: Mapped[Decimal] = mapped_column(Money())
    # Equipment, materials and the like: counted in 成交额 but not in 技术交易额.
    non_technical: Mapped[bool] = mapped_column(default=False)

    contract: Mapped[Contract] = relationship(back_populates="line_items")


class ContractHistory(Model):
    """Immutable audit record of a create, edit or transition (who, when, field, before, after)."""

    __tablename__ = "contract_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(20))
    field: Mapped[str | None] = mapped_column(sa.String(40))
    before: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class RegistrationCounter(Model):
    """Last registration sequence per (year, seller region); locked row → gap-free numbers."""

    __tablename__ = "registration_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    region: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


# -- immutability guards -------------------------------------------------------------------
# The services never try these writes; the guards stop a future code path (or a shell session)
# from silently rewriting registered contracts or the audit trail. The database has matching
# triggers (see the contract_history_append_only migration).

FROZEN_STATUSES = ("registered", "void")
# What voiding a registered contract may change; everything else is frozen at registration.
_VOID_COLUMNS = {"status", "void_reason", "voided_at", "updated_at"}


class FrozenRecordError(RuntimeError):
    """A write that would alter a registered contract or an audit record."""


def _committed_status(contract: Contract) -> str | None:
    history = sa.inspect(contract).attrs.status.history
    if history.deleted:
        return history.deleted[0]
    return contract.status if not history.added else None


def _frozen(contract: Contract | None) -> bool:
    return (
        contract is not None
        and contract.id is not None
        and _committed_status(contract) in FROZEN_STATUSES
    )


def _frozen_id(session: Session, contract_id: int | None) -> bool:
    if contract_id is None:
        return False
    with session.no_autoflush:
        return _frozen(session.get(Contract, contract_id))


def _changed_columns(obj: Any) -> set[str]:
    state = sa.inspect(obj)
    columns = state.mapper.column_attrs
    return {attr.key for attr in state.attrs if attr.key in columns and attr.history.has_changes()}


@sa.event.listens_for(Session, "before_flush")
def _guard_frozen_records(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.dirty:
        if not session.is_modified(obj):
            continue
        if isinstance(obj, ContractHistory):
            raise FrozenRecordError("contract history is append-only")
        if (
            isinstance(obj, Contract)
            and _frozen(obj)
            and (obj.status != "void" or not _changed_columns(obj) <= _VOID_COLUMNS)
        ):
            raise FrozenRecordError(f"registered contract {obj.id} cannot be changed")
        if isinstance(obj, ContractLineItem) and _frozen(obj.contract):
            raise FrozenRecordError("line items of a registered contract cannot be changed")
        if isinstance(obj, ContractSignedCopy) and _frozen_id(session, obj.contract_id):
            raise FrozenRecordError("the signed copy of a registered contract is kept as is")
    for obj in session.deleted:
        if isinstance(obj, ContractSignedCopy) and _frozen_id(session, obj.contract_id):
            raise FrozenRecordError("the signed copy of a registered contract is kept as is")
        if isinstance(obj, ContractHistory):
            raise FrozenRecordError("contract history is append-only")
        if isinstance(obj, Contract) and _frozen(obj):
            raise FrozenRecordError(f"registered contract {obj.id} cannot be deleted")
        if isinstance(obj, ContractLineItem) and _frozen(obj.contract):
            raise FrozenRecordError("line items of a registered contract cannot be changed")
    for obj in session.new:
        if isinstance(obj, ContractLineItem) and _frozen(obj.contract):
            raise FrozenRecordError("line items of a registered contract cannot be changed")
