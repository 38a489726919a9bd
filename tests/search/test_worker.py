"""A real search worker indexes published listings; a SIGKILL mid-drain loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.outbox import OutboxMessage, dispatch, enqueue, pending_count
from marketplace.search.index import check
from marketplace.search.query import SearchRequest, search
from tests.conftest import wait_for
from tests.search.helpers import achievement


@pytest.fixture(autouse=True)
def _whoosh(worker_app):
    """These tests are about the worker's Whoosh index (on PostgreSQL too)."""
    worker_app.config["SEARCH_BACKEND"] = "whoosh"


def _change(listing, **changes):
    """What the listings service does: change the row and enqueue in the same transaction."""
    db.session.rollback()  # a fresh snapshot: SQLite refuses writes from a stale read snapshot
    for key, value in changes.items():
        setattr(listing, key, value)
    enqueue("search", {"listing_id": listing.id})
    enqueue("matching", {"listing_id": listing.id})
    db.session.commit()


def _found(q: str) -> list[int]:
    return [hit.id for hit in search(SearchRequest(q=q)).hits]


@pytest.mark.worker
def test_published_listing_is_found_and_closed_one_disappears(worker_app, start_worker):
    worker = start_worker("search")
    listing = achievement(
        title="钙钛矿太阳能电池封装", body="钙钛矿电池的柔性封装工艺", status="pending"
    )
    _change(listing, status="published")
    wait_for(
        lambda: _found("钙钛矿") == [listing.id],
        timeout=60,
        message="published listing searchable\n" + worker.output()[-2000:],
    )
    _change(listing, status="closed")
    wait_for(lambda: _found("钙钛矿") == [], timeout=60, message="closed listing gone")
    assert check().clean


@pytest.mark.worker
@pytest.mark.crash
def test_sigkill_mid_drain_loses_nothing(worker_app, start_worker):
    listings = [
        achievement(title=f"固态电池电解质{i}", body="硫化物固态电解质的制备", status="pending")
        for i in range(120)
    ]
    worker = start_worker("search")
    db.session.rollback()
    for listing in listings:
        listing.status = "published"
        enqueue("search", {"listing_id": listing.id})
    db.session.commit()

    # Kill as soon as the drain has started (some work done, some not) — or right away.
    def started() -> bool:
        db.session.rollback()
        return pending_count("search") < 120 or "received" in worker.output()

    wait_for(started, timeout=60, interval=0.05, message="drain started")
    worker.kill()
    db.session.remove()
    start_worker("search")
    dispatch("search")  # what the periodic sweep does for topics with pending messages

    def drained() -> bool:
        db.session.rollback()
        return pending_count("search") == 0

    wait_for(drained, timeout=120, message="outbox drained")
    db.session.remove()
    report = check()
    assert report.clean, report.lines()
    assert search(SearchRequest(q="固态电池")).total == 120


@pytest.mark.worker
def test_a_new_search_worker_host_builds_its_index_from_the_database(worker_app, start_worker):
    """Nothing is pending in the outbox (another host's worker processed it long ago) and this
    host's disk holds no index: the worker builds it before serving the queue."""
    listings = [achievement(title=f"海水淡化反渗透膜{i}", body="反渗透") for i in range(3)]
    db.session.execute(sa.update(OutboxMessage).values(processed_at=utcnow()))
    db.session.commit()
    assert not (Path(worker_app.config["SEARCH_INDEX_DIR"]) / "CURRENT").exists()
    worker = start_worker("search")
    wait_for(
        lambda: len(_found("反渗透")) == 3,
        timeout=90,
        message="index built on start\n" + worker.output()[-2000:],
    )
    assert {hit for hit in _found("海水淡化")} == {listing.id for listing in listings}
    assert check().clean
