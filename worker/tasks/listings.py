"""Listing upkeep: page views counted in Redis folded into the database."""

from __future__ import annotations

from celery import shared_task

from marketplace.listings.view_counts import fold_views


@shared_task(ignore_result=True)
def fold_listing_views() -> int:
    """Move pending page views into ``listings.view_count``; safe to run at any time (a Redis
    lock lets one fold run at once, and a batch a dead fold left is picked up by the next)."""
    return fold_views()
