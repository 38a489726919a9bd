"""The search page, the search API, matching and the matches API."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from marketplace.deals.models import Deal
from marketplace.deals.suggestions import refresh_matches
from marketplace.extensions import db
from marketplace.outbox import OutboxMessage
from marketplace.search.index import index_listings
from marketplace.search.matching import reason_text
from marketplace.search.models import ListingMatch
from tests.search.helpers import achievement, demand


def _corpus():
    items = [
        achievement(
            title="石墨烯导热膜",
            body="<i>高导热</i>石墨烯薄膜用于手机散热",
            field="new_materials",
            price=Decimal("300000"),
        ),
        achievement(
            title="锂电池回收工艺", body="废旧锂电池湿法回收钴镍锂", field="environment", price=None
        ),
        achievement(
            title="污水处理膜组件",
            body="反渗透膜用于工业污水处理",
            field="environment",
            price=Decimal("2000000"),
        ),
    ]
    index_listings([i.id for i in items])
    return items


def test_search_page_shows_facets_highlights_and_escapes(app, client):
    _corpus()
    page = client.get("/search?q=石墨烯").get_data(as_text=True)
    assert "<mark>石墨烯</mark>导热膜" in page
    assert "&lt;i&gt;高导热&lt;/i&gt;" in page and "<i>高导热" not in page
    assert 'data-testid="facets"' in page
    empty = client.get("/search?q=的").get_data(as_text=True)
    assert 'data-testid="no-results"' in empty
    for q in ["", "x" * 5000, "((( OR AND", "锂电池 回收", "%00"]:
        assert client.get("/search", query_string={"q": q, "page": "abc"}).status_code == 200
    filtered = client.get("/search?q=膜&field=environment").get_data(as_text=True)
    assert "污水处理<mark>膜</mark>组件" in filtered and "石墨烯导热" not in filtered


def test_search_api_shape(app, client):
    _corpus()
    body = client.get("/api/v1/search?q=锂电池 回收&kind=achievement").json
    assert set(body) >= {"items", "total", "page", "per_page", "facets"}
    assert body["total"] == 1
    hit = body["items"][0]
    assert hit["title"] == "锂电池回收工艺"
    assert "<mark>" in hit["snippet"] and hit["price"] is None
    assert {"value": "environment", "count": 1} in body["facets"]["field"]
    env = client.get("/api/v1/search?q=膜&field=environment").json
    assert [i["title"] for i in env["items"]] == ["污水处理膜组件"]
    assert client.get("/api/v1/search?kind=nonsense").status_code == 422
    assert client.get("/api/v1/search?q=石墨烯&kind=demand").json["total"] == 0


def test_matching_ranks_with_reasons_and_suggests(app, make_app):
    items = _corpus()
    wanted = demand(
        title="寻求锂电池回收技术",
        body="我公司需要废旧锂电池回收利用的湿法工艺",
        field="environment",
        budget_max=Decimal("500000"),
    )
    index_listings([wanted.id])
    app.config["MATCH_SUGGESTION_MIN_SCORE"] = 0.3
    matches = refresh_matches(wanted.id)
    db.session.commit()
    assert matches and matches[0].listing_id == items[1].id
    codes = {r["code"] for r in matches[0].reasons}
    assert {"shared_terms", "same_field"} <= codes
    # The expensive membrane (2,000,000 > budget 500,000) is not hidden: the price is a reason.
    dear = next((m for m in matches if m.listing_id == items[2].id), None)
    if dear is not None:
        assert {r["code"] for r in dear.reasons} >= {"price_above_budget"}
    rows = db.session.execute(sa.select(ListingMatch)).scalars().all()
    assert {(r.demand_id, r.achievement_id) for r in rows} >= {(wanted.id, items[1].id)}
    deal = db.session.execute(sa.select(Deal)).scalar_one()
    assert (deal.demand_id, deal.achievement_id, deal.stage) == (
        wanted.id,
        items[1].id,
        "suggested",
    )
    notes = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.topic == "notify"))
    assert any(m.payload["kind"] == "match_suggested" for m in notes.scalars())
    # Closing the demand removes its rows; recomputing is idempotent.
    wanted.status = "closed"
    db.session.commit()
    refresh_matches(wanted.id)
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(ListingMatch)).scalar() == 0


def test_price_above_budget_is_a_reason_never_a_filter(app):
    """A relevant listing priced above the budget still matches, in both directions, with the
    reason 报价高于预算; within budget ranks first (a soft boost); negotiable always matches."""
    body = "高效光伏组件清洗机器人，适用于大型光伏电站的自动清洗"
    cheap = achievement(
        title="光伏清洗机器人", body=body, field="new_energy", price=Decimal("800000")
    )
    dear = achievement(
        title="光伏清洗机器人", body=body, field="new_energy", price=Decimal("5000000")
    )
    free = achievement(title="光伏清洗机器人", body=body, field="new_energy", price=None)
    wanted = demand(
        title="寻求光伏清洗机器人", body=body, field="new_energy", budget_max=Decimal("1000000")
    )
    index_listings([cheap.id, dear.id, free.id, wanted.id])
    found = {m.listing_id: m for m in refresh_matches(wanted.id)}
    assert set(found) == {cheap.id, dear.id, free.id}
    assert found[cheap.id].score > found[dear.id].score
    codes = {r["code"] for r in found[dear.id].reasons}
    assert "price_above_budget" in codes and "price_within_budget" not in codes
    assert "price_within_budget" in {r["code"] for r in found[cheap.id].reasons}

    rich = demand(title="光伏清洗机器人采购", body=body, budget_max=Decimal("9000000"))
    poor = demand(title="光伏清洗机器人需求", body=body, budget_max=Decimal("2000000"))
    index_listings([rich.id, poor.id])
    found = {m.listing_id: m for m in refresh_matches(dear.id)}
    assert rich.id in found and poor.id in found
    assert "price_above_budget" in {r["code"] for r in found[poor.id].reasons}
    with app.test_request_context():  # zh_CN, the default language
        assert reason_text({"code": "price_above_budget"}) == "报价高于预算"


def test_matching_on_a_small_index_ignores_words_no_listing_has(app):
    """Regression: with few listings every real term is "frequent" (in more than 5% of the
    documents), and the fallback kept the "rarest" terms — words no listing contains, which
    cannot match — so a new or regional site found no matches at all."""
    fit = achievement(
        title="印染废水膜分离与中水回用成套技术",
        field="environment",
        body="采用陶瓷膜与反渗透组合工艺处理印染废水，出水回用于漂染工序。",
        keywords=["印染废水", "膜分离", "中水回用"],
        price=Decimal("600000"),
    )
    near = achievement(
        title="印染废水臭氧催化氧化深度处理技术",
        field="environment",
        body="以臭氧催化氧化深度处理印染废水，COD去除率85%以上。",
        price=Decimal("300000"),
    )
    other = achievement(
        title="石墨烯导热膜制备技术", body="化学气相沉积法制备石墨烯薄膜。", field="new_materials"
    )
    wanted = demand(
        title="印染废水深度处理与中水回用技术需求",
        field="environment",
        body="我公司是温州的印染企业，日排印染废水三千吨，需要低成本的深度处理"
        "与中水回用技术，要求出水稳定达标并回用于生产。",
        keywords=["印染废水", "中水回用", "深度处理"],
        budget_max=Decimal("1000000"),
    )
    index_listings([fit.id, near.id, other.id, wanted.id])
    found = [m.listing_id for m in refresh_matches(wanted.id)]
    assert found[:2] == [fit.id, near.id] and other.id not in found
