"""Listing page views: counted without a database write per view, folded in batches, and shown
exactly (folded count plus views not yet folded)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings import view_counts
from marketplace.listings.models import Listing
from tests import factories as f
from tests.conftest import SERVER_BROKER_URL, login

REDIS = (SERVER_BROKER_URL or "").startswith("redis")


def _shown(page: str) -> int:
    match = re.search(r'data-testid="view-count">\D*(\d+)', page)
    assert match, page[:3000]
    return int(match.group(1))


def _stored(listing_id: int) -> int:
    db.session.expire_all()
    return db.session.execute(
        sa.select(Listing.view_count).where(Listing.id == listing_id)
    ).scalar_one()


@pytest.fixture
def published(make_user: Any) -> Any:
    owner = make_user("researcher")
    listing = f.AchievementFactory(org=owner.org, owner=owner, status="published", view_count=5)
    db.session.commit()
    return owner, listing


def test_n_views_are_shown_at_once_and_stored_after_the_fold(app: Any, published: Any) -> None:
    owner, listing = published
    visitor = app.test_client()
    writes: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        shown = [
            _shown(visitor.get(f"/achievements/{listing.id}").get_data(as_text=True))
            for _ in range(7)
        ]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert shown == [6, 7, 8, 9, 10, 11, 12]  # each page shows itself counted
    assert writes == []  # no database write per page view
    assert _stored(listing.id) == 5

    assert view_counts.fold_views() == 7
    assert _stored(listing.id) == 12
    assert view_counts.fold_views() == 0  # nothing counted twice

    # The owner's own views are not counted, but show the same figure; so does the list.
    owner_client = app.test_client()
    login(owner_client, owner)
    assert _shown(owner_client.get(f"/achievements/{listing.id}").get_data(as_text=True)) == 12
    assert ">12<" in owner_client.get("/my/achievements").get_data(as_text=True)
    assert _shown(visitor.get(f"/achievements/{listing.id}").get_data(as_text=True)) == 13


def test_the_fold_task_moves_the_views(app: Any, published: Any) -> None:
    from worker.tasks.listings import fold_listing_views

    _owner, listing = published
    visitor = app.test_client()
    for _ in range(3):
        visitor.get(f"/achievements/{listing.id}")
    assert fold_listing_views.run() == 3
    assert _stored(listing.id) == 8


@pytest.mark.skipif(REDIS, reason="the in-process counter is the embedded setup's")
def test_without_redis_a_web_process_folds_its_own_views(make_app: Any, make_user: Any) -> None:
    app = make_app(VIEW_FOLD_SECONDS=0)
    with app.app_context():
        owner = make_user("researcher")
        listing = f.AchievementFactory(org=owner.org, status="published", view_count=0)
        db.session.commit()
        visitor = app.test_client()
        for expected in (1, 2, 3):
            assert (
                _shown(visitor.get(f"/achievements/{listing.id}").get_data(as_text=True))
                == expected
            )
            assert _stored(listing.id) == expected


def test_an_unreachable_counter_never_fails_a_page(make_app: Any, make_user: Any) -> None:
    app = make_app(VIEW_COUNTER_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        owner = make_user("researcher")
        listing = f.AchievementFactory(org=owner.org, status="published", view_count=4)
        db.session.commit()
        response = app.test_client().get(f"/achievements/{listing.id}")
        assert response.status_code == 200
        assert _shown(response.get_data(as_text=True)) == 4


@pytest.mark.skipif(not REDIS, reason="the shared counter lives in Redis")
def test_a_batch_left_by_a_fold_that_died_is_folded_by_the_next(app: Any, published: Any) -> None:
    _owner, listing = published
    counter = app.extensions["view_counter"]
    assert isinstance(counter, view_counts.RedisViewCounter)
    counter.client.hset(view_counts.FOLDING_PREFIX + "dead", str(listing.id), 4)
    app.test_client().get(f"/achievements/{listing.id}")
    assert view_counts.fold_views() == 5
    assert _stored(listing.id) == 10
    assert list(counter.client.scan_iter(match=view_counts.FOLDING_PREFIX + "*")) == []
