"""A client that retries a create (timeout, lost answer) with the same ``Idempotency-Key`` gets
the first result, not a second instrument, booking, scheme or voucher; the same key with another
body is refused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.instruments.models import Booking, Instrument
from marketplace.vouchers.models import Voucher, VoucherScheme
from tests.conftest import api_headers


def _count(model: Any) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _booking(world: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    slot = (utcnow() + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    body = {
        "starts_at": slot.isoformat(),
        "ends_at": (slot + timedelta(hours=2)).isoformat(),
        "purpose": "物相分析",
    }
    return f"/api/v1/instruments/{world['instrument'].id}/bookings", body, "purpose"


def _instrument(_world: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    body = {"name": "X 射线衍射仪", "category": "imaging", "fee": "200.00"}
    return "/api/v1/instruments", body, "name"


def _scheme(_world: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    today = date.today()
    body = {
        "name": "测试券",
        "year": today.year,
        "budget": "100000.00",
        "services": ["testing"],
        "ratio_percent": 50,
        "cap_per_application": "20000.00",
        "cap_per_enterprise_year": "40000.00",
        "opens_on": today.isoformat(),
        "use_by": (today + timedelta(days=90)).isoformat(),
        "redeem_by": (today + timedelta(days=120)).isoformat(),
        "open": True,
    }
    return "/api/v1/voucher-schemes", body, "name"


def _voucher(world: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    body = {
        "scheme_id": world["scheme"].id,
        "service_type": "testing",
        "requested_amount": "10000.00",
        "purpose": "检测",
    }
    return "/api/v1/vouchers", body, "purpose"


@pytest.mark.parametrize(
    ("request_for", "model", "role"),
    [
        (_instrument, Instrument, "provider"),
        (_booking, Booking, "enterprise"),
        (_scheme, VoucherScheme, "admin"),
        (_voucher, Voucher, "enterprise"),
    ],
    ids=["instrument", "booking", "voucher-scheme", "voucher"],
)
def test_a_retried_create_returns_the_first_result(client, vworld, request_for, model, role):
    url, body, text_field = request_for(vworld)
    headers = {**api_headers(client, vworld["users"][role]), "Idempotency-Key": "retry-1"}
    before = _count(model)
    first = client.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.json
    again = client.post(url, json=body, headers=headers)
    assert again.status_code == 201, again.json
    assert again.json["id"] == first.json["id"]
    assert _count(model) == before + 1
    changed = client.post(url, json={**body, text_field: "另一个"}, headers=headers)
    assert changed.status_code == 422
    assert changed.json["error"]["code"] == "idempotency_key_reused"
    assert _count(model) == before + 1
