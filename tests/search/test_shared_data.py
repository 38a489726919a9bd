"""The search page's own example queries on the shared real listings, and the two backends
finding the same listings for the same queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.index import drain_search_outbox
from marketplace.search.query import SearchRequest, search
from tests.conftest import ROOT, SHARED_DATA

_DATA = next(
    (path for path in (SHARED_DATA, ROOT.parent.parent / "shared" / "data") if path.is_dir()),
    SHARED_DATA,
)
# The examples shown on the search page (templates/search/index.html).
EXAMPLES = ("锂电池 回收", "污水处理膜", "手机散热材料", "ZL201410227707.6")
_WORDS = ("锂电池", "回收", "污水", "膜", "散热", "手机", "材料", "201410227707")
AGREEMENT_QUERIES = (
    *EXAMPLES,
    "石墨烯",
    "锂电池回收",
    "污水 处理",
    "传感器 芯片",
    "新能源汽车 电池 管理",
    "中药 提取",
    "LED",
    "3D打印",
    "membrane",
    "示例大学",
    "201410227707",
    "机器人 视觉 检测",
    "的",
    "",
)


def _subset(name: str, tmp_path: Path) -> Path:
    """The listings of the shared file whose title has an example word (or the patent number
    anywhere), and every 25th other one so that the examples compete with unrelated listings:
    a fifth of the rows, a fifth of the import time."""
    rows = (_DATA / "listings" / name).read_text(encoding="utf-8").splitlines()
    kept = [
        line
        for i, line in enumerate(rows)
        if i % 25 == 0
        or "201410227707" in line
        or any(word in json.loads(line)["title"] for word in _WORDS)
    ]
    path = tmp_path / name
    path.write_text("\n".join(kept), encoding="utf-8")
    return path


@pytest.fixture
def shared_listings(app, tmp_path):
    if not (_DATA / "listings" / "achievements.jsonl").is_file():
        pytest.skip("the shared data is not beside this checkout")
    runner = app.test_cli_runner()
    for kind, org in (("achievements", "示例大学"), ("demands", "示例企业")):
        result = runner.invoke(
            args=[
                "import",
                kind,
                str(_subset(f"{kind}.jsonl", tmp_path)),
                "--org",
                org,
                "--publish",
            ]
        )
        assert result.exit_code == 0, result.output
    drain_search_outbox(batch_size=500)  # the Whoosh index (the PostgreSQL columns are current)
    db.session.commit()


@pytest.mark.parametrize("backend", ["whoosh", "postgresql"])
def test_the_search_pages_examples_find_listings(app, client, shared_listings, backend):
    if backend == "postgresql" and db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backend runs when the suite runs on PostgreSQL")
    app.config["SEARCH_BACKEND"] = backend
    for q in EXAMPLES:
        result = search(SearchRequest(q=q, kind="all"))
        assert result.total > 0, q
        first = result.hits[0]
        assert first.all_words or not result.all_words_total, q
        if q != "ZL201410227707.6":  # the number is beyond the 200-character excerpt
            assert "<mark>" in first.title + first.snippet, q
    patent = search(SearchRequest(q="ZL201410227707.6", kind="achievement")).hits[0]
    assert "ZL201410227707.6" in db.session.get_one(Listing, patent.id).body
    page = client.get("/search", query_string={"q": "手机散热材料", "kind": "all"})
    assert page.status_code == 200 and 'data-testid="no-results"' not in page.get_data(as_text=True)


def _all_ids(q: str, kind: str) -> set[int]:
    found: set[int] = set()
    page = 1
    while True:
        result = search(SearchRequest(q=q, kind=kind, page=page, per_page=100))
        found.update(hit.id for hit in result.hits)
        if page * 100 >= result.total or not result.hits:
            return found
        page += 1


def test_both_backends_find_the_same_listings(app, shared_listings):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL for the second backend")
    # "all" runs both kinds' searches (Whoosh: one index each; PostgreSQL: no kind filter).
    for kind in ("all",):
        for q in AGREEMENT_QUERIES:
            app.config["SEARCH_BACKEND"] = "whoosh"
            whoosh = search(SearchRequest(q=q, kind=kind))
            whoosh_ids = _all_ids(q, kind)
            app.config["SEARCH_BACKEND"] = "postgresql"
            postgres = search(SearchRequest(q=q, kind=kind))
            postgres_ids = _all_ids(q, kind)
            assert whoosh_ids == postgres_ids, (q, kind, whoosh_ids ^ postgres_ids)
            assert (whoosh.total, whoosh.all_words_total, whoosh.facets) == (
                postgres.total,
                postgres.all_words_total,
                postgres.facets,
            ), (q, kind)
