"""Recompute stored demand ↔ achievement matches from the ``matching`` outbox topic."""

from __future__ import annotations

from celery import shared_task

from marketplace.deals.suggestions import drain_matching_outbox as drain


@shared_task(ignore_result=True, acks_late=True)
def drain_matching_outbox() -> int:
    """Refresh each named listing's ListingMatch rows; strong matches become suggestions."""
    return drain()
