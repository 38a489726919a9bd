"""Use cases of the search area, shared by the web pages and the API."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_user, same_org
from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.matching import reason_text, stored_matches
from marketplace.search.models import ListingMatch

MAX_MATCHES = 50


def can_see_matches(actor: User, listing: Listing) -> bool:
    """Matches are for the listing's own organisation, brokers and admins."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return is_admin(actor) or actor.role == "broker" or same_org(actor, listing.org_id)


def listing_matches(
    actor: User, kind: str, listing_id: int, limit: int = 10
) -> list[tuple[Listing, ListingMatch]]:
    """The stored, ranked matches of one listing (best first)."""
    require_user(actor)
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.kind != kind:
        raise NotFound()
    if not can_see_matches(actor, listing):
        raise PermissionDenied()
    return stored_matches(listing, limit=max(1, min(limit, MAX_MATCHES)))


def matches_panel(actor: User, listing: Listing, limit: int = 10) -> list[dict[str, Any]] | None:
    """Data of the matches panel on a listing page, or None when the reader may not see it."""
    if listing is None or not can_see_matches(actor, listing):
        return None
    return [
        {
            "listing": other,
            "score": match.score,
            "reasons": [
                {"code": reason.get("code"), "text": reason_text(reason)}
                for reason in match.reasons or []
            ],
        }
        for other, match in stored_matches(listing, limit=limit)
    ]
