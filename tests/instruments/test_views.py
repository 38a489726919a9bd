"""Instrument pages through the client: the add and booking forms are safe to send twice."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.instruments.models import Booking, Instrument
from tests.conftest import login
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory
from tests.test_idempotency import _token


def test_sending_the_instrument_form_twice_adds_one_instrument(client, app):
    owner = UserFactory(role="researcher", org=OrganisationFactory(kind="university"))
    login(client, owner)
    data = {
        "form_token": _token(client.get("/instruments/new").get_data(as_text=True)),
        "name": "场发射扫描电子显微镜",
        "model_no": "SU8010",
        "category": "imaging",
        "fee": "400",
        "fee_unit": "hour",
        "status": "active",
        "org_id": "0",
    }
    first = client.post("/instruments/new", data=data)
    again = client.post("/instruments/new", data=data)  # Back, then send again
    assert first.status_code == again.status_code == 302, first.get_data(as_text=True)[:2000]
    assert first.headers["Location"] == again.headers["Location"]
    instrument = db.session.execute(sa.select(Instrument)).scalar_one()
    assert again.headers["Location"].endswith(f"/instruments/{instrument.id}")
    assert "已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_sending_the_booking_form_twice_requests_one_booking(client, app):
    instrument = InstrumentFactory()
    requester = UserFactory(role="enterprise", org=OrganisationFactory(kind="enterprise"))
    login(client, requester)
    page = f"/instruments/{instrument.id}"
    starts = (utcnow() + timedelta(days=3, hours=8)).replace(hour=9, minute=0)  # Beijing time
    data = {
        "form_token": _token(client.get(page).get_data(as_text=True)),
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "purpose": "样品形貌表征",
        "samples": "3",
        "voucher_id": "0",
    }
    first = client.post(page, data=data)
    again = client.post(page, data=data)  # Back, then send again
    assert first.status_code == again.status_code == 302, first.get_data(as_text=True)[:2000]
    assert first.headers["Location"] == again.headers["Location"]
    booking = db.session.execute(sa.select(Booking)).scalar_one()
    assert again.headers["Location"].endswith(f"/bookings/{booking.id}")
    assert "已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)
