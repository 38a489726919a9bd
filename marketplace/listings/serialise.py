"""The JSON form of a listing (SPEC §3 field names), shared by every API that returns one."""

from __future__ import annotations

from typing import Any

from marketplace.listings.models import Listing
from marketplace.money import money_str
from marketplace.vocab import maturity_stage


def listing_json(listing: Listing) -> dict[str, Any]:
    """``id``, ``ref``, ``kind``, ``title``, ``status``, ``field``, ``org_id`` and the rest."""
    data: dict[str, Any] = {
        "id": listing.id,
        "ref": listing.ref,
        "kind": listing.kind,
        "title": listing.title,
        "status": listing.status,
        "field": listing.field,
        "org_id": listing.org_id,
        "org_name": listing.org.name if listing.org else None,
        "keywords": list(listing.keywords or []),
        "maturity": listing.maturity,
        "maturity_stage": maturity_stage(listing.maturity),
        "ip_type": listing.ip_type,
        "patent_numbers": list(listing.patent_numbers or []),
        "modes": list(listing.modes or []),
        "region": listing.region,
        "posted_on": listing.posted_on.isoformat() if listing.posted_on else None,
        "published_at": listing.published_at.isoformat() if listing.published_at else None,
        "created_at": listing.created_at.isoformat() if listing.created_at else None,
        "updated_at": listing.updated_at.isoformat() if listing.updated_at else None,
        "reject_reason": listing.reject_reason,
        "view_count": listing.view_count,
    }
    if listing.kind == "achievement":
        data["summary"] = listing.body
        data["price"] = money_str(listing.price)
    else:
        data["description"] = listing.body
        data.update({
            "budget_min": money_str(listing.budget_min),
            "budget_max": money_str(listing.budget_max),
            "deadline": listing.deadline.isoformat() if listing.deadline else None,
            "is_challenge": listing.is_challenge,
            "bounty": money_str(listing.bounty),
            "applications_open_on": (listing.applications_open_on.isoformat()
                                     if listing.applications_open_on else None),
            "applications_close_on": (listing.applications_close_on.isoformat()
                                      if listing.applications_close_on else None),
        })
    return data
