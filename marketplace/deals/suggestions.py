"""Turning strong matches into broker-visible deal suggestions (the matching job's last step).

Search ranks and stores the matches (search.matching); the suggestions are deals' business, so
the matching job is composed here: ``refresh_matches`` for one listing, ``drain_matching_outbox``
for the worker's ``matching`` topic.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from marketplace.deals.models import Deal, DealEvent
from marketplace.extensions import db
from marketplace.listings.models import Achievement, Demand, Listing
from marketplace.notifications.services import notify
from marketplace.search import matching
from marketplace.search.matching import Match


def record_suggestion(
    demand_id: int, achievement_id: int, score: float, reasons: list[dict[str, Any]]
) -> Deal | None:
    """Create a ``suggested`` deal for a strong demand–achievement match, once per pair.

    Idempotent: an existing deal for the pair (at any stage) is left alone except that a
    still-``suggested`` one gets the fresh score and reasons. Does not commit: the caller's
    transaction (the matching job's batch) owns it. Returns the new deal, or None.
    """
    existing = db.session.execute(
        sa.select(Deal).where(Deal.demand_id == demand_id, Deal.achievement_id == achievement_id)
    ).scalar()
    if existing is not None:
        if existing.stage == "suggested":
            existing.score = score
            existing.reasons = reasons
        return None
    demand = db.session.get(Demand, demand_id)
    achievement = db.session.get(Achievement, achievement_id)
    if demand is None or achievement is None or demand.org_id == achievement.org_id:
        return None
    deal = Deal(
        demand_id=demand_id,
        achievement_id=achievement_id,
        buyer_org_id=demand.org_id,
        seller_org_id=achievement.org_id,
        stage="suggested",
        source="match",
        score=score,
        reasons=reasons,
    )
    db.session.add(deal)
    db.session.flush()
    db.session.add(
        DealEvent(
            deal_id=deal.id,
            actor_id=None,
            kind="stage",
            from_stage=None,
            to_stage="suggested",
            note="",
        )
    )
    return deal


def suggest_strong_matches(listing_id: int, matches: list[Match]) -> None:
    """Strong matches of a published listing become deal suggestions and notify both owners
    and the brokers through the notification outbox (no commit: the caller's transaction)."""
    listing = db.session.get(Listing, listing_id)
    # Brokers are asked to act on public listings only; a pending one waits for its review.
    if listing is None or listing.status != "published":
        return
    threshold = current_app.config["MATCH_SUGGESTION_MIN_SCORE"]
    for match in matches:
        if match.score < threshold:
            continue
        demand_id, achievement_id = (
            (listing.id, match.listing_id)
            if listing.kind == "demand"
            else (match.listing_id, listing.id)
        )
        deal = record_suggestion(demand_id, achievement_id, match.score, match.reasons)
        if deal is not None:
            _notify_suggestion(demand_id, achievement_id, deal.id)


def _notify_suggestion(demand_id: int, achievement_id: int, deal_id: int) -> None:
    for listing_id in (demand_id, achievement_id):
        side = db.session.get(Listing, listing_id)
        if side is not None:
            notify(
                kind="match_suggested",
                params={"title": side.title},
                org_ids=[side.org_id],
                link=f"/{side.kind}s/{side.id}",
            )
    demand = db.session.get(Listing, demand_id)
    notify(
        kind="match_suggested",
        params={"title": demand.title if demand else ""},
        roles=["broker"],
        link=f"/deals/{deal_id}",
    )


def refresh_matches(listing_id: int) -> list[Match]:
    """Recompute one listing's stored matches and suggest the strong ones (no commit)."""
    matches = matching.refresh_matches(listing_id)
    suggest_strong_matches(listing_id, matches)
    return matches


def drain_matching_outbox() -> int:
    """The worker's ``matching`` topic: matches ranked and stored, strong ones suggested."""
    return matching.drain_matching(on_stored=suggest_strong_matches)
