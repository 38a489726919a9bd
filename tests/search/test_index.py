"""The Whoosh index: the outbox drain, reindex generations and check (search semantics shared
by both backends are in test_backends.py)."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.outbox import enqueue
from marketplace.search import index as search_index
from marketplace.search.query import SearchRequest, search
from tests.factories import AchievementFactory as _AchievementFactory
from tests.factories import DemandFactory as _DemandFactory


def AchievementFactory(**kwargs):
    kwargs.setdefault("keywords", [])
    return _AchievementFactory(**kwargs)


def DemandFactory(**kwargs):
    kwargs.setdefault("keywords", [])
    return _DemandFactory(**kwargs)


def _publish_event(listing_id: int) -> None:
    enqueue("search", {"listing_id": listing_id})
    db.session.commit()


def _ids(q: str, kind: str = "achievement", **kwargs) -> list[int]:
    return [hit.id for hit in search(SearchRequest(q=q, kind=kind, **kwargs)).hits]


def test_publish_found_close_gone_and_redrain_idempotent(app):
    graphene = AchievementFactory(
        title="石墨烯导热膜制备技术", body="采用化学气相沉积法制备石墨烯薄膜。"
    )
    other = AchievementFactory(title="锂电池回收工艺", body="废旧锂电池的湿法回收。")
    draft = AchievementFactory(title="石墨烯涂料", body="石墨烯防腐涂料", status="draft")
    for listing in (graphene, other, draft):
        _publish_event(listing.id)
    assert search_index.drain_search_outbox() == 3
    assert _ids("石墨烯") == [graphene.id]
    assert _ids("锂电池 回收") == [other.id]
    assert _ids("锂电池回收") == [other.id]

    graphene.status = "closed"
    _publish_event(graphene.id)
    assert search_index.drain_search_outbox() == 1
    assert _ids("石墨烯") == []

    # Re-draining the same messages (as after a crash before the commit) changes nothing.
    for listing in (graphene, other, draft):
        _publish_event(listing.id)
    search_index.drain_search_outbox()
    search_index.drain_search_outbox()
    assert _ids("石墨烯") == []
    assert _ids("锂电池") == [other.id]
    assert search_index.check().clean


def test_reindex_swaps_and_check_finds_drift(app):
    listings = [AchievementFactory(title=f"石墨烯应用{i}", body="石墨烯") for i in range(5)]
    before = search_index.current_generation(search_index.index_root())
    report = search_index.reindex(procs=1)
    assert report["documents"] == 5
    assert search_index.current_generation(search_index.index_root()) != before
    assert search_index.check().clean
    assert len(_ids("石墨烯")) == 5

    # The database changes behind the index's back: check reports each difference.
    listings[0].status = "closed"
    listings[1].title = "完全不同的标题"
    db.session.commit()
    extra = AchievementFactory(title="新的成果", body="")
    report = search_index.check()
    assert not report.clean
    assert ("achievement", listings[0].id) in report.extra
    assert ("achievement", listings[1].id) in report.stale
    assert ("achievement", extra.id) in report.missing
    search_index.reindex(procs=1)
    assert search_index.check().clean


@pytest.mark.parametrize("procs", [2])
def test_reindex_with_two_processes(app, procs):
    for i in range(30):
        AchievementFactory(title=f"锂电池回收技术{i}", body="废旧锂电池回收")
    report = search_index.reindex(procs=procs)
    assert report["documents"] == 30
    assert search(SearchRequest(q="锂电池")).total == 30
