"""What follows any change of a listing: search indexing and match computation, queued."""

from __future__ import annotations

from marketplace.listings.models import Listing
from marketplace.outbox import enqueue


def listing_changed(listing: Listing) -> None:
    """Queue search indexing and match computation for ``listing`` in the current transaction."""
    enqueue("search", {"listing_id": listing.id})
    enqueue("matching", {"listing_id": listing.id})
