"""One set of search tests for every backend: Whoosh always, PostgreSQL when the suite runs on it.

The PostgreSQL backend reads the listings' own search columns, kept in the listing's transaction,
so nothing is indexed separately; Whoosh gets the listings through ``index_listings``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.search.index import index_listings
from marketplace.search.models import SearchWord
from marketplace.search.query import SearchRequest, search
from marketplace.search.vectors import check_vectors, refresh_lexicon
from tests.factories import OrganisationFactory
from tests.search.helpers import achievement, demand
from worker.schedule import BEAT_SCHEDULE
from worker.tasks.search import refresh_search_lexicon


@pytest.fixture(params=["whoosh", "postgresql"])
def backend(request, app):
    if request.param == "postgresql" and db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backend runs when the suite runs on PostgreSQL")
    app.config["SEARCH_BACKEND"] = request.param
    return request.param


def searchable(backend: str, listings) -> None:
    """What the backend needs before the listings are found (the worker's part for Whoosh)."""
    if backend == "whoosh":
        index_listings([listing.id for listing in listings])
    else:
        refresh_lexicon()  # only "did you mean" reads it; the columns are already current


def _ids(q: str, kind: str = "achievement", **kwargs) -> list[int]:
    return [hit.id for hit in search(SearchRequest(q=q, kind=kind, **kwargs)).hits]


def test_found_by_each_word_and_compound_and_closed_ones_gone(app, backend):
    graphene = achievement(title="石墨烯导热膜制备技术", body="采用化学气相沉积法制备石墨烯薄膜。")
    battery = achievement(title="锂电池回收工艺", body="废旧锂电池的湿法回收。")
    draft = achievement(title="石墨烯涂料", body="石墨烯防腐涂料", status="draft")
    searchable(backend, [graphene, battery, draft])
    assert _ids("石墨烯") == [graphene.id]
    assert _ids("锂电池 回收") == [battery.id]
    assert _ids("锂电池回收") == [battery.id]
    graphene.status = "closed"
    db.session.commit()
    searchable(backend, [graphene])
    assert _ids("石墨烯") == []


def test_all_words_first_then_some_words_never_nothing(app, backend):
    both = achievement(title="锂电池回收设备", body="废旧锂电池拆解与回收")
    battery_only = achievement(title="锂电池隔膜", body="高安全锂电池隔膜材料")
    recycling_only = achievement(title="废塑料回收", body="废塑料化学回收")
    unrelated = achievement(title="茶叶杀青机", body="滚筒式杀青设备")
    searchable(backend, [both, battery_only, recycling_only, unrelated])
    result = search(SearchRequest(q="锂电池 回收"))
    ids = [hit.id for hit in result.hits]
    assert ids[0] == both.id and set(ids) == {both.id, battery_only.id, recycling_only.id}
    assert result.total == 3 and result.all_words_total == 1 and result.partial
    assert [hit.all_words for hit in result.hits] == [True, False, False]
    # A word nobody uses does not empty the page.
    assert set(_ids("锂电池 量子纠缠通信")) == {battery_only.id, both.id}


def test_patent_numbers_and_organisation_names_are_searched(app, backend):
    org = OrganisationFactory(name="泉州师范学院", kind="university")
    sensor = achievement(
        title="久坐卫士", org=org, body="本产品根据专利技术（ZL201720001285.X）监测坐姿。"
    )
    listed = achievement(title="导热垫片", body="导热硅胶垫片", patent_numbers=["CN201410227707.6"])
    other = achievement(title="久坐提醒坐垫", body="压力传感器坐垫")
    searchable(backend, [sensor, listed, other])
    for q in ("ZL201720001285.X", "201720001285", "2017200012851", "zl 201720001285.x"):
        assert _ids(q) == [sensor.id], q
    assert _ids("ZL201410227707.6") == [listed.id]
    assert _ids("泉州师范学院") == [sensor.id]
    # Renaming the organisation renames what is found.
    org.name = "闽南理工大学"
    db.session.commit()
    searchable(backend, [sensor])
    assert _ids("闽南理工") == [sensor.id] and _ids("泉州师范学院") == []
    if backend == "postgresql":
        assert check_vectors().clean


def test_all_kinds_together(app, backend):
    offer = achievement(title="光伏清洗机器人", body="光伏电站自动清洗")
    wanted = demand(title="寻求光伏清洗机器人", body="需要光伏板清洗机器人")
    searchable(backend, [offer, wanted])
    result = search(SearchRequest(q="光伏 清洗", kind="all"))
    assert {(hit.kind, hit.id) for hit in result.hits} == {
        ("achievement", offer.id),
        ("demand", wanted.id),
    }
    assert result.total == 2 and dict(result.facets["field"]) == {"new_materials": 2}
    assert _ids("光伏", kind="demand") == [wanted.id]
    assert _ids("光伏", kind="achievement") == [offer.id]


def test_snippets_escape_user_text_and_mark_terms(app, backend):
    listing = achievement(
        title="<script>alert(1)</script> 石墨烯 & 电池",
        body="石墨烯<b>粗体</b>导电浆料，用于锂电池。",
    )
    searchable(backend, [listing])
    hit = search(SearchRequest(q="石墨烯")).hits[0]
    assert "<script>" not in hit.title and "&lt;script&gt;" in hit.title
    assert "<mark>石墨烯</mark>" in hit.title
    assert "<b>" not in hit.snippet and "&lt;b&gt;" in hit.snippet
    assert "<mark>石墨烯</mark>" in hit.snippet


def test_facets_filters_sort_and_odd_queries(app, backend):
    a = achievement(
        title="污水处理膜材料",
        body="反渗透膜用于工业污水处理",
        field="environment",
        price=Decimal("80000"),
        modes=["transfer", "license"],
        maturity=2,
    )
    b = achievement(
        title="污水处理生物反应器",
        body="膜生物反应器处理生活污水",
        field="environment",
        price=Decimal("2000000"),
        modes=["license"],
        maturity=8,
    )
    c = achievement(
        title="污水监测传感器",
        body="污水处理厂在线水质监测",
        field="electronic_info",
        price=None,
        modes=[],
        maturity=None,
        region="440300",
    )
    searchable(backend, [a, b, c])
    result = search(SearchRequest(q="污水处理"))
    assert result.total == 3
    assert dict(result.facets["field"]) == {"environment": 2, "electronic_info": 1}
    assert dict(result.facets["price_band"]) == {"lt100k": 1, "1m_5m": 1, "negotiable": 1}
    assert dict(result.facets["maturity_stage"]) == {
        "research": 1,
        "industrial": 1,
        "unclassified": 1,
    }
    assert dict(result.facets["modes"]) == {"license": 2, "transfer": 1}  # one per mode
    assert dict(result.facets["province"])["440000"] == 1
    assert sorted(_ids("污水处理", filters=(("field", "environment"),))) == sorted([a.id, b.id])
    assert _ids("污水处理 膜", filters=(("price", "lt100k"),)) == [a.id]
    assert _ids("污水", filters=(("mode", "transfer"),)) == [a.id]
    assert _ids("污水", filters=(("maturity", "industrial"),)) == [b.id]
    assert _ids("污水", filters=(("region", "440000"),)) == [c.id]
    assert _ids("污水处理", sort="price")[:2] == [a.id, b.id]
    assert search(SearchRequest(q="的 了 ，。")).total == 0
    assert search(SearchRequest(q="zzqqxx 不存在的东西")).total == 0
    huge = search(SearchRequest(q="污水 " * 500))
    assert huge.truncated and huge.total == 3
    assert search(SearchRequest(q="", page=999999)).hits == []
    assert search(SearchRequest(q="")).total == 3
    assert search(SearchRequest(q="'\\\" & | ! :* (污水")).total == 3  # tsquery syntax is text


def test_nothing_found_suggests_words_fields_and_other_kinds(app, backend):
    membrane = achievement(
        title="反渗透膜组件", body="membrane filtration 用于海水淡化", field="environment"
    )
    wanted = demand(title="海水淡化设备需求", body="寻求海水淡化技术", field="environment")
    searchable(backend, [membrane, wanted])
    typo = search(SearchRequest(q="membrain"))
    assert typo.total == 0 and typo.suggestion == "membrane"
    nothing = search(SearchRequest(q="海水淡化", kind="demand", filters=(("field", "aerospace"),)))
    assert nothing.total == 0 and nothing.unfiltered_total == 1 and nothing.other_kind_total == 0
    elsewhere = search(SearchRequest(q="反渗透", kind="demand"))
    assert elsewhere.total == 0 and elsewhere.other_kind_total == 1
    words = search(SearchRequest(q="渗透压"))
    assert words.total == 0 and "反渗透" in words.related_terms
    fields = search(SearchRequest(q="航空航天"))
    assert fields.total == 0 and "aerospace" in fields.related_fields


def test_search_page_offers_all_kinds_and_shows_partial_matches(app, client, backend):
    both = achievement(title="锂电池回收设备", body="锂电池回收")
    some = achievement(title="锂电池隔膜", body="锂电池隔膜")
    wanted = demand(title="锂电池回收需求", body="寻求锂电池回收")
    searchable(backend, [both, some, wanted])
    page = client.get("/search?q=锂电池 回收&kind=all").get_data(as_text=True)
    assert 'value="all" selected' in page
    assert f'/achievements/{some.id}"' in page and f'/demands/{wanted.id}"' in page
    assert 'data-testid="partial-matches"' in page
    empty = client.get("/search?q=membrain").get_data(as_text=True)
    assert 'data-testid="no-results"' in empty
    assert client.get("/api/v1/search?q=锂电池&kind=all").json["total"] == 3


def test_organisation_rename_keeps_vectors_current_in_the_same_transaction(app, backend):
    if backend != "postgresql":
        pytest.skip("the columns exist only on PostgreSQL")
    org = OrganisationFactory(name="东海仪器厂")
    listing = achievement(title="膜分离", org=org)
    db.session.get(Organisation, org.id).name = "西岭生物公司"
    db.session.flush()
    assert _ids("西岭生物公司") == [listing.id]  # visible inside the writing transaction already
    db.session.rollback()
    assert _ids("西岭生物公司") == [] and _ids("东海仪器厂") == [listing.id]


def test_hourly_lexicon_job_learns_new_words(app, backend):
    if backend != "postgresql":
        pytest.skip("the word list is the PostgreSQL backend's")
    achievement(title="钙钛矿叠层电池", body="perovskite tandem")
    assert db.session.get(SearchWord, "perovskite") is None
    assert refresh_search_lexicon.run() > 0
    db.session.expire_all()
    assert db.session.get(SearchWord, "perovskite").doc_count == 1
    assert search(SearchRequest(q="perovskit")).suggestion == "perovskite"
    assert BEAT_SCHEDULE["refresh-search-lexicon"]["task"] == refresh_search_lexicon.name
