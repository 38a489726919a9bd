"""Transactional outbox: changes record work for the worker in the same database transaction."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.database import UTCDateTime, caused_by_busy_database, is_busy_error, utcnow
from marketplace.extensions import Model, db

log = logging.getLogger(__name__)

# topic -> (Celery task name, queue). The search index has a single writer: its own queue.
# Matching reads that Whoosh index, so it runs where the index lives: the search queue.
TOPIC_TASKS: dict[str, tuple[str, str]] = {
    "notify": ("worker.tasks.notifications.deliver_notifications", "default"),
    "search": ("worker.tasks.search.drain_search_outbox", "search"),
    "stats": ("worker.tasks.stats.drain_stats_outbox", "default"),
    "matching": ("worker.tasks.matching.drain_matching_outbox", "search"),
}


class OutboxMessage(Model):
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_pending", "topic", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[Any] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[Any | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # A drainer working on the message (computing outside the write transaction) holds it
    # until then; a drainer that died lets it go when the time is up.
    claimed_until: Mapped[Any | None] = mapped_column(UTCDateTime())


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
    except Exception as error:  # the broker being down must never fail the user's request
        if caused_by_busy_database(error):
            # The embedded broker's SQLite file was locked for its whole timeout: contention,
            # not a fault, and the periodic sweep dispatches the topic again within seconds.
            log.info("broker busy: outbox topic %s is left for the sweep", topic)
            return
        log.warning(
            "could not dispatch outbox topic %s; the sweep will retry", topic, exc_info=True
        )


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
    query = (
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.processed_at.is_(None))
    )
    if topic:
        query = query.where(OutboxMessage.topic == topic)
    return db.session.execute(query).scalar_one()


MAX_ATTEMPTS = 5
# How long a drainer may work on one message before others may take it (a dead drainer's).
CLAIM_SECONDS = 120

# What a drain hands its handler: the message id and payload (ORM rows would expire between
# the short transactions).
Item = tuple[int, dict[str, Any]]


def drain(
    topic: str,
    handle: Callable[..., Any],
    *,
    prepare: Callable[[dict[str, Any], int], Any] | None = None,
    batch: bool = False,
    then: Callable[[list[Item]], None] | None = None,
    transient: tuple[type[BaseException], ...] = (),
    batch_size: int = 200,
    max_batches: int | None = None,
    budget: float | None = None,
    drainers: int | None = None,
) -> int:
    """Process pending messages of ``topic`` in id order; returns how many were handled.

    The one drain loop of every topic. Write transactions are short, so web requests, CLI
    commands and other drains interleave with a long drain:

    - per message (default): ``prepare(payload, id)`` runs first, outside any write transaction
      (it may read: load the listing, score, build rows); then ``handle(prepared, id)`` — or
      ``handle(payload, id)`` without ``prepare`` — runs in the message's own transaction,
      which also marks the message processed. A failing message counts an attempt in a
      transaction of its own and is given up after ``MAX_ATTEMPTS``; later messages go on.
    - ``batch=True``: ``handle(items)`` gets up to ``batch_size`` messages at once and does its
      work outside the database (the search index's single writer commit), then one short
      transaction marks them all processed and runs ``then(items)``. If a batch fails, its
      messages are retried one by one, so one bad message only costs its own attempts.

    Handlers must be idempotent: a crash after the work and before the mark redoes it. Busy
    database errors (a lock not granted in time) and ``transient`` exceptions stop the drain
    and leave the rest pending without counting an attempt (busy: one INFO line, the periodic
    sweep dispatches the drain again; ``transient``: re-raised for the task to retry).

    Per message, drainers run side by side: each claims the next message (for
    ``CLAIM_SECONDS``) before computing, so no two compute the same one; ``drainers`` caps how
    many run at once (a lease each; the others return 0 at once), so a long backlog leaves the
    worker's other processes to other tasks. In batch mode one drain runs at a time. ``budget``
    (seconds) ends a drain early, leaving the rest to the next (the periodic sweep dispatches
    one within seconds).
    """
    db.session.commit()  # the caller's work, as before: the drain's transactions are its own
    deadline = None if budget is None else time.monotonic() + budget
    slots = 1 if batch else drainers
    try:
        with _lease(topic, slots) as held:
            if not held:
                return 0
            if batch:
                return _drain_batches(
                    topic, handle, then, transient, batch_size, max_batches, deadline
                )
            limit = None if max_batches is None else max_batches * batch_size
            return _drain_each(topic, handle, prepare, transient, limit, deadline)
    except sa.exc.OperationalError as error:
        db.session.rollback()
        if not is_busy_error(error):
            raise
        log.info("outbox %s: database busy, the rest stays pending for the next drain", topic)
        return 0


def _drain_each(
    topic: str,
    handle: Callable[..., Any],
    prepare: Callable[[dict[str, Any], int], Any] | None,
    transient: tuple[type[BaseException], ...],
    limit: int | None,
    deadline: float | None,
) -> int:
    handled = 0
    after = 0
    while limit is None or handled < limit:
        if deadline is not None and time.monotonic() > deadline:
            break
        item = _claim_next(topic, after)
        if item is None:
            break
        after = item[0]
        if _run_one(topic, handle, prepare, item, transient):
            handled += 1
    return handled


def _claim_next(topic: str, after: int) -> Item | None:
    """Claim the oldest pending, unclaimed message after id ``after`` (a short write)."""
    while True:
        now = utcnow()
        free = sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
        query = (
            sa.select(OutboxMessage.id, OutboxMessage.payload)
            .where(
                OutboxMessage.topic == topic,
                OutboxMessage.processed_at.is_(None),
                OutboxMessage.id > after,
                free,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = db.session.execute(query).first()
        if row is None:
            db.session.rollback()
            return None
        taken = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.processed_at.is_(None), free)
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        )
        db.session.commit()
        if taken.rowcount:  # type: ignore[attr-defined]
            return int(row.id), row.payload
        after = int(row.id)  # another drainer took it first


def _drain_batches(
    topic: str,
    handle: Callable[..., Any],
    then: Callable[[list[Item]], None] | None,
    transient: tuple[type[BaseException], ...],
    batch_size: int,
    max_batches: int | None,
    deadline: float | None,
) -> int:
    handled = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        if deadline is not None and time.monotonic() > deadline:
            break
        items = _pending(topic, batch_size)
        if not items:
            break
        handled += _run_batch(topic, handle, items, then, transient)
        batches += 1
    return handled


def _pending(topic: str, limit: int) -> list[Item]:
    rows = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.payload)
        .where(OutboxMessage.topic == topic, OutboxMessage.processed_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read snapshot
    return [(int(row.id), row.payload) for row in rows]


def _claim(message_ids: list[int]) -> list[int]:
    """Mark messages processed, as the first write of the current transaction; returns the
    ids that were still pending (another drainer may have taken some meanwhile)."""
    now = utcnow()
    claimed: list[int] = []
    for message_id in message_ids:
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.processed_at.is_(None))
            .values(processed_at=now)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            claimed.append(message_id)
    return claimed


def _run_one(
    topic: str,
    handle: Callable[..., Any],
    prepare: Callable[[dict[str, Any], int], Any] | None,
    item: Item,
    transient: tuple[type[BaseException], ...],
) -> bool:
    message_id, payload = item
    try:
        prepared = prepare(payload, message_id) if prepare is not None else payload
        db.session.rollback()  # prepare only read: end its snapshot before writing
        if not _claim([message_id]):
            db.session.rollback()
            return False
        handle(prepared, message_id)
        db.session.commit()
        return True
    except _not_the_message(transient):
        # The database or a shared resource, not the message: leave it pending, for the next
        # drain to take at once.
        db.session.rollback()
        _release(message_id)
        raise
    except Exception as error:  # one bad message must not block the queue
        db.session.rollback()
        _record_failure(topic, [message_id], error)
        return True


def _release(message_id: int) -> None:
    try:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(claimed_until=None)
        )
        db.session.commit()
    except sa.exc.OperationalError:  # still busy: the claim runs out by itself
        db.session.rollback()


def _run_batch(
    topic: str,
    handle: Callable[..., Any],
    items: list[Item],
    then: Callable[[list[Item]], None] | None,
    transient: tuple[type[BaseException], ...],
) -> int:
    try:
        handle(items)
        db.session.rollback()  # the handler's reads
        claimed = set(_claim([message_id for message_id, _payload in items]))
        if then is not None:
            then([item for item in items if item[0] in claimed])
        db.session.commit()
        return len(items)
    except _not_the_message(transient):
        db.session.rollback()
        raise
    except Exception as error:
        db.session.rollback()
        if len(items) == 1:
            _record_failure(topic, [items[0][0]], error)
            return 1
    # Isolate the bad message(s): each alone, so the others are not held back.
    return sum(_run_batch(topic, handle, [item], then, transient) for item in items)


def _not_the_message(transient: tuple[type[BaseException], ...]) -> tuple[type[BaseException], ...]:
    """Exceptions that leave messages pending without an attempt: the database's, and the
    caller's ``transient`` ones."""
    return (sa.exc.OperationalError, *transient)


def _record_failure(topic: str, message_ids: list[int], error: Exception) -> None:
    """Count an attempt (own short transaction); give the message up after MAX_ATTEMPTS."""
    text = f"{type(error).__name__}: {error}"[:2000]
    for message_id in message_ids:
        message = db.session.get(OutboxMessage, message_id)
        if message is None or message.processed_at is not None:
            continue
        message.attempts += 1
        message.last_error = text
        message.claimed_until = None
        if message.attempts >= MAX_ATTEMPTS:
            message.processed_at = utcnow()
            log.error(
                "outbox %s message %s given up after %s attempts: %s",
                topic,
                message_id,
                message.attempts,
                text,
                exc_info=error,
            )
        else:
            log.warning(
                "outbox %s message %s failed (attempt %s of %s): %s",
                topic,
                message_id,
                message.attempts,
                MAX_ATTEMPTS,
                text,
            )
    db.session.commit()


@contextlib.contextmanager
def _lease(topic: str, slots: int | None) -> Iterator[bool]:
    """Whether this process may drain ``topic`` now: at most ``slots`` drainers at a time
    (None: no limit).

    PostgreSQL: a session advisory lock per slot on a connection of its own (released if the
    process dies). SQLite lives on one machine: an flock per slot beside the instance's data.
    """
    if slots is None:
        yield True
        return
    with contextlib.ExitStack() as stack:
        for slot in range(slots):
            if stack.enter_context(_slot(f"{topic}-{slot}")):
                yield True
                return
        yield False


@contextlib.contextmanager
def _slot(name: str) -> Iterator[bool]:
    if db.engine.dialect.name == "postgresql":
        key = zlib.crc32(f"outbox:{name}".encode())
        with db.engine.connect() as connection:
            held = bool(connection.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar())
            connection.commit()
            try:
                yield held
            finally:
                if held:
                    connection.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                    connection.commit()
        return
    path = Path(current_app.instance_path) / f"outbox-{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
