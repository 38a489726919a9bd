"""Matching on a small judged sample of the real data, imported as an operator would.

The sample: three judged demands of ../shared/data/matching/dev.jsonl that have a directly
relevant (rel 2) achievement, with every achievement judged for them, imported through the
importer with ``publish`` (which queues the matching work).
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.deals.models import Deal
from marketplace.deals.suggestions import drain_matching_outbox, refresh_matches
from marketplace.extensions import db
from marketplace.listings.importing import ImportOptions, run_import
from marketplace.listings.models import Listing
from marketplace.outbox import dispatch, pending_count
from marketplace.search.match_corpus import forget_corpora
from marketplace.search.matching import (
    compute_matches,
    display_score,
    stored_matches,
)
from tests.conftest import ROOT, SHARED_DATA, api_headers, login, wait_for
from tests.factories import OrganisationFactory
from tests.search.helpers import achievement, demand

_DATA = next(
    (path for path in (SHARED_DATA, ROOT.parent.parent / "shared" / "data") if path.is_dir()),
    SHARED_DATA,
)


def _rows(name: str) -> dict[str, dict[str, Any]]:
    with (_DATA / "listings" / name).open(encoding="utf-8") as handle:
        return {row["ref"]: row for row in map(json.loads, handle)}


def judged_sample(
    demands: int = 3,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, int]]]:
    judged: dict[str, dict[str, int]] = defaultdict(dict)
    with (_DATA / "matching" / "dev.jsonl").open(encoding="utf-8") as handle:
        for row in map(json.loads, handle):
            judged[row["demand_ref"]][row["achievement_ref"]] = row["rel"]
    chosen = sorted(d for d, rels in judged.items() if 2 in rels.values())[:demands]
    achievements = _rows("achievements.jsonl")
    demand_rows = _rows("demands.jsonl")
    refs = sorted({a for d in chosen for a in judged[d]})
    return (
        [achievements[a] for a in refs],
        [demand_rows[d] for d in chosen],
        {d: judged[d] for d in chosen},
    )


def _import(kind: str, rows: list[dict[str, Any]], org: Any) -> None:
    data = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()
    report = run_import(data, "jsonl", ImportOptions(kind=kind, org_id=org.id, publish=True))
    assert report.imported and not report.errors, report.errors


def _ref(listing_id: int) -> str:
    return db.session.get(Listing, listing_id).ref


@pytest.fixture(autouse=True)
def _fresh_corpora():
    forget_corpora()  # PostgreSQL runs reuse one database URL across tests
    yield
    forget_corpora()


def test_best_answer_priced_above_the_budget_stays_in_the_top_10_with_the_reason(app):
    achievements, demands, judged = judged_sample()
    demand = demands[0]
    best = next(a for a in achievements if judged[demand["ref"]].get(a["ref"]) == 2)
    best["price"] = "800000.00"
    demand["budget_max"] = "300000.00"  # the best answer costs more than the demand's budget
    _import("achievement", achievements, OrganisationFactory(kind="university"))
    _import("demand", demands, OrganisationFactory(kind="enterprise"))
    db.session.commit()
    drain_matching_outbox()
    db.session.commit()

    wanted = db.session.execute(
        sa.select(Listing).where(Listing.kind == "demand", Listing.ref == demand["ref"])
    ).scalar_one()
    assert wanted.budget_max == Decimal("300000.00")
    top = stored_matches(wanted, limit=10)
    row = next((match for other, match in top if other.ref == best["ref"]), None)
    assert row is not None, [other.ref for other, _ in top]
    codes = {reason["code"] for reason in row.reasons}
    assert "price_above_budget" in codes and "price_within_budget" not in codes
    shared = next(r["terms"] for r in row.reasons if r["code"] == "shared_terms")
    # Key terms are whole words, found in the answer's text — not single characters.
    assert shared and all(len(term) > 1 for term in shared)
    assert all(term.lower() in (best["title"] + best["summary"]).lower() for term in shared)


@pytest.mark.worker
def test_worker_matches_after_an_import_equal_the_benchmark_ranking(worker_app, start_worker):
    """The benchmark scores ``compute_matches``; what users see is what the worker stored."""
    achievements, demands, _judged = judged_sample()
    _import("achievement", achievements, OrganisationFactory(kind="university"))
    _import("demand", demands, OrganisationFactory(kind="enterprise"))
    db.session.commit()
    worker = start_worker("default,search")  # matching runs on the search queue
    dispatch("matching")

    def drained() -> bool:
        db.session.rollback()
        return pending_count("matching") == 0

    wait_for(drained, timeout=120, message="matching drained\n" + worker.output()[-2000:])
    db.session.rollback()
    for row in demands:
        listing = db.session.execute(
            sa.select(Listing).where(Listing.kind == "demand", Listing.ref == row["ref"])
        ).scalar_one()
        stored = [
            (other.ref, round(match.score, 4)) for other, match in stored_matches(listing, limit=10)
        ]
        benchmark = [(_ref(m.listing_id), m.score) for m in compute_matches(listing, limit=10)]
        assert stored and stored == benchmark


def test_matcher_follows_closed_edited_and_deleted_listings(app):
    """The worker's in-memory corpus reads what changed in the database since its last use."""
    body = "光伏电站组件的自动清洗机器人"
    kept = achievement(title="光伏清洗机器人", body=body)
    closing = achievement(title="光伏组件清洗装置", body=body)
    editing = achievement(title="石墨烯导热膜", body="手机散热用石墨烯薄膜")
    doomed = achievement(title="光伏板除尘机器人", body=body)
    wanted = demand(title="寻求光伏组件清洗机器人", body=body)
    db.session.commit()
    found = {m.listing_id for m in compute_matches(wanted)}
    assert {kept.id, closing.id, doomed.id} <= found and editing.id not in found

    closing.status = "closed"
    editing.title, editing.body = "光伏组件清洗机器人", body
    db.session.delete(doomed)
    db.session.commit()
    found = {m.listing_id for m in compute_matches(wanted)}
    assert found == {kept.id, editing.id}


def test_no_counterparts_means_no_matches_and_no_error(app):
    lonely = demand(title="寻求光伏组件清洗机器人", body="光伏电站组件的自动清洗")
    db.session.commit()
    assert compute_matches(lonely) == []
    achievement(title="完全无关的茶叶杀青设备", body="滚筒式杀青")
    db.session.commit()
    assert compute_matches(lonely) == []


def test_one_score_scale_on_the_demand_page_the_deal_page_and_the_api(app, make_user):
    """Regression (issue 14 item 6): the same match showed 100 on one page and 1.00 on another."""

    body = "光伏电站组件的自动清洗机器人，节水型干式清洗"
    offer = achievement(title="光伏组件清洗机器人", body=body, price=Decimal("200000"))
    wanted = demand(title="寻求光伏组件清洗机器人", body=body, budget_max=Decimal("500000"))
    db.session.commit()
    app.config["MATCH_SUGGESTION_MIN_SCORE"] = 0.0
    [match] = refresh_matches(wanted.id)
    assert match.listing_id == offer.id
    db.session.commit()
    shown = str(display_score(match.score))
    deal = db.session.execute(sa.select(Deal)).scalar_one()

    web = app.test_client()
    broker = make_user("broker")
    login(web, broker)
    page = web.get(f"/demands/{wanted.id}").get_data(as_text=True)
    assert f'data-testid="score">{shown}</span>' in page
    page = web.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert f"{shown}</span>" in page and f"{match.score:.2f}" not in page
    api = app.test_client()
    headers = api_headers(api, broker)
    items = api.get(f"/api/v1/demands/{wanted.id}/matches", headers=headers).json["items"]
    assert [item["score"] for item in items] == [int(shown)]
    assert api.get(f"/api/v1/deals/{deal.id}", headers=headers).json["score"] == int(shown)
