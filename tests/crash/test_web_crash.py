"""SIGKILL the web process while it saves contracts (50 line items each) and listings: what was
acknowledged is there in full, nothing half-written is, and the checks are clean."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, wait_for
from tests.factories import PASSWORD, OrganisationFactory
from tests.live import call, token_for

pytestmark = [pytest.mark.crash, pytest.mark.worker]
ITEMS = 50


def _contract_body(seller_id: int, buyer_id: int, n: int) -> dict[str, Any]:
    items = [
        {"description": f"第{i}项 技术服务", "amount": "1000.00", "non_technical": i % 5 == 0}
        for i in range(ITEMS)
    ]
    return {
        "title": f"崩溃测试合同{n}",
        "type": "service",
        "subtype": "service",
        "seller_org_id": seller_id,
        "buyer_org_id": buyer_id,
        "field": "environment",
        "signed_on": date(2026, 3, 1).isoformat(),
        "contract_amount": "50000.00",
        "line_items": items,
    }


def _listing_body(n: int) -> dict[str, Any]:
    return {
        "title": f"崩溃测试成果{n}",
        "summary": "一种污水处理膜材料的制备方法。" * 20,
        "field": "environment",
        "maturity": 5,
        "ip_type": "invention_patent",
        "modes": ["transfer", "license"],
        "price": "120000.50",
        "keywords": ["污水处理", "膜材料"],
    }


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marketplace", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_sigkill_web_during_contract_and_listing_saves(
    app: Any, make_user: Any, start_server: Any, worker_env: dict[str, str]
) -> None:
    from marketplace.contracts.models import Contract, ContractHistory, ContractLineItem
    from marketplace.extensions import db
    from marketplace.listings.models import Listing, ListingEvent

    broker = make_user("broker")
    researcher = make_user("researcher")
    seller = OrganisationFactory(kind="university", region="330100")
    buyer = OrganisationFactory(kind="enterprise", region="330300")
    seller_id, buyer_id = seller.id, buyer.id
    server = start_server()
    tokens = {
        "broker": token_for(server, broker.email, PASSWORD),
        "researcher": token_for(server, researcher.email, PASSWORD),
    }

    acknowledged: dict[str, list[int]] = {"contract": [], "listing": []}
    server_errors: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        # One client in turn: concurrent writers on SQLite hit "database is locked" (reported
        # separately); this test is about a kill in the middle of a save.
        n = 0
        while not stop.is_set():
            n += 1
            kind = "listing" if n % 3 == 0 else "contract"
            try:
                if kind == "contract":
                    status, body = call(
                        server.url + "/api/v1/contracts",
                        "POST",
                        _contract_body(seller_id, buyer_id, n),
                        tokens["broker"],
                    )
                else:
                    status, body = call(
                        server.url + "/api/v1/achievements",
                        "POST",
                        _listing_body(n),
                        tokens["researcher"],
                    )
            except OSError:  # the server is gone
                return
            if status == 201:
                acknowledged[kind].append(body["id"])
            elif status >= 500:
                server_errors.append(f"{kind}: {status} {body}")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    # Kill once the writers are well into their stride, in the middle of whatever is running.
    wait_for(
        lambda: len(acknowledged["contract"]) >= 5 and len(acknowledged["listing"]) >= 3,
        timeout=120,
        interval=0.02,
        message="saves under way",
    )
    time.sleep(0.137)
    server.kill()
    stop.set()
    thread.join(timeout=60)
    assert server_errors == [], server.output()[-3000:]

    db.session.remove()
    contracts = db.session.execute(sa.select(Contract)).scalars().all()
    assert {c.id for c in contracts} >= set(acknowledged["contract"])
    for contract in contracts:
        items = (
            db.session.execute(
                sa.select(ContractLineItem).where(ContractLineItem.contract_id == contract.id)
            )
            .scalars()
            .all()
        )
        assert len(items) == ITEMS, f"contract {contract.id} has {len(items)} of {ITEMS} items"
        technical = sum(item.amount for item in items if not item.non_technical)
        assert contract.tech_amount == contract.contract_amount - sum(
            item.amount for item in items if item.non_technical
        )
        assert technical > 0
        history = db.session.execute(
            sa.select(sa.func.count())
            .select_from(ContractHistory)
            .where(ContractHistory.contract_id == contract.id)
        ).scalar_one()
        assert history > 0, f"contract {contract.id} has no audit history"
    listings = db.session.execute(sa.select(Listing)).scalars().all()
    assert {listing.id for listing in listings} >= set(acknowledged["listing"])
    for listing in listings:
        assert listing.title.startswith("崩溃测试成果") and listing.status == "draft"
        events = db.session.execute(
            sa.select(sa.func.count())
            .select_from(ListingEvent)
            .where(ListingEvent.listing_id == listing.id)
        ).scalar_one()
        assert events == 1, f"listing {listing.id} has {events} events"
    db.session.remove()

    # The restarted server works on the same data, writes included.
    again = start_server()
    status, body = call(
        again.url + "/api/v1/contracts",
        "POST",
        _contract_body(seller_id, buyer_id, 1),
        tokens["broker"],
    )
    assert status == 201, body
    status, body = call(again.url + "/api/v1/contracts?per_page=100", token=tokens["broker"])
    assert status == 200 and body["total"] == len(contracts) + 1

    for command in (["search", "check"], ["stats", "check"]):
        if _cli(worker_env, command[0], "--help").returncode != 0:
            continue  # that feature is not in this build
        result = _cli(worker_env, *command)
        assert result.returncode == 0, result.stdout + result.stderr
