"""The PostgreSQL backend's narrow rows (listing_search) follow every write of their listing."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.models import ListingSearch
from marketplace.search.query import SearchRequest, search
from marketplace.search.search_rows import check_search_rows
from tests.search.helpers import achievement


def _row(listing_id: int) -> ListingSearch | None:
    db.session.expire_all()
    return db.session.get(ListingSearch, listing_id)


def _in_step() -> None:
    """Every listing's row is exactly its projection (what `search check` compares)."""
    assert check_search_rows(db.session.connection()) == []


def _found(q: str) -> list[int]:
    return [hit.id for hit in search(SearchRequest(q=q)).hits]


def test_rows_follow_publish_edit_close_org_change_and_delete(pg_app):
    listing = achievement(title="钙钛矿叠层电池", body="钙钛矿", status="draft", price=None)
    db.session.commit()
    _in_step()
    row = _row(listing.id)
    assert row is not None and row.status == "draft" and row.price_band == "negotiable"
    assert _found("钙钛矿") == []

    listing.status = "published"
    db.session.commit()
    _in_step()
    assert _found("钙钛矿") == [listing.id]

    listing.title = "固态电解质薄膜"
    listing.price = Decimal("300000")
    listing.region = ""
    listing.modes = ["transfer", "license"]
    db.session.commit()
    _in_step()
    row = _row(listing.id)
    assert row is not None and row.price_band == "100k_500k" and row.amount == 30_000_000
    assert sorted(row.modes) == ["license", "transfer"]
    assert _found("固态电解质") == [listing.id]
    assert _found("叠层") == []

    # The province falls back to the organisation's region; its name is in the words.
    listing.org.region = "440300"
    listing.org.name = "深圳先进材料研究院"
    db.session.commit()
    _in_step()
    row = _row(listing.id)
    assert row is not None and row.province == "440000"
    assert _found("深圳先进材料研究院") == [listing.id]

    listing.status = "closed"
    db.session.commit()
    _in_step()
    assert _found("固态电解质") == []

    listing_id = listing.id
    db.session.delete(listing)
    db.session.commit()
    assert _row(listing_id) is None
    _in_step()


def test_a_rolled_back_write_leaves_the_row_as_it_was(pg_app):
    listing = achievement(title="氢燃料电池", body="氢能", status="published")
    db.session.commit()
    listing.status = "closed"
    db.session.flush()
    row = _row(listing.id)  # inside the transaction, after the flush: already changed
    assert row is not None and row.status == "closed"
    db.session.rollback()
    row = _row(listing.id)
    assert row is not None and row.status == "published"
    _in_step()


def test_check_finds_rows_bypassed_by_bulk_sql_and_reindex_repairs(pg_app):
    runner = pg_app.test_cli_runner()
    listings = [achievement(title=f"钠离子电池{i}", status="published") for i in range(2)]
    db.session.commit()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    db.session.execute(
        sa.update(Listing).where(Listing.id == listings[0].id).values(status="closed")
    )
    db.session.execute(sa.delete(ListingSearch).where(ListingSearch.listing_id == listings[1].id))
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"stale search row achievement {listings[0].id}" in result.output
    assert f"missing search row achievement {listings[1].id}" in result.output
    result = runner.invoke(args=["search", "reindex", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert _found("钠离子电池") == [listings[1].id]
