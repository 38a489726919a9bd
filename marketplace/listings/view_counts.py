"""Listing page views: counted in Redis (or, on the embedded setup, in the web process) and
folded into ``listings.view_count`` in batches, so a page view costs no database write.

Before, every anonymous detail view ran an UPDATE and a commit: on SQLite a write lock per page
view, on PostgreSQL a new row version and WAL per view of a hot listing. Now a view is one
``HINCRBY`` (which also returns the views not yet folded, so the page shows the exact count);
the ``fold-listing-views`` beat task moves the pending counts into the database in one
transaction a minute. Without Redis each web process keeps its own pending counts and folds them
itself at most every ``VIEW_FOLD_SECONDS`` (and when it exits).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import uuid
import weakref
from collections import Counter
from typing import Protocol, cast

import redis
import sqlalchemy as sa
from flask import Flask, current_app

from marketplace.extensions import db
from marketplace.listings.models import Listing

log = logging.getLogger(__name__)

PENDING_KEY = "marketplace:listing-views"
# A batch being folded is renamed to one of these first: views counted meanwhile go to a fresh
# PENDING_KEY, and a batch left by a fold that died is picked up by the next one.
FOLDING_PREFIX = "marketplace:listing-views:folding:"
FOLD_LOCK = "marketplace:listing-views:fold-lock"


class ViewCounter(Protocol):
    def add(self, listing_id: int) -> int:
        """Count one view; returns the listing's views not yet in the database."""

    def pending(self, listing_id: int) -> int:
        """The listing's views not yet in the database."""

    def fold(self) -> int:
        """Move pending counts into ``listings.view_count``; returns how many views moved."""

    def reset(self) -> None:
        """Drop pending counts (after restoring the database from a backup; between tests)."""


def _apply(counts: dict[int, int]) -> int:
    """Add the counts in one short transaction: one statement executed for many rows (ids in
    order, so two folds never deadlock)."""
    if not counts:
        return 0
    listings = cast(sa.Table, Listing.__table__)
    statement = (
        sa.update(listings)
        .where(listings.c.id == sa.bindparam("listing_id"))
        .values(view_count=listings.c.view_count + sa.bindparam("views"))
    )
    db.session.execute(
        statement,
        [{"listing_id": listing_id, "views": counts[listing_id]} for listing_id in sorted(counts)],
    )
    db.session.commit()
    return sum(counts.values())


class RedisViewCounter:
    """Pending views in one Redis hash shared by every web host."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def add(self, listing_id: int) -> int:
        return int(self.client.hincrby(PENDING_KEY, str(listing_id), 1))  # type: ignore[arg-type]

    def pending(self, listing_id: int) -> int:
        return int(self.client.hget(PENDING_KEY, str(listing_id)) or 0)  # type: ignore[arg-type]

    def fold(self) -> int:
        lock = self.client.lock(FOLD_LOCK, timeout=300, blocking=False)
        if not lock.acquire():
            return 0  # another fold is running; it takes these views too
        try:
            with contextlib.suppress(redis.ResponseError):  # no views since the last fold
                self.client.rename(PENDING_KEY, FOLDING_PREFIX + uuid.uuid4().hex)
            moved = 0
            for key in list(self.client.scan_iter(match=FOLDING_PREFIX + "*")):
                raw: dict[bytes, bytes] = self.client.hgetall(key)  # type: ignore[assignment]
                moved += _apply({int(k): int(v) for k, v in raw.items()})
                # Deleted only after the commit: a crash in between counts this batch twice
                # at the next fold (milliseconds of exposure), but never loses it.
                self.client.delete(key)
            return moved
        finally:
            lock.release()

    def reset(self) -> None:
        self.client.delete(PENDING_KEY, *self.client.scan_iter(match=FOLDING_PREFIX + "*"))


class LocalViewCounter:
    """Pending views in this process, folded by the process itself every ``interval`` s."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.counts: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.last_fold = time.monotonic()

    def add(self, listing_id: int) -> int:
        with self.lock:
            self.counts[listing_id] += 1
            pending = self.counts[listing_id]
            due = time.monotonic() - self.last_fold >= self.interval
        if due:
            self.fold()
            with self.lock:
                pending = self.counts[listing_id]
        return pending

    def pending(self, listing_id: int) -> int:
        with self.lock:
            return self.counts[listing_id]

    def fold(self) -> int:
        with self.lock:
            taken, self.counts = self.counts, Counter()
            self.last_fold = time.monotonic()
        try:
            return _apply(dict(taken))
        except sa.exc.OperationalError:
            # The database is busy (a long import holds SQLite's lock): keep the views for the
            # next fold instead of failing the page that triggered this one.
            db.session.rollback()
            with self.lock:
                self.counts.update(taken)
            log.info("listing views not folded yet: database busy")
            return 0

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()


def init_view_counter(app: Flask) -> None:
    """Choose the counter: Redis when one is configured, else in-process."""
    url = app.config.get("VIEW_COUNTER_URL")
    counter: ViewCounter
    if url:
        counter = RedisViewCounter(url)
    else:
        local = LocalViewCounter(float(app.config.get("VIEW_FOLD_SECONDS", 30)))
        counter = local
        app_ref = weakref.ref(app)  # the exit hook must not keep every app alive (tests)

        def fold_at_exit() -> None:
            live = app_ref()
            if live is not None and local.counts:
                with live.app_context():
                    local.fold()

        atexit.register(fold_at_exit)
    app.extensions["view_counter"] = counter


def counter() -> ViewCounter:
    return current_app.extensions["view_counter"]


def count_view(listing_id: int) -> int:
    """Count a view; returns the views not yet folded (0 if the counter is unreachable: a page
    view must not fail because Redis is down, it just goes uncounted)."""
    try:
        return counter().add(listing_id)
    except redis.RedisError:
        log.warning("listing view not counted: counter unreachable", exc_info=True)
        return 0


def pending_views(listing_id: int) -> int:
    """The listing's views not yet folded (0 if the counter is unreachable)."""
    try:
        return counter().pending(listing_id)
    except redis.RedisError:
        log.warning("pending listing views unknown: counter unreachable", exc_info=True)
        return 0


def fold_views() -> int:
    """Move every pending view into the database (the beat task; safe to run at any time)."""
    return counter().fold()


def shown_views(listing: Listing, pending: int) -> int:
    """What a page shows: the folded count plus this listing's pending views."""
    return int(listing.view_count or 0) + pending
