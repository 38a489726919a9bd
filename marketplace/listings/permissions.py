"""Who may read and who may change a listing (shared by the listing services and attachments)."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_user, same_org
from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import Listing

CREATOR_ROLES = {"achievement": ("researcher",), "demand": ("enterprise",)}
EDITABLE_STATUSES = ("draft", "pending", "rejected", "published")
SUBMITTABLE_STATUSES = ("draft", "rejected")
DELETABLE_STATUSES = ("draft", "rejected")


def can_manage(actor: User, listing: Listing) -> bool:
    """Owner organisation or an administrator may change a listing."""
    return is_admin(actor) or same_org(actor, listing.org_id)


def can_read(actor: User, listing: Listing) -> bool:
    return listing.status == "published" or can_manage(actor, listing)


def get_listing_for(actor: User, listing_id: int, kind: str | None = None) -> Listing:
    """A listing the caller may see: published to anyone, otherwise only its organisation or an
    administrator; everyone else gets NotFound, so drafts do not even leak their existence."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or (kind is not None and listing.kind != kind):
        raise NotFound()
    if not can_read(actor, listing):
        raise NotFound()
    return listing


def get_managed_listing(actor: User, listing_id: int, kind: str | None = None) -> Listing:
    user = require_user(actor)
    listing = get_listing_for(user, listing_id, kind)
    if not can_manage(user, listing):
        raise PermissionDenied()
    return listing


# -- what the pages offer (the services check the same rules) --------------------------------


def can_create(actor: User, kind: str) -> bool:
    """Researchers post achievements, enterprise users demands."""
    return getattr(actor, "role", None) in CREATOR_ROLES.get(kind, ())


def can_edit(actor: User, listing: Listing) -> bool:
    """The owner organisation or an administrator, until the listing is closed."""
    return can_manage(actor, listing) and listing.status in EDITABLE_STATUSES


def can_submit(actor: User, listing: Listing) -> bool:
    """A draft or rejected listing may be submitted for review (or deleted) by its managers."""
    return can_manage(actor, listing) and listing.status in SUBMITTABLE_STATUSES


def can_delete(actor: User, listing: Listing) -> bool:
    return can_manage(actor, listing) and listing.status in DELETABLE_STATUSES


def can_close(actor: User, listing: Listing) -> bool:
    """A published listing is closed (traded, withdrawn) by its managers."""
    return can_manage(actor, listing) and listing.status == "published"


def edit_sends_back_to_review(actor: User, listing: Listing) -> bool:
    """An owner's edit of a published listing sends it back to review (update_listing); an
    administrator's does not."""
    return listing.status == "published" and not is_admin(actor)


def can_apply(actor: User) -> bool:
    """Researchers apply to challenges (challenges.apply_to_challenge)."""
    return getattr(actor, "role", None) == "researcher"


def can_review(actor: User, listing: Listing) -> bool:
    """Administrators approve or reject a pending listing."""
    return is_admin(actor) and listing.status == "pending"
