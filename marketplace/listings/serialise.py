"""The JSON form of a listing (SPEC §3 field names), shared by every API that returns one."""

from __future__ import annotations

from typing import Any

from marketplace.listings.models import ChallengeApplication, Listing
from marketplace.money import money_str
from marketplace.vocab import maturity_stage


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def listing_json(listing: Listing, viewer: Any = None) -> dict[str, Any]:
    """``id``, ``ref``, ``kind``, ``title``, ``status``, ``field``, ``org_id`` and the rest.

    Contact details are included for signed-in ``viewer``s only.
    """
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
        "keywords_extracted": listing.keywords_extracted,
        "unclassified": listing.is_unclassified,
        "submitted_at": _iso(listing.submitted_at),
        "closed_at": _iso(listing.closed_at),
        "attachments": [{"id": a.id, "name": a.original_name, "content_type": a.content_type,
                         "size_bytes": a.size_bytes, "url": f"/attachments/{a.id}"}
                        for a in listing.attachments],
    }
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        data.update(contact_name=listing.contact_name, contact_phone=listing.contact_phone,
                    contact_email=listing.contact_email)
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


def application_json(application: ChallengeApplication) -> dict[str, Any]:
    """A challenge application as its applicant and the challenge owner see it."""
    return {
        "id": application.id,
        "demand_id": application.demand_id,
        "org_id": application.org_id,
        "org_name": application.org.name if application.org else None,
        "applicant_id": application.applicant_id,
        "summary": application.summary,
        "team": application.team,
        "plan": application.plan,
        "requested_amount": money_str(application.requested_amount),
        "status": application.status,
        "reason_code": application.reason_code,
        "reason_note": application.reason_note,
        "created_at": _iso(application.created_at),
        "decided_at": _iso(application.decided_at),
    }
