"""The analyzer, and the reindex / check commands."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.analysis import ChineseAnalyzer
from marketplace.search.query import SearchRequest, search
from tests.search.helpers import achievement


def _tokens(text: str, mode: str = "index") -> list[str]:
    return [t.text for t in ChineseAnalyzer()(text, mode=mode)]


def test_graphene_stays_one_token():
    assert _tokens("石墨烯复合材料", mode="query") == ["石墨烯", "复合", "材料"]
    assert "石墨" not in _tokens("石墨烯复合材料")
    assert "石墨烯" in _tokens("石墨烯复合材料")


def test_mixed_chinese_english_lowercased_not_stemmed_stop_words_gone():
    tokens = _tokens("基于LED的Technology与3D打印", mode="query")
    assert "led" in tokens and "technology" in tokens and "3d打印" in tokens
    assert "的" not in tokens and "与" not in tokens and "LED" not in tokens


def test_index_mode_adds_parts_of_long_compounds():
    tokens = _tokens("锂电池回收")
    assert {"锂电池回收", "锂电池", "回收"} <= set(tokens)
    assert _tokens("锂电池回收", mode="query") == ["锂电池", "回收"]


def test_reindex_and_check_commands(app):
    runner = app.test_cli_runner()
    listings = [achievement(title=f"石墨烯{i}", body="石墨烯") for i in range(3)]
    result = runner.invoke(args=["search", "reindex", "--procs", "1", "--files"])
    assert result.exit_code == 0, result.output
    assert "indexed 3 listings" in result.output
    result = runner.invoke(args=["search", "check", "--files"])
    assert result.exit_code == 0 and "matches the database" in result.output
    listings[0].status = "closed"
    db.session.commit()
    result = runner.invoke(args=["search", "check", "--files"])
    assert result.exit_code == 1
    assert f"extra achievement {listings[0].id}" in result.output


def test_postgresql_columns_check_finds_bypassed_writes_and_reindex_repairs(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the search columns are PostgreSQL's")
    runner = app.test_cli_runner()
    listings = [achievement(title=f"钙钛矿电池{i}", body="钙钛矿") for i in range(3)]
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    # Bulk SQL does not pass the ORM hook: the row's words no longer fit its text.
    db.session.execute(
        sa.update(Listing).where(Listing.id == listings[0].id).values(title="全新标题")
    )
    db.session.execute(
        sa.update(Listing).where(Listing.id == listings[1].id).values(search_vector=None)
    )
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"stale achievement {listings[0].id}" in result.output
    assert f"missing achievement {listings[1].id}" in result.output
    result = runner.invoke(args=["search", "reindex", "--batch-size", "2"])
    assert result.exit_code == 0 and "search columns of 3 listings" in result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    app.config["SEARCH_BACKEND"] = "postgresql"
    assert [hit.id for hit in search(SearchRequest(q="全新标题")).hits] == [listings[0].id]
