"""Search tables: precomputed matches, the PostgreSQL backend's lexicon, narrow rows and
postings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import SearchVector, UTCDateTime, in_codes, utcnow
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


class ListingSearch(Model):
    """The PostgreSQL backend's narrow row of each listing (its kind, status, sort keys, facet
    values and words), kept by ``marketplace.search.search_rows`` in the transaction that writes
    the listing. Requests without words are counted and paged here; with words, the postings
    find the hits and only the page's rows are read here (for ``ts_rank_cd``).

    A broad word matches a quarter of all listings, and counting those in ``listings`` read the
    whole wide heap (text, contacts, JSON) for every such search. On SQLite the table exists
    and stays empty (Whoosh serves).
    """

    __tablename__ = "listing_search"
    # Read by the previous release's searches only; kept so that hosts still on it search at
    # speed during a rolling upgrade, and dropped by a later release (docs/deployment.md).
    __table_args__ = (sa.Index("ix_listing_search_vector", "vector", postgresql_using="gin"),)

    listing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)  # fen: price or budget
    field: Mapped[str] = mapped_column(sa.String(40))
    maturity_stage: Mapped[str] = mapped_column(sa.String(20))
    ip_type: Mapped[str] = mapped_column(sa.String(30))
    price_band: Mapped[str] = mapped_column(sa.String(20))
    province: Mapped[str] = mapped_column(sa.String(10))
    modes: Mapped[list[str]] = mapped_column(sa.JSON().with_variant(JSONB(), "postgresql"))
    vector: Mapped[str | None] = mapped_column(SearchVector(), deferred=True)


class SearchPosting(Model):
    """One word of one published listing, for the PostgreSQL backend: the word's own
    ``ts_rank`` in the listing, and the listing's packed facets (``facet_codes``), publication
    time and amount, all in the primary key's index — a search reads its words' postings from
    that index alone, ranks and counts without visiting any other table, and reads only the
    page's rows. Kept with ``listing_search`` by ``marketplace.search.search_rows``.

    The ranks add up: ``ts_rank`` of the words joined by ``|`` is the mean of each word's own
    ``ts_rank`` (PostgreSQL's calc_rank_or), so a hit's sum orders the hits as the query would.
    On SQLite the table exists and stays empty.
    """

    __tablename__ = "search_postings"
    __table_args__ = (
        sa.PrimaryKeyConstraint(
            "word",
            "listing_id",
            postgresql_include=["weight", "facets", "published_at", "amount"],
        ),
        sa.Index("ix_search_postings_listing_id", "listing_id"),
    )

    # Byte order ("C"): the index compares words, never sorts them for people.
    word: Mapped[str] = mapped_column(sa.Text().with_variant(sa.Text(collation="C"), "postgresql"))
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"))
    weight: Mapped[float] = mapped_column(sa.REAL)
    facets: Mapped[int] = mapped_column(sa.BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)  # fen: price or budget
