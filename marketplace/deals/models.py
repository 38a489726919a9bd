"""Deals and their event timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.database import TimestampMixin, UTCDateTime, in_codes, utcnow
from marketplace.extensions import Model
from marketplace.listings.models import Achievement, Demand
from marketplace.vocab import DEAL_FAILURE_REASONS, DEAL_STAGES

DEAL_SOURCES = ("match", "interest", "manual")


class Deal(TimestampMixin, Model):
    __tablename__ = "deals"
    __table_args__ = (
        sa.CheckConstraint(in_codes("stage", DEAL_STAGES.codes), name="stage"),
        sa.CheckConstraint(in_codes("source", DEAL_SOURCES), name="source"),
        sa.CheckConstraint(
            f"failure_reason IS NULL OR {in_codes('failure_reason', DEAL_FAILURE_REASONS.codes)}",
            name="failure_reason",
        ),
        sa.CheckConstraint(
            "stage != 'failed' OR failure_reason IS NOT NULL", name="failed_has_reason"
        ),
        sa.Index("ix_deals_stage_broker", "stage", "broker_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="SET NULL"), index=True
    )
    achievement_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    buyer_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    broker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    stage: Mapped[str] = mapped_column(sa.String(20), default="suggested")
    source: Mapped[str] = mapped_column(sa.String(20), default="match")
    failure_reason: Mapped[str | None] = mapped_column(sa.String(30))
    score: Mapped[float | None] = mapped_column(sa.Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    demand: Mapped[Demand | None] = relationship(foreign_keys=[demand_id])
    achievement: Mapped[Achievement] = relationship(foreign_keys=[achievement_id])
    buyer_org: Mapped[Organisation | None] = relationship(foreign_keys=[buyer_org_id])
    seller_org: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    broker: Mapped[User | None] = relationship(foreign_keys=[broker_id])


class DealEvent(Model):
    """Immutable timeline entry: a stage change, claim, note or logged contact."""

    __tablename__ = "deal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # stage, note, contact, claim, release, assign
    from_stage: Mapped[str | None] = mapped_column(sa.String(20))
    to_stage: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()
