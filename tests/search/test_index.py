"""Indexing through the outbox drain, searching, reindex and check."""

from __future__ import annotations

from decimal import Decimal

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
    graphene = AchievementFactory(title="石墨烯导热膜制备技术",
                                  body="采用化学气相沉积法制备石墨烯薄膜。")
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


def test_snippets_escape_user_text_and_mark_terms(app):
    listing = AchievementFactory(title="<script>alert(1)</script> 石墨烯 & 电池",
                                 body="石墨烯<b>粗体</b>导电浆料，用于锂电池。")
    search_index.index_listings([listing.id])
    result = search(SearchRequest(q="石墨烯"))
    hit = result.hits[0]
    assert "<script>" not in hit.title and "&lt;script&gt;" in hit.title
    assert "<mark>石墨烯</mark>" in hit.title
    assert "<b>" not in hit.snippet and "&lt;b&gt;" in hit.snippet
    assert "<mark>石墨烯</mark>" in hit.snippet


def test_facets_filters_sort_and_odd_queries(app):
    a = AchievementFactory(title="污水处理膜材料", body="反渗透膜用于工业污水处理",
                           field="environment", price=Decimal("80000"),
                           modes=["transfer", "license"])
    b = AchievementFactory(title="污水处理生物反应器", body="膜生物反应器处理生活污水",
                           field="environment", price=Decimal("2000000"), modes=["license"])
    c = AchievementFactory(title="污水监测传感器", body="污水处理厂在线水质监测",
                           field="electronic_info", price=None, modes=[])
    search_index.index_listings([a.id, b.id, c.id])
    result = search(SearchRequest(q="污水处理"))
    assert result.total == 3
    assert dict(result.facets["field"]) == {"environment": 2, "electronic_info": 1}
    assert dict(result.facets["price_band"]) == {"lt100k": 1, "1m_5m": 1, "negotiable": 1}
    # A listing counts under each of its modes.
    assert dict(result.facets["modes"]) == {"license": 2, "transfer": 1}
    assert sorted(_ids("污水处理", filters=(("field", "environment"),))) == sorted([a.id, b.id])
    assert _ids("污水处理 膜", filters=(("price", "lt100k"),)) == [a.id]
    assert _ids("污水处理", sort="price")[:2] == [a.id, b.id]
    assert search(SearchRequest(q="的 了 ，。")).total == 0
    assert search(SearchRequest(q="zzqqxx 不存在的东西")).total == 0
    huge = search(SearchRequest(q="污水 " * 500))
    assert huge.truncated and huge.total == 3
    assert search(SearchRequest(q="", page=999999)).hits == []
    assert search(SearchRequest(q="")).total == 3


def test_demands_index_separately(app):
    demand = DemandFactory(title="寻求石墨烯散热方案", body="手机散热需要石墨烯导热膜")
    achievement = AchievementFactory(title="石墨烯散热膜", body="石墨烯")
    search_index.index_listings([demand.id, achievement.id])
    assert _ids("石墨烯", kind="demand") == [demand.id]
    assert _ids("石墨烯", kind="achievement") == [achievement.id]


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
