"""The lots API: the secret reserve, bad input refused with the SPEC error body and no change."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.auctions.models import Bid, Lot, LotSession
from marketplace.database import utcnow
from marketplace.extensions import db
from tests.auctions.conftest import bidding_lot
from tests.conftest import api_headers


def _lot_body(market, **changes):
    now = utcnow()
    body = {
        "achievement_id": market.achievement.id,
        "mode": "auction",
        "rights": "transfer",
        "start_price": "100000",
        "reserve_price": "150000",
        "increment": "5000",
        "deposit": "10000",
        "qualifications": "注册资本不低于100万元的企业",
        "registration_opens_at": (now + timedelta(days=2)).isoformat(),
        "bidding_starts_at": (now + timedelta(days=8)).isoformat(),
        "bidding_ends_at": (now + timedelta(days=8, hours=2)).isoformat(),
    }
    body.update(changes)
    return body


def test_reserve_is_secret_and_absence_is_public(client, market):
    owner = api_headers(client, market.owner)
    admin = api_headers(client, market.admin)
    created = client.post("/api/v1/lots", json=_lot_body(market), headers=owner)
    assert created.status_code == 201, created.json
    assert created.json["reserve_price"] == "150000.00"
    lot_id = created.json["id"]
    assert client.post(f"/api/v1/lots/{lot_id}/announce", headers=owner).json["status"] == "pending"
    assert (
        client.post(
            f"/api/v1/lots/{lot_id}/announce", json={"decision": "approve"}, headers=admin
        ).json["status"]
        == "announced"
    )
    public = client.get(f"/api/v1/lots/{lot_id}").json
    assert public["has_reserve"] is True and "reserve_price" not in public
    bidder = client.get(f"/api/v1/lots/{lot_id}", headers=api_headers(client, market.bidder))
    assert "reserve_price" not in bidder.json
    plain = client.post(
        "/api/v1/lots", json=_lot_body(market, reserve_price=None), headers=owner
    ).json
    assert plain["has_reserve"] is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reserve_price": "90000"}, "reserve_price"),
        ({"deposit": "NaN"}, "deposit"),
        ({"deposit": "Infinity"}, "deposit"),
        ({"start_price": "1e5"}, "start_price"),
        ({"increment": "-5"}, "increment"),
        ({"mode": "dutch"}, "mode"),
        ({"extension_minutes": 0}, "extension_minutes"),
    ],
)
def test_bad_lot_input_is_refused(client, market, changes, field):
    response = client.post(
        "/api/v1/lots", json=_lot_body(market, **changes), headers=api_headers(client, market.owner)
    )
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert db.session.query(Lot).count() == 0


def test_bad_bids_get_a_clear_4xx_and_change_nothing(client, market):
    lot = bidding_lot(market)
    bidder = api_headers(client, market.bidder)
    url = f"/api/v1/lots/{lot.id}/bids"
    assert client.post(url, json={"amount": "100000"}, headers=bidder).status_code == 201

    def refused(user_headers, amount, status, code):
        before = (lot.top_amount, lot.bid_count, lot.closes_at)
        response = client.post(url, json={"amount": amount}, headers=user_headers)
        assert response.status_code == status, response.json
        assert response.json["error"]["code"] == code
        assert response.json["error"]["message"]
        db.session.refresh(lot)
        assert (lot.top_amount, lot.bid_count, lot.closes_at) == before

    rival = api_headers(client, market.rival)
    refused(rival, "107500", 422, "off_increment")  # off the grid
    refused(rival, "100000", 409, "outbid")  # not above the top
    refused(rival, "NaN", 422, "validation_error")
    refused(api_headers(client, market.enterprise), "105000", 403, "not_approved")
    refused(api_headers(client, market.owner), "105000", 403, "own_lot")
    lot.closes_at = utcnow() - timedelta(seconds=1)  # closed, job not yet run
    db.session.commit()
    refused(rival, "105000", 409, "bidding_closed")
    assert [b.amount for b in db.session.query(Bid).all()] == [Decimal("100000.00")]


def test_bids_show_numbers_never_names(client, market):
    lot = bidding_lot(market)
    client.post(
        f"/api/v1/lots/{lot.id}/bids",
        json={"amount": "100000"},
        headers=api_headers(client, market.bidder),
    )
    book = client.get(f"/api/v1/lots/{lot.id}/bids").json
    assert book["items"][0]["bidder_number"] == 1
    assert market.bidder.org.name not in str(book)
    page = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert market.bidder.org.name not in page and market.rival.org.name not in page


def _session_body() -> dict[str, str]:
    now = utcnow()
    return {
        "title": "新材料专场",
        "kind": "industry",
        "registration_opens_at": (now + timedelta(days=3)).isoformat(),
        "bidding_starts_at": (now + timedelta(days=10)).isoformat(),
        "bidding_ends_at": (now + timedelta(days=10, hours=3)).isoformat(),
    }


def test_session_gives_its_lots_one_schedule(client, market):
    body = _session_body()
    owner = api_headers(client, market.owner)
    assert client.post("/api/v1/lot-sessions", json=body, headers=owner).status_code == 403
    session = client.post(
        "/api/v1/lot-sessions", json=body, headers=api_headers(client, market.admin)
    )
    assert session.status_code == 201, session.json
    lot = client.post(
        "/api/v1/lots", json=_lot_body(market, session_id=session.json["id"]), headers=owner
    ).json
    assert lot["bidding_ends_at"] == session.json["bidding_ends_at"]
    assert client.get(f"/api/v1/lot-sessions/{session.json['id']}").json["lot_ids"] == [lot["id"]]


def test_a_retried_lot_or_session_create_returns_the_first_result(client, market):
    owner = {**api_headers(client, market.owner), "Idempotency-Key": "lot-1"}
    body = _lot_body(market)  # once: its times come from the clock
    first = client.post("/api/v1/lots", json=body, headers=owner)
    again = client.post("/api/v1/lots", json=body, headers=owner)
    assert first.status_code == again.status_code == 201, again.json
    assert again.json["id"] == first.json["id"]
    assert db.session.query(Lot).count() == 1
    other = client.post("/api/v1/lots", json={**body, "increment": "6000"}, headers=owner)
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"

    session_body = _session_body()
    admin = {**api_headers(client, market.admin), "Idempotency-Key": "session-1"}
    sessions = [
        client.post("/api/v1/lot-sessions", json=session_body, headers=admin) for _ in range(2)
    ]
    assert [s.status_code for s in sessions] == [201, 201]
    assert sessions[0].json["id"] == sessions[1].json["id"]
    assert db.session.query(LotSession).count() == 1
