"""Lot pages through the client: the offer form, the reserve statement, bidding from the page."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from pypdf import PdfReader

from marketplace.auctions import bidding
from marketplace.auctions.models import Lot
from marketplace.database import utcnow
from marketplace.extensions import db
from tests.auctions.conftest import announced_lot, bidding_lot, travel
from tests.conftest import login
from tests.test_idempotency import _token


def _local(value) -> str:
    return (value + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


def test_owner_offers_an_achievement_through_the_form(client, market):
    login(client, market.owner)
    now = utcnow()
    form = {
        "achievement_id": market.achievement.id,
        "mode": "auction",
        "rights": "license",
        "start_price": "80000",
        "reserve_price": "70000",
        "increment": "2000",
        "deposit": "5000",
        "extension_minutes": "5",
        "registration_opens_at": _local(now + timedelta(days=3)),
        "bidding_starts_at": _local(now + timedelta(days=9)),
        "bidding_ends_at": _local(now + timedelta(days=9, hours=1)),
        "broker_id": "0",
    }
    refused = client.post("/lots/new", data=form)
    assert refused.status_code == 422
    assert db.session.query(Lot).count() == 0
    form["reserve_price"] = ""
    response = client.post("/lots/new", data=form)
    assert response.status_code == 302
    lot = db.session.query(Lot).one()
    assert (lot.rights, lot.start_price, lot.reserve_price) == (
        "license",
        Decimal("80000.00"),
        None,
    )
    assert lot.bidding_starts_at.hour == (now + timedelta(days=9)).replace(second=0).hour


def test_sending_the_lot_form_twice_saves_one_lot(client, market):
    login(client, market.owner)
    now = utcnow()
    form = {
        "form_token": _token(client.get("/lots/new").get_data(as_text=True)),
        "achievement_id": market.achievement.id,
        "mode": "auction",
        "rights": "license",
        "start_price": "80000",
        "increment": "2000",
        "deposit": "5000",
        "extension_minutes": "5",
        "registration_opens_at": _local(now + timedelta(days=3)),
        "bidding_starts_at": _local(now + timedelta(days=9)),
        "bidding_ends_at": _local(now + timedelta(days=9, hours=1)),
        "broker_id": "0",
    }
    first = client.post("/lots/new", data=form)
    again = client.post("/lots/new", data=form)  # Back, then send again
    assert first.status_code == again.status_code == 302, first.get_data(as_text=True)[:2000]
    assert first.headers["Location"] == again.headers["Location"]
    lot = db.session.query(Lot).one()
    assert again.headers["Location"].endswith(f"/lots/{lot.id}")
    assert "已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_reserve_statement_on_the_page(client, market):
    secret = announced_lot(market, reserve_price=Decimal("123456"))
    open_ = announced_lot(market)
    page = client.get(f"/lots/{secret.id}").get_data(as_text=True)
    assert "123,456" not in page and 'data-testid="reserve"' in page
    no_reserve = client.get(f"/lots/{open_.id}").get_data(as_text=True)
    reserve_cell = no_reserve.split('data-testid="reserve">')[1].split("</dd>")[0]
    secret_cell = page.split('data-testid="reserve">')[1].split("</dd>")[0]
    assert reserve_cell.strip() != secret_cell.strip()
    login(client, market.owner)
    assert "123,456" in client.get(f"/lots/{secret.id}").get_data(as_text=True)


def test_bidding_from_the_page_answers_json(app, client, market):
    lot = bidding_lot(market)
    login(client, market.bidder)
    page = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert 'data-testid="bid-form"' in page
    accepted = client.post(
        f"/lots/{lot.id}/bid", data={"amount": "100000"}, headers={"Accept": "application/json"}
    )
    assert accepted.status_code == 201
    assert accepted.json["top_amount"] == "100000.00" and accepted.json["i_am_top"] is True
    again = client.post(
        f"/lots/{lot.id}/bid", data={"amount": "105000"}, headers={"Accept": "application/json"}
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "already_top"
    rival = app.test_client()
    login(rival, market.rival)
    off_grid = rival.post(
        f"/lots/{lot.id}/bid", data={"amount": "101000"}, headers={"Accept": "application/json"}
    )
    assert off_grid.status_code == 409  # under the next valid amount (105,000)
    assert "105000.00" in off_grid.json["error"]["fields"]["amount"]
    # Without the script: a redirect back to the lot, the reason flashed.
    plain = rival.post(f"/lots/{lot.id}/bid", data={"amount": "107000"})
    assert plain.status_code == 302
    assert lot.bid_count == 1


def test_confirmation_of_sale_pdf(app, client, market):
    lot = bidding_lot(market)
    bidding.place_bid(market.rival, lot.id, "100000")
    bidding.place_bid(market.bidder, lot.id, "125000")
    travel(lot, timedelta(days=2))
    login(client, market.bidder)
    response = client.get(f"/lots/{lot.id}/confirmation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    for expected in (market.bidder.org.name, lot.title, "125,000.00元", "25.00%"):
        assert expected in text
    loser = app.test_client()
    login(loser, market.rival)
    assert loser.get(f"/lots/{lot.id}/confirmation.pdf").status_code == 403
