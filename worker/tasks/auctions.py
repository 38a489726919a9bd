"""Lot timeline job: open registration and bidding, close lots, settle 挂牌 periods, release
winners' deposits once their contracts are registered."""

from __future__ import annotations

from celery import shared_task

from marketplace.auctions.settlement import advance_due_lots


@shared_task(ignore_result=True, acks_late=True)
def advance_lots() -> int:
    """Take every timed lot step that is due (idempotent: each step checks the lot's state
    under its row lock, so an overlapping or repeated run changes nothing twice)."""
    return advance_due_lots()
