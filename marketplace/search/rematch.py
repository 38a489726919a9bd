"""Matching for listings that found nothing because the other kind was not indexed yet.

A listing's matches are computed against the index of the other kind. The first listings of a
kind (a new site, or a bulk import of demands after one of achievements) therefore find nothing
when their matching runs before their counterparts are indexed. When the search drain indexes
published listings of a kind, the published listings of the other kind that still have no
match of their own are queued for matching again. Such a message is dropped if, by the time it
is processed, the listing's own list was stored meanwhile (it was edited and matched again).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.outbox import OutboxMessage, enqueue
from marketplace.search.models import ListingMatch

OTHER = {"demand": "achievement", "achievement": "demand"}


def rematch_unmatched(indexed_ids: Iterable[int]) -> int:
    """Queue matching (in the caller's transaction) for unmatched listings of the other kind
    than the published ones among ``indexed_ids``; returns how many were queued."""
    ids = sorted(set(indexed_ids))
    if not ids:
        return 0
    kinds = set(
        db.session.execute(
            sa.select(Listing.kind)
            .where(Listing.id.in_(ids), Listing.status == "published")
            .distinct()
        ).scalars()
    )
    if not kinds:
        return 0
    matched = sa.select(ListingMatch.id).where(ListingMatch.listed_by(Listing.id))
    unmatched = set(
        db.session.execute(
            sa.select(Listing.id).where(
                Listing.kind.in_([OTHER[kind] for kind in kinds]),
                Listing.status == "published",
                ~matched.exists(),
            )
        ).scalars()
    )
    if not unmatched:
        return 0
    # A claimed message may be computing right now, against the index as it was before this
    # batch: it does not count as queued.
    queued = {
        payload.get("listing_id")
        for payload in db.session.execute(
            sa.select(OutboxMessage.payload).where(
                OutboxMessage.topic == "matching",
                OutboxMessage.processed_at.is_(None),
                sa.or_(
                    OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < utcnow()
                ),
            )
        ).scalars()
        if isinstance(payload, dict)
    }
    todo = sorted(unmatched - queued)
    for listing_id in todo:
        enqueue("matching", {"listing_id": listing_id, "unmatched": True})
    return len(todo)


def has_matches(listing_id: int) -> bool:
    """Whether the listing's own ranked list holds any pair."""
    return (
        db.session.execute(
            sa.select(ListingMatch.id).where(ListingMatch.listed_by(listing_id)).limit(1)
        ).first()
        is not None
    )
