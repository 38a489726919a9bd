"""Transactional outbox: changes record work for the worker in the same database transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import Model, db

log = logging.getLogger(__name__)

# topic -> (Celery task name, queue). The search index has a single writer: its own queue.
TOPIC_TASKS: dict[str, tuple[str, str]] = {
    "notify": ("worker.tasks.notifications.deliver_notifications", "default"),
    "search": ("worker.tasks.search.drain_search_outbox", "search"),
    "stats": ("worker.tasks.stats.drain_stats_outbox", "default"),
    "matching": ("worker.tasks.matching.drain_matching_outbox", "default"),
}


class OutboxMessage(Model):
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_pending", "topic", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[Any] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[Any | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


def enqueue(topic: str, payload: dict[str, Any], session: Session | None = None) -> OutboxMessage:
    """Record work for ``topic`` in the caller's transaction; it is dispatched after commit."""
    if topic not in TOPIC_TASKS:
        raise ValueError(f"unknown outbox topic {topic!r}")
    session = session or db.session()
    message = OutboxMessage(topic=topic, payload=payload)
    session.add(message)
    session.info.setdefault("outbox_topics", set()).add(topic)
    return message


def dispatch(topic: str) -> None:
    """Ask the worker to drain ``topic``; failure is logged, the periodic sweep catches up."""
    task_name, queue = TOPIC_TASKS[topic]
    try:
        celery = current_app.extensions["celery"]
        celery.send_task(task_name, args=[], queue=queue)
    except Exception:  # the broker being down must never fail the user's request
        log.warning("could not dispatch outbox topic %s; the sweep will retry", topic,
                    exc_info=True)


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    topics = session.info.pop("outbox_topics", None)
    if topics:
        for topic in sorted(topics):
            dispatch(topic)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("outbox_topics", None)


def pending_topics() -> list[str]:
    rows = db.session.execute(
        sa.select(OutboxMessage.topic).where(OutboxMessage.processed_at.is_(None)).distinct()
    ).scalars()
    return sorted(rows)


def pending_count(topic: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.processed_at.is_(None))
    if topic:
        query = query.where(OutboxMessage.topic == topic)
    return db.session.execute(query).scalar_one()


def drain(topic: str, handle: Callable[[dict[str, Any], int], Any], *, batch_size: int = 200,
          max_batches: int | None = None) -> int:
    """Process pending messages of ``topic`` in id order; returns how many were handled.

    Each batch is one transaction: the handler's writes and the ``processed_at`` marks commit
    together, so a crash mid-batch leaves the whole batch pending and it is simply redone —
    handlers must therefore be idempotent. PostgreSQL skips rows another drainer holds.
    """
    handled = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        query = (
            sa.select(OutboxMessage)
            .where(OutboxMessage.topic == topic, OutboxMessage.processed_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(batch_size)
        )
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        messages = db.session.execute(query).scalars().all()
        if not messages:
            db.session.rollback()
            break
        for message in messages:
            try:
                with db.session.begin_nested():
                    handle(message.payload, message.id)
                message.processed_at = utcnow()
            except sa.exc.OperationalError:
                # The database, not the message (SQLite locked by another process, a deadlock,
                # a lost connection): leave the whole batch pending for the next drain or sweep
                # instead of counting an attempt — five of those used to drop the message.
                db.session.rollback()
                raise
            except Exception as error:  # one bad message must not block the queue forever
                log.exception("outbox %s message %s failed", topic, message.id)
                message.attempts += 1
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                if message.attempts >= 5:
                    message.processed_at = utcnow()
            handled += 1
        db.session.commit()
        batches += 1
    return handled
