"""Precomputed matches between demands and achievements, served from the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import Model


class ListingMatch(Model):
    """One ranked pair; computed by the worker when either listing is published or changed."""

    __tablename__ = "listing_matches"
    __table_args__ = (
        sa.UniqueConstraint("demand_id", "achievement_id", name="uq_listing_matches_pair"),
        sa.Index("ix_listing_matches_demand_score", "demand_id", "score"),
        sa.Index("ix_listing_matches_achievement_score", "achievement_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"))
    achievement_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(sa.Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
