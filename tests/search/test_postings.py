"""The PostgreSQL backend's postings: one per word of a published listing, ranked and packed
so that a search needs no other table to find, count and pool its hits."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.search import facet_codes
from marketplace.search.facet_codes import SLOTS, filter_sql
from marketplace.search.pg_search import tsquery_text
from marketplace.search.query import SearchRequest, search
from marketplace.search.results import FILTERS
from marketplace.search.search_rows import RANK_WEIGHTS
from tests.search.helpers import achievement, demand


def test_every_facet_value_has_a_code_and_comes_back_from_it():
    for slot in SLOTS:
        values = [slot.none, *slot.values] if slot.facet != "province" else []
        values += ["unknown", "110000", "820000"] if slot.facet == "province" else []
        for value in values:
            code = slot.code(value)
            assert code is not None and 0 <= code <= slot.mask
            assert slot.value(code) == value
        assert slot.code("no-such-value") is None
    for mode in facet_codes.MODE_CODES:
        assert facet_codes.mode_bit(mode) is not None
    params: dict = {}
    # A value no listing can have finds nothing, as an equality on the text would.
    assert "FALSE" in filter_sql("f", ("achievement",), (("region", "110100"),), FILTERS, params)
    assert "FALSE" in filter_sql("f", ("achievement",), (("mode", "barter"),), FILTERS, params)


def test_summed_word_ranks_order_hits_as_ts_rank_of_the_query(pg_app):
    achievement(title="锂电池回收", body="锂电池 回收 工艺 锂电池", keywords=["回收"])
    achievement(title="电池隔膜", body="锂电池隔膜 湿法 工艺")
    achievement(title="废旧塑料回收", body="回收 塑料 造粒", region="310000")
    demand(title="求锂电池回收工艺", body="我们需要锂电池回收的工艺")
    db.session.commit()
    terms = ["锂电池", "回收", "工艺"]
    rows = db.session.execute(
        sa.text(
            "SELECT p.listing_id, sum(p.weight) AS summed, count(*) AS words, "  # noqa: S608
            f"ts_rank('{RANK_WEIGHTS}', s.vector, CAST(:q AS tsquery)) AS rank "
            "FROM search_postings p JOIN listing_search s USING (listing_id) "
            "WHERE p.word = ANY(:terms) GROUP BY p.listing_id, s.vector"
        ),
        {"terms": terms, "q": tsquery_text(terms, "|")},
    ).all()
    assert len(rows) == 4
    for row in rows:
        # calc_rank_or: the rank of an "or" query is the mean of its words' own ranks.
        assert row.summed / len(terms) == pytest.approx(row.rank, rel=1e-5)


def test_only_published_listings_have_postings(pg_app):
    listing = achievement(title="钙钛矿叠层电池", body="钙钛矿 电池", status="draft")
    db.session.commit()

    def postings() -> int:
        return db.session.execute(
            sa.text("SELECT count(*) FROM search_postings WHERE listing_id = :id"),
            {"id": listing.id},
        ).scalar_one()

    assert postings() == 0
    listing.status = "published"
    db.session.commit()
    assert postings() > 0
    assert [h.id for h in search(SearchRequest(q="钙钛矿")).hits] == [listing.id]
    listing.status = "closed"
    db.session.commit()
    assert postings() == 0
    assert search(SearchRequest(q="钙钛矿")).total == 0


def test_facets_and_filters_come_from_the_packed_codes(pg_app):
    achievement(
        title="工业废水处理膜",
        field="environment",
        maturity=6,
        ip_type="invention_patent",
        price=Decimal("300000"),
        region="110105",
        modes=["license", "transfer"],
    )
    achievement(
        title="工业废水回用", field="environment", maturity=2, price=None, region="", modes=[]
    )
    db.session.commit()
    result = search(SearchRequest(q="工业 废水"))
    assert result.total == 2
    assert dict(result.facets["field"]) == {"environment": 2}
    assert dict(result.facets["maturity_stage"]) == {"pilot": 1, "research": 1}
    assert dict(result.facets["price_band"])["100k_500k"] == 1
    assert dict(result.facets["price_band"])["negotiable"] == 1
    assert "110000" in dict(result.facets["province"])
    assert dict(result.facets["modes"]) == {"license": 1, "transfer": 1}
    filtered = (("region", "110000"), ("mode", "license"), ("maturity", "pilot"))
    assert search(SearchRequest(q="工业 废水", filters=filtered)).total == 1
    assert search(SearchRequest(q="工业 废水", filters=(("region", "999999"),))).total == 0


def test_check_finds_damaged_postings_and_reindex_repairs(pg_app):
    runner = pg_app.test_cli_runner()
    first, second = (achievement(title=f"钠离子电池正极{i}", body="钠离子") for i in range(2))
    draft = achievement(title="钠离子电池负极", status="draft")
    db.session.commit()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    db.session.execute(
        sa.text("DELETE FROM search_postings WHERE listing_id = :id AND word = '钠离子'"),
        {"id": first.id},
    )
    db.session.execute(
        sa.text("UPDATE search_postings SET facets = facets # 2 WHERE listing_id = :id"),
        {"id": second.id},
    )
    db.session.execute(
        sa.text(
            "INSERT INTO search_postings (word, listing_id, weight, facets) "
            "VALUES ('钠离子', :id, 1, 0)"
        ),
        {"id": draft.id},
    )
    db.session.commit()
    assert {h.id for h in search(SearchRequest(q="钠离子")).hits} == {second.id, draft.id}
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    for listing in (first, second, draft):
        assert f"stale postings of achievement {listing.id}" in result.output
    result = runner.invoke(args=["search", "reindex", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert {h.id for h in search(SearchRequest(q="钠离子")).hits} == {first.id, second.id}
