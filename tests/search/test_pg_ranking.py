"""The PostgreSQL backend reads the hits once and ranks a pool of them (issue 17 item 5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from marketplace.search import pg_search
from marketplace.search.query import SearchRequest, search
from tests.search.helpers import achievement


def _listings() -> tuple[list[int], list[int]]:
    both = [
        achievement(title=f"锂电池回收线{i}", body="锂电池 回收", price=Decimal(10_000 * (i + 1)))
        for i in range(3)
    ]
    some = [
        achievement(title=f"锂电池隔膜{i}", body="隔膜", price=Decimal(5_000 * (i + 1)))
        for i in range(2)
    ] + [
        achievement(title=f"废塑料回收{i}", body="塑料", price=Decimal(7_000 * (i + 1)))
        for i in range(2)
    ]
    db.session.commit()
    return [x.id for x in both], [x.id for x in some]


def test_a_search_reads_the_postings_once(pg_app):
    _listings()
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = search(SearchRequest(q="锂电池 回收"))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert result.total == 7 and result.all_words_total == 3 and len(result.hits) == 7
    # Facet counts and the page come from one statement: the postings are read once, and the
    # narrow rows only there (for the pool).
    assert sum("search_postings" in statement for statement in statements) == 1
    assert sum("listing_search" in statement for statement in statements) == 1


@pytest.mark.parametrize("sort", ["relevance", "price", "newest"])
def test_pages_run_on_from_all_words_to_some_words(pg_app, sort):
    both, some = _listings()
    whole = search(SearchRequest(q="锂电池 回收", sort=sort, per_page=20)).hits
    assert {h.id for h in whole[:3]} == set(both) and {h.id for h in whole[3:]} == set(some)
    assert [h.all_words for h in whole] == [True] * 3 + [False] * 4
    paged = [
        hit
        for page in range(1, 5)
        for hit in search(SearchRequest(q="锂电池 回收", sort=sort, per_page=2, page=page)).hits
    ]
    assert [h.id for h in paged] == [h.id for h in whole]
    if sort == "price":
        prices = [h.stored["price"] for h in whole]
        assert prices[:3] == sorted(prices[:3]) and prices[3:] == sorted(prices[3:])


def test_the_pool_keeps_title_hits_first(pg_app, monkeypatch):
    in_body = achievement(title="隔膜材料", body="用于锂电池的隔膜，锂电池")
    in_title = achievement(title="锂电池隔膜", body="隔膜材料")
    db.session.commit()
    full = search(SearchRequest(q="锂电池")).hits
    # The smallest pool there can be: only the page's own rows are ranked by ts_rank_cd.
    monkeypatch.setattr(pg_search, "POOL_MIN", 1)
    monkeypatch.setattr(pg_search, "POOL_FACTOR", 1)
    first = search(SearchRequest(q="锂电池", per_page=1)).hits
    assert [h.id for h in full] == [in_title.id, in_body.id]
    assert [h.id for h in first] == [in_title.id]
    assert first[0].score == pytest.approx(full[0].score)
