"""Listing use cases: create, edit, submit, review, close, delete, and who may see what.

Workflow: ``draft`` → ``pending`` → ``published`` | ``rejected``; ``published`` → ``closed``.
Every transition is a ``ListingEvent`` (who, when, from, to, note), and every change of a listing
records ``search`` and ``matching`` work in the outbox in the same transaction.

Editing policy for published listings: when the owner organisation edits a published listing,
the listing goes back to ``pending`` and leaves the public site and the search index until an
administrator approves it again. What the public sees is therefore always exactly what a reviewer
approved, and reviewers always judge the whole listing as it will appear. Administrators are the
reviewers, so their own edits (for example classifying an imported, unclassified listing) keep
the listing published. Pending listings stay editable (they remain pending); rejected listings
stay rejected, with their reason visible, until the owner submits them again; closed listings are
final and cannot be edited.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role, same_org
from marketplace.database import utcnow
from marketplace.errors import InvalidTransition, NotFound, ValidationError
from marketplace.extensions import db
from marketplace.listings import view_counts
from marketplace.listings.attachments import remove_files_of_listing
from marketplace.listings.changes import listing_changed
from marketplace.listings.models import LISTING_KINDS, Achievement, Demand, Listing, ListingEvent
from marketplace.listings.permissions import (
    CREATOR_ROLES,
    DELETABLE_STATUSES,
    EDITABLE_STATUSES,
    SUBMITTABLE_STATUSES,
    can_manage,
    edit_sends_back_to_review,
    get_listing_for,
    get_managed_listing,
)
from marketplace.listings.validation import ListingInput, clean_listing
from marketplace.notifications.services import notify
from marketplace.outbox import enqueue
from marketplace.text import keywords as keyword_extractor

log = logging.getLogger(__name__)

MODELS: dict[str, type[Listing]] = {"achievement": Achievement, "demand": Demand}
REVIEW_DECISIONS = ("approve", "reject")
REASON_MAX = 2000

# Column values the cleaner may set; ``body`` is the summary or the description.
CONTENT_COLUMNS = (
    "title",
    "body",
    "keywords",
    "field",
    "maturity",
    "ip_type",
    "patent_numbers",
    "modes",
    "region",
    "contact_name",
    "contact_phone",
    "contact_email",
    "price",
    "budget_min",
    "budget_max",
    "deadline",
    "is_challenge",
    "bounty",
    "applications_open_on",
    "applications_close_on",
    "posted_on",
)


# -- reading and permission ----------------------------------------------------------------


def listing_path(listing: Listing) -> str:
    """The public page of a listing (used in notification links)."""
    return f"/{listing.kind}s/{listing.id}"


def record_view(actor: User, listing: Listing) -> int:
    """Count a view of a published listing by anyone outside its organisation; returns the
    number of views to show (the folded count plus views not yet folded).

    A view is not a change of the listing, so nothing is queued for search or matching; and it
    is not a database write either (see ``view_counts``).
    """
    if listing.status != "published":
        return int(listing.view_count or 0)
    if same_org(actor, listing.org_id):
        return view_counts.shown_views(listing, view_counts.pending_views(listing.id))
    return view_counts.shown_views(listing, view_counts.count_view(listing.id))


# -- helpers -------------------------------------------------------------------------------


def _event(
    listing: Listing, actor: User, from_status: str | None, to_status: str, note: str = ""
) -> ListingEvent:
    event = ListingEvent(
        listing_id=listing.id,
        actor_id=getattr(actor, "id", None),
        from_status=from_status,
        to_status=to_status,
        note=note[:REASON_MAX],
    )
    db.session.add(event)
    return event


def extract_keywords(title: str, text: str, limit: int = 8) -> list[str]:
    """Keywords from the Chinese title and text (the search feature's extractor)."""
    return list(keyword_extractor.extract_keywords(title, text, limit))[:limit]


def current_values(listing: Listing) -> dict[str, Any]:
    return {name: getattr(listing, name) for name in CONTENT_COLUMNS}


def _apply(listing: Listing, values: dict[str, Any], *, keywords_given: bool) -> None:
    content_changed = any(
        name in values and values[name] != getattr(listing, name) for name in ("title", "body")
    )
    for name, value in values.items():
        setattr(listing, name, value)
    if keywords_given and listing.keywords:
        listing.keywords_extracted = False
    elif not listing.keywords or (listing.keywords_extracted and content_changed):
        listing.keywords = extract_keywords(listing.title, listing.body or "")
        listing.keywords_extracted = True
    if listing.kind == "demand" and not listing.is_challenge:
        # A demand that stops being a challenge keeps no stale challenge settings.
        listing.bounty = None
        listing.applications_open_on = None
        listing.applications_close_on = None
    elif listing.kind == "demand" and listing.applications_open_on is None:
        listing.applications_open_on = date.today()


def _clean(kind: str, data: ListingInput, current: dict[str, Any] | None) -> dict[str, Any]:
    given = data.given()
    values, errors = clean_listing(kind, given, current=current)
    if errors:
        raise ValidationError(fields=errors)
    return values


# -- use cases -----------------------------------------------------------------------------


def create_listing(actor: User, kind: str, data: ListingInput) -> Listing:
    """Create a draft achievement (researchers) or demand (enterprise users) for the caller's
    organisation."""
    if kind not in LISTING_KINDS:
        raise NotFound()
    user = require_role(actor, *CREATOR_ROLES[kind])
    if "title" not in data.given():
        raise ValidationError(fields={"title": _("This field is required.")})
    values = _clean(kind, data, None)
    listing = MODELS[kind](
        org_id=user.org_id,
        owner_id=user.id,
        status="draft",
        keywords=[],
        patent_numbers=[],
        modes=[],
        extra={},
    )
    _apply(listing, values, keywords_given=bool(values.get("keywords")))
    db.session.add(listing)
    db.session.flush()
    _event(listing, user, None, "draft", _("Created"))
    listing_changed(listing)
    db.session.commit()
    return listing


def update_listing(
    actor: User, listing_id: int, data: ListingInput, *, kind: str | None = None
) -> Listing:
    """Change a listing's content. An owner's edit of a published listing sends it back to
    review (see the module docstring)."""
    listing = get_managed_listing(actor, listing_id, kind)
    if listing.status not in EDITABLE_STATUSES:
        raise InvalidTransition(_("A closed listing cannot be edited."))
    values = _clean(listing.kind, data, current_values(listing))
    changed = {name: value for name, value in values.items() if getattr(listing, name) != value}
    if not changed:
        return listing
    _apply(listing, changed, keywords_given="keywords" in changed)
    if edit_sends_back_to_review(actor, listing):
        listing.status = "pending"
        listing.submitted_at = utcnow()
        _event(
            listing, actor, "published", "pending", _("Edited after publication; back to review")
        )
    else:
        _event(listing, actor, listing.status, listing.status, _("Edited"))
    listing_changed(listing)
    db.session.commit()
    return listing


def missing_for_review(listing: Listing) -> dict[str, str]:
    """Fields a listing needs before it can be submitted (imports may lack them)."""
    missing: dict[str, str] = {}
    required = _("Fill this in before submitting for review.")
    if not (listing.body or "").strip():
        missing["summary" if listing.kind == "achievement" else "description"] = required
    if listing.field is None:
        missing["field"] = required
    if listing.kind == "achievement" and listing.maturity is None:
        missing["maturity"] = required
    return missing


def submit_listing(
    actor: User, listing_id: int, *, kind: str | None = None, note: str = ""
) -> Listing:
    """Owner organisation: draft or rejected → pending (review by an administrator)."""
    listing = get_managed_listing(actor, listing_id, kind)
    if listing.status not in SUBMITTABLE_STATUSES:
        raise InvalidTransition(_("Only drafts and rejected listings can be submitted."))
    missing = missing_for_review(listing)
    if missing:
        raise ValidationError(_("Complete the listing before submitting it."), fields=missing)
    previous = listing.status
    listing.status = "pending"
    listing.submitted_at = utcnow()
    _event(listing, actor, previous, "pending", note or _("Submitted for review"))
    listing_changed(listing)
    db.session.commit()
    return listing


def review_listing(
    actor: User, listing_id: int, decision: str, reason: str = "", *, kind: str | None = None
) -> Listing:
    """Administrator: approve (publish) or reject a pending listing; rejection needs a reason."""
    user = require_role(actor, "admin")
    listing = get_listing_for(user, listing_id, kind)
    reason = (reason or "").strip()
    if decision not in REVIEW_DECISIONS:
        raise ValidationError(fields={"decision": _("Choose approve or reject.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(fields={"reason": _("At most %(max)d characters.", max=REASON_MAX)})
    if decision == "reject" and not reason:
        raise ValidationError(fields={"reason": _("Tell the owner why it is rejected.")})
    if listing.status != "pending":
        raise InvalidTransition(_("Only listings pending review can be reviewed."))
    owner_target: dict[str, Any] = (
        {"user_ids": [listing.owner_id]} if listing.owner_id else {"org_ids": [listing.org_id]}
    )
    if decision == "approve":
        listing.status = "published"
        listing.reject_reason = None
        listing.published_at = listing.published_at or utcnow()
        _event(listing, user, "pending", "published", reason or _("Approved"))
        notify(
            kind="listing_approved",
            params={"title": listing.title},
            link=listing_path(listing),
            **owner_target,
        )
    else:
        listing.status = "rejected"
        listing.reject_reason = reason
        _event(listing, user, "pending", "rejected", reason)
        notify(
            kind="listing_rejected",
            params={"title": listing.title, "reason": reason},
            link=listing_path(listing),
            **owner_target,
        )
    listing_changed(listing)
    db.session.commit()
    return listing


def close_listing(
    actor: User, listing_id: int, note: str = "", *, kind: str | None = None
) -> Listing:
    """Owner organisation or administrator: published → closed (traded or withdrawn)."""
    listing = get_managed_listing(actor, listing_id, kind)
    if listing.status != "published":
        raise InvalidTransition(_("Only published listings can be closed."))
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationError(fields={"note": _("At most %(max)d characters.", max=REASON_MAX)})
    listing.status = "closed"
    listing.closed_at = utcnow()
    _event(listing, actor, "published", "closed", note or _("Closed"))
    listing_changed(listing)
    db.session.commit()
    return listing


def delete_listing(actor: User, listing_id: int, *, kind: str | None = None) -> None:
    """Delete a draft or rejected listing (one that was never public) and its attachments."""
    listing = get_managed_listing(actor, listing_id, kind)
    if listing.status not in DELETABLE_STATUSES:
        raise InvalidTransition(
            _(
                "Only drafts and rejected listings can be deleted; close a "
                "published listing instead."
            )
        )
    ref_id = listing.id
    remove_files_of_listing(listing)
    # The outbox message outlives the row: handlers see the listing gone and drop it.
    enqueue("search", {"listing_id": ref_id})
    enqueue("matching", {"listing_id": ref_id})
    db.session.delete(listing)
    db.session.commit()


def events_for(actor: User, listing: Listing) -> list[ListingEvent]:
    """The status history, for the owner organisation and administrators."""
    if not can_manage(actor, listing):
        return []
    return list(
        db.session.execute(
            sa.select(ListingEvent)
            .where(ListingEvent.listing_id == listing.id)
            .order_by(ListingEvent.id)
        ).scalars()
    )
