"""Periodic outbox maintenance: re-dispatch pending topics, prune old processed rows."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from celery import shared_task

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.outbox import OutboxMessage, dispatch, pending_topics


@shared_task(ignore_result=True)
def sweep_outbox() -> list[str]:
    """Dispatch a drain for every topic that still has pending messages."""
    topics = pending_topics()
    for topic in topics:
        dispatch(topic)
    return topics


@shared_task(ignore_result=True)
def prune_outbox(days: int = 30) -> int:
    """Delete messages processed more than ``days`` ago (failed ones stay for inspection)."""
    cutoff = utcnow() - timedelta(days=days)
    result: sa.CursorResult = db.session.execute(  # type: ignore[assignment]
        sa.delete(OutboxMessage).where(
            OutboxMessage.processed_at < cutoff, OutboxMessage.last_error.is_(None)
        )
    )
    db.session.commit()
    return result.rowcount or 0
