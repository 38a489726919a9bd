"""Turning strong matches into broker-visible deal suggestions (called by the matching job)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from marketplace.deals.models import Deal, DealEvent
from marketplace.extensions import db
from marketplace.listings.models import Achievement, Demand


def record_suggestion(demand_id: int, achievement_id: int, score: float,
                      reasons: list[dict[str, Any]]) -> Deal | None:
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
    deal = Deal(demand_id=demand_id, achievement_id=achievement_id, buyer_org_id=demand.org_id,
                seller_org_id=achievement.org_id, stage="suggested", source="match",
                score=score, reasons=reasons)
    db.session.add(deal)
    db.session.flush()
    db.session.add(DealEvent(deal_id=deal.id, actor_id=None, kind="stage", from_stage=None,
                             to_stage="suggested", note=""))
    return deal
