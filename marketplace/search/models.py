"""Precomputed matches between demands and achievements, served from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, in_codes, utcnow
from marketplace.extensions import Model

# Whose ranked list a stored pair belongs to: the demand's or the achievement's.
RANKED_BY = ("demand", "achievement")


class ListingMatch(Model):
    """One pair of a listing's own ranked list, computed by the worker when the listing is
    submitted, published or changed.

    Each listing's page shows its own list, and its refresh replaces only that list; the other
    side's list is its own rows (``ranked_by``), with that side's score and reasons. Sharing one
    row per pair let a refresh of each demand strip an achievement of every pair it had found
    itself, and a bulk import left about a hundred achievements with none.
    """

    __tablename__ = "listing_matches"
    __table_args__ = (
        sa.UniqueConstraint(
            "demand_id", "achievement_id", "ranked_by", name="uq_listing_matches_pair"
        ),
        sa.Index("ix_listing_matches_demand_score", "demand_id", "score"),
        sa.Index("ix_listing_matches_achievement_score", "achievement_id", "score"),
        sa.CheckConstraint(in_codes("ranked_by", RANKED_BY), name="ranked_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"))
    achievement_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"))
    ranked_by: Mapped[str] = mapped_column(sa.String(11))
    score: Mapped[float] = mapped_column(sa.Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @classmethod
    def listed_by(cls, listing_id: Any) -> sa.ColumnElement[bool]:
        """The pairs of the ranked list of ``listing_id`` (an id or a column)."""
        return sa.or_(
            sa.and_(cls.demand_id == listing_id, cls.ranked_by == "demand"),
            sa.and_(cls.achievement_id == listing_id, cls.ranked_by == "achievement"),
        )


@dataclass(frozen=True)
class MatchSide:
    """The columns of one kind's side of a pair: its own id and the counterpart's."""

    own_id: Any
    other_id: Any


def match_side(kind: str) -> MatchSide:
    if kind == "demand":
        return MatchSide(ListingMatch.demand_id, ListingMatch.achievement_id)
    return MatchSide(ListingMatch.achievement_id, ListingMatch.demand_id)


class SearchWord(Model):
    """A word of the published listings' search vectors and how many listings hold it: the
    PostgreSQL backend's "did you mean" lexicon, refreshed by ``search reindex`` and hourly."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    doc_count: Mapped[int] = mapped_column(default=0)
