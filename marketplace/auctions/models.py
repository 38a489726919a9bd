"""Lots, sessions (专场), registered bidders, bids, the lot audit trail and auction suspensions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.auctions.vocab import (
    BIDDER_STATUSES,
    DEPOSIT_STATUSES,
    LOT_MODES,
    LOT_RIGHTS,
    LOT_STATUSES,
    SESSION_KINDS,
)
from marketplace.database import Money, TimestampMixin, UTCDateTime, in_codes, utcnow
from marketplace.extensions import Model
from marketplace.listings.models import Achievement


class LotSession(TimestampMixin, Model):
    """A 专场: lots sold together on one schedule (industry, regional or joint)."""

    __tablename__ = "lot_sessions"
    __table_args__ = (
        sa.CheckConstraint(in_codes("kind", SESSION_KINDS.codes), name="kind"),
        sa.CheckConstraint("bidding_ends_at > bidding_starts_at", name="bidding_window"),
        sa.CheckConstraint("registration_opens_at <= bidding_starts_at", name="registration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    bidding_starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    bidding_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    lots: Mapped[list[Lot]] = relationship(back_populates="session", order_by="Lot.id")


class Lot(TimestampMixin, Model):
    """An achievement offered by its owner organisation, by listing (挂牌) or auction (竞价)."""

    __tablename__ = "lots"
    __table_args__ = (
        sa.CheckConstraint(in_codes("mode", LOT_MODES.codes), name="mode"),
        sa.CheckConstraint(in_codes("rights", LOT_RIGHTS.codes), name="rights"),
        sa.CheckConstraint(in_codes("status", LOT_STATUSES.codes), name="status"),
        sa.CheckConstraint("start_price > 0", name="start_price"),
        sa.CheckConstraint("increment > 0", name="increment"),
        sa.CheckConstraint("deposit >= 0", name="deposit"),
        sa.CheckConstraint(
            "reserve_price IS NULL OR reserve_price >= start_price", name="reserve_price"
        ),
        sa.CheckConstraint(
            "extension_minutes >= 1 AND extension_minutes <= 60", name="extension_minutes"
        ),
        sa.CheckConstraint("top_amount IS NULL OR top_amount >= start_price", name="top_amount"),
        sa.CheckConstraint("status != 'sold' OR sale_price IS NOT NULL", name="sold_has_price"),
        sa.Index("ix_lots_status_closes", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lot_sessions.id"), index=True)
    # The organiser: the broker who runs the lot (records deposits, approves bidders).
    broker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    mode: Mapped[str] = mapped_column(sa.String(20))
    rights: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    start_price: Mapped[Decimal] = mapped_column(Money())
    reserve_price: Mapped[Decimal | None] = mapped_column(Money())
    increment: Mapped[Decimal] = mapped_column(Money())
    deposit: Mapped[Decimal] = mapped_column(Money())
    qualifications: Mapped[str] = mapped_column(sa.Text, default="")
    extension_minutes: Mapped[int] = mapped_column(default=5)
    # Planned timeline (auctions); 挂牌 fills listing_ends_at from the working-day calendar.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bidding_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bidding_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    listing_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The current close: bidding_ends_at moved by late bids.
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reject_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Denormalised top of the book, written under the lot's row lock with each bid.
    top_amount: Mapped[Decimal | None] = mapped_column(Money())
    top_bidder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("lot_bidders.id", use_alter=True, name="fk_lots_top_bidder_id_lot_bidders")
    )
    bid_count: Mapped[int] = mapped_column(default=0)
    # Result.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sale_price: Mapped[Decimal | None] = mapped_column(Money())
    winner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("lot_bidders.id", use_alter=True, name="fk_lots_winner_id_lot_bidders")
    )
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"))
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"))
    defaulted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    achievement: Mapped[Achievement] = relationship()
    org: Mapped[Organisation] = relationship(foreign_keys=[org_id])
    broker: Mapped[User | None] = relationship(foreign_keys=[broker_id])
    session: Mapped[LotSession | None] = relationship(back_populates="lots")
    winner: Mapped[LotBidder | None] = relationship(foreign_keys=[winner_id], post_update=True)

    @property
    def premium_rate(self) -> Decimal | None:
        """溢价率 = (sale − start) / start, as a fraction."""
        if self.sale_price is None:
            return None
        return (self.sale_price - self.start_price) / self.start_price


class LotBidder(TimestampMixin, Model):
    """An organisation registered for a lot; approved once the organiser has its deposit."""

    __tablename__ = "lot_bidders"
    __table_args__ = (
        sa.CheckConstraint(in_codes("status", BIDDER_STATUSES.codes), name="status"),
        sa.CheckConstraint(
            in_codes("deposit_status", DEPOSIT_STATUSES.codes), name="deposit_status"
        ),
        sa.CheckConstraint(
            "status != 'approved' OR (number IS NOT NULL AND deposit_status != 'none')",
            name="approved_has_number",
        ),
        sa.UniqueConstraint("lot_id", "org_id", name="uq_lot_bidders_lot_org"),
        sa.UniqueConstraint("lot_id", "number", name="uq_lot_bidders_lot_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    # 竞买号: what other bidders see instead of the organisation's name.
    number: Mapped[int | None] = mapped_column()
    documents: Mapped[str] = mapped_column(sa.Text, default="")
    deposit_status: Mapped[str] = mapped_column(sa.String(20), default="none")
    deposit_amount: Mapped[Decimal | None] = mapped_column(Money())
    deposit_receipt: Mapped[str | None] = mapped_column(sa.String(100))
    deposit_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deposit_settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    lot: Mapped[Lot] = relationship(foreign_keys=[lot_id])
    org: Mapped[Organisation] = relationship()


class Bid(Model):
    """A binding bid; amounts are unique per lot (one accepted bid per step)."""

    __tablename__ = "bids"
    __table_args__ = (
        sa.UniqueConstraint("lot_id", "amount", name="uq_bids_lot_amount"),
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.Index("ix_bids_lot_placed", "lot_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="CASCADE"))
    bidder_id: Mapped[int] = mapped_column(sa.ForeignKey("lot_bidders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The close after this bid (moved when it came in the last minutes).
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())

    bidder: Mapped[LotBidder] = relationship()


class LotEvent(Model):
    """Immutable audit record of a lot: who did what when, status before and after."""

    __tablename__ = "lot_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(30))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class AuctionSuspension(Model):
    """An organisation barred from registering for lots (a winner that defaulted)."""

    __tablename__ = "auction_suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lots.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
