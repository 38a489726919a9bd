"""200 bids from 20 approved bidders at once, through the API of a live server.

On PostgreSQL the lot row lock (SELECT … FOR UPDATE) orders them; this checks nothing slipped:
every accepted bid was the top at its moment, amounts strictly increase, none shares an amount,
no accepted bid was lost, the winner is the last top bid and late bids moved the close.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from benchmarks.auction_bids import fire_bids, seed_lot
from marketplace.auctions import settlement
from marketplace.auctions.models import Bid, Lot
from marketplace.extensions import db
from tests.conftest import SERVER_DATABASE_URL
from tests.live import WebServer, call, start_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(
    not (SERVER_DATABASE_URL or "").startswith("postgres"),
    reason="row-lock concurrency is checked on PostgreSQL (SQLite serialises writers)",
)


def test_two_hundred_concurrent_bids(
    app: Any,
    start_server: Callable[[], WebServer],  # noqa: F811
) -> None:
    lot_id, tokens = seed_lot(20)
    lot = db.session.get(Lot, lot_id)
    first_close = lot.closes_at
    db.session.rollback()
    server = start_server()

    attempts = fire_bids(server.url, lot_id, tokens, bids_per_bidder=10)

    assert len(attempts) == 200
    assert server.errors() == []
    refused = {a.code for a in attempts if a.status != 201}
    assert all(a.status in (201, 409, 422) for a in attempts), refused
    assert refused <= {"outbid", "too_low", "already_top", "off_increment"}
    accepted = [a for a in attempts if a.status == 201]
    bids = (
        db.session.execute(
            sa.select(Bid).where(Bid.lot_id == lot_id).order_by(Bid.placed_at, Bid.id)
        )
        .scalars()
        .all()
    )
    # None lost, none invented.
    assert sorted(Decimal(a.amount) for a in accepted) == sorted(b.amount for b in bids)
    # How many win depends on the interleaving, but not below this bound: each of a bidder's
    # attempts (read the lot, then bid) is refused as outbid or too low only if some bid was
    # accepted in between, and one bidder's attempts follow each other, so every one of them
    # saw a distinct accepted bid (its own or another's). "already_top" attempts see none.
    contested = Counter(a.bidder for a in attempts if a.code != "already_top")
    assert len(bids) >= max(contested.values())
    # In the order accepted: strictly increasing, on the grid, each above the previous top.
    start, step = Decimal("100000.00"), Decimal("1000.00")
    for before, after in itertools.pairwise(bids):
        assert after.amount >= before.amount + step
        assert after.placed_at >= before.placed_at
        assert after.bidder_id != before.bidder_id  # the top bidder cannot raise itself
    assert all((b.amount - start) % step == 0 for b in bids)
    assert len({b.amount for b in bids}) == len(bids)
    # Every bid came in the last 5 minutes: each moved the close to 5 minutes after it.
    assert all(b.closes_at >= b.placed_at + timedelta(minutes=5) for b in bids)
    lot = db.session.get(Lot, lot_id)
    assert lot.closes_at > first_close
    assert lot.top_amount == bids[-1].amount and lot.bid_count == len(bids)
    # Close it: the winner is the last top bid.
    lot.closes_at = lot.closes_at - timedelta(minutes=10)
    db.session.commit()
    settlement.advance_lot(lot_id)
    db.session.refresh(lot)
    assert lot.status == "sold"
    assert lot.winner_id == bids[-1].bidder_id and lot.sale_price == bids[-1].amount


def test_same_amount_at_the_same_moment(
    app: Any,
    start_server: Callable[[], WebServer],  # noqa: F811
) -> None:
    """Two bidders send the same amount at once: exactly one wins the step, the other is told
    at once with the new top."""
    lot_id, tokens = seed_lot(2)
    server = start_server()
    answers: list[tuple[int, Any]] = []
    barrier = threading.Barrier(2)

    def bid(token: str) -> None:
        barrier.wait()
        answers.append(
            call(f"{server.url}/api/v1/lots/{lot_id}/bids", "POST", {"amount": "100000"}, token)
        )

    threads = [threading.Thread(target=bid, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _body in answers) == [201, 409]
    refused = next(body for status, body in answers if status == 409)
    assert refused["error"]["code"] == "outbid" and "100000.00" in refused["error"]["message"]
    assert db.session.query(Bid).filter(Bid.lot_id == lot_id).count() == 1
