"""Who may open which instrument and voucher page or endpoint: role × object, each case on a
fresh database.

Roles: anonymous; ``researcher`` — a member of the provider university that owns the
instrument and accepts vouchers; ``enterprise`` — the voucher holder and requester;
``outsider`` — an enterprise user of an unrelated firm; a broker; an administrator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from marketplace.accounts.services import issue_token
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.instruments import services as instrument_services
from marketplace.listings.attachments import Upload
from marketplace.vouchers import services
from tests.conftest import login
from tests.factories import VoucherSchemeFactory
from tests.vouchers.conftest import PDF, apply, completed_booking, ordered, shift_into_past

ROLES = ("anonymous", "researcher", "enterprise", "outsider", "broker", "admin")
A, R, E, OUT, B, AD = ROLES


class World:
    """Builds only the objects a case names (``{VR}`` …): a fresh database per case stays fast."""

    def __init__(self, vworld: dict[str, Any]) -> None:
        self.v = vworld
        self.users = dict(vworld["users"])
        self.users["researcher"] = self.users.pop("provider")
        self.builders: dict[str, Callable[[], int]] = {
            "I": lambda: self.v["instrument"].id,
            "S": lambda: self.v["scheme"].id,
            "PORG": lambda: self.v["provider_org"].id,
            "D": lambda: VoucherSchemeFactory(status="draft").id,
            "VA": lambda: apply(self.v, "1000").id,
            "VP": self._approved,
            "VO": self._ordered,
            "VC": lambda: ordered(self.v, "1000").id,
            "VR": self._redeem_requested,
            "BR": lambda: self._booking(3).id,
            "BP": self._past_booking,
        }

    def ids_for(self, *templates: Any) -> dict[str, int]:
        names = set(re.findall(r"{(\w+)}", " ".join(str(t) for t in templates)))
        return {name: self.builders[name]() for name in sorted(names)}

    def _approved(self) -> int:
        voucher = apply(self.v, "1000")
        services.approve_voucher(self.users["admin"], voucher.id)
        return voucher.id

    def _ordered(self) -> int:
        voucher_id = self._approved()
        services.use_voucher(
            self.users["enterprise"], voucher_id, self.v["provider_org"].id, Decimal("1000")
        )
        return voucher_id

    def _redeem_requested(self) -> int:
        voucher = ordered(self.v, "1000")
        booking = completed_booking(self.v, voucher.id, hours=2)
        services.request_redemption(
            self.users["enterprise"],
            voucher.id,
            services.Redemption(
                booking_id=booking.id,
                documents={k: Upload(f"{k}.pdf", PDF) for k in ("invoice", "payment", "result")},
            ),
        )
        return voucher.id

    def _booking(self, days: int) -> Any:
        start = (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        return instrument_services.request_booking(
            self.users["enterprise"],
            self.v["instrument"].id,
            instrument_services.BookingData(
                starts_at=start, ends_at=start + timedelta(hours=1), purpose="测试", samples=1
            ),
        )

    def _past_booking(self) -> int:
        booking = self._booking(4)
        instrument_services.approve_booking(self.users["researcher"], booking.id)
        shift_into_past(booking, hours_ago=10)
        return booking.id


@pytest.fixture
def world(vworld) -> World:
    return World(vworld)


def _fill(template: Any, ids: dict[str, int]) -> Any:
    if isinstance(template, str):
        for key, value in ids.items():
            template = template.replace("{" + key + "}", str(value))
        return (
            int(template)
            if template.isdigit()
            and template != ""
            and "{" not in template
            and template in {str(v) for v in ids.values()}
            else template
        )
    if isinstance(template, dict):
        return {key: _fill(value, ids) for key, value in template.items()}
    return template


def _future(days: int) -> str:
    return (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0).isoformat()


def _local_future(days: int) -> str:
    return (utcnow() + timedelta(days=days, hours=8)).strftime("%Y-%m-%dT10:00")


SIGNED_IN = {R: 200, E: 200, OUT: 200, B: 200, AD: 200}
MEMBERS = {R: 200, E: 200, OUT: 200}

# (method, path, form data, {role: status}); roles left out expect 403.
WEB = [
    ("GET", "/instruments", None, {A: 200, **SIGNED_IN}),
    ("GET", "/instruments/{I}", None, {A: 200, **SIGNED_IN}),
    (
        "POST",
        "/instruments/{I}",
        {
            "starts_at": _local_future(9),
            "purpose": "x",
            "ends_at": _local_future(9).replace("10:00", "12:00"),
        },
        {A: 302, R: 302, E: 302, OUT: 302},
    ),
    ("GET", "/instruments/new", None, {A: 302, **MEMBERS, AD: 200}),
    ("GET", "/instruments/{I}/edit", None, {A: 302, R: 200, AD: 200}),
    ("GET", "/instruments/{I}/photo", None, {A: 404, R: 404, E: 404, OUT: 404, B: 404, AD: 404}),
    ("POST", "/instruments/{I}/photo", {}, {A: 302, R: 422, AD: 422}),
    ("GET", "/instruments/mine", None, {A: 302, **MEMBERS}),
    ("GET", "/instruments/import", None, {A: 302, **MEMBERS, AD: 200}),
    ("GET", "/bookings", None, {A: 302, **SIGNED_IN}),
    ("GET", "/bookings/{BR}", None, {A: 302, R: 200, E: 200, AD: 200}),
    ("POST", "/bookings/{BR}/approve", {}, {A: 302, R: 302, AD: 302}),
    ("POST", "/bookings/{BR}/decline", {"reason": "检修"}, {A: 302, R: 302, AD: 302}),
    ("POST", "/bookings/{BR}/cancel", {}, {A: 302, E: 302, AD: 302}),
    ("POST", "/bookings/{BP}/complete", {}, {A: 302, R: 302, AD: 302}),
    ("GET", "/vouchers/schemes", None, {A: 200, **SIGNED_IN}),
    ("GET", "/admin/vouchers/schemes/new", None, {A: 302, AD: 200}),
    ("POST", "/admin/vouchers/schemes/{D}/open", {}, {A: 302, AD: 302}),
    ("POST", "/admin/vouchers/schemes/{S}/close", {}, {A: 302, AD: 302}),
    ("GET", "/admin/vouchers/providers", None, {A: 302, AD: 200}),
    ("GET", "/vouchers", None, {A: 302, **SIGNED_IN}),
    ("GET", "/vouchers/apply", None, {A: 302, E: 200, OUT: 200}),
    ("GET", "/vouchers/{VA}", None, {A: 302, E: 200, AD: 200}),
    ("GET", "/vouchers/{VO}", None, {A: 302, R: 200, E: 200, AD: 200}),
    ("POST", "/vouchers/{VA}/approve", {}, {A: 302, AD: 302}),
    ("POST", "/vouchers/{VA}/refuse", {"refuse-reason_code": "other"}, {A: 302, AD: 302}),
    (
        "POST",
        "/vouchers/{VP}/use",
        {"use-provider_org_id": "{PORG}", "use-amount": "500"},
        {A: 302, E: 302},
    ),
    ("POST", "/vouchers/{VO}/confirm", {}, {A: 302, R: 302}),
    ("POST", "/vouchers/{VC}/redeem", {}, {A: 302, E: 422}),
    ("POST", "/vouchers/{VR}/review", {"review-decision": "approve"}, {A: 302, AD: 302}),
    ("POST", "/vouchers/{VP}/revoke", {"revoke-note": "违规"}, {A: 302, AD: 302}),
]

API = [
    ("GET", "/api/v1/instruments", None, {A: 200, **SIGNED_IN}),
    ("GET", "/api/v1/instruments/{I}", None, {A: 200, **SIGNED_IN}),
    (
        "POST",
        "/api/v1/instruments",
        {"name": "激光共聚焦显微镜", "category": "imaging", "fee": "200", "org_id": "{PORG}"},
        {A: 401, R: 201, AD: 201},
    ),
    (
        "PUT",
        "/api/v1/instruments/{I}",
        {"name": "新名称", "category": "imaging", "fee": "1"},
        {A: 401, R: 200, AD: 200},
    ),
    ("GET", "/api/v1/instruments/{I}/bookings", None, {A: 401, **SIGNED_IN}),
    (
        "POST",
        "/api/v1/instruments/{I}/bookings",
        {"starts_at": _future(10), "ends_at": _future(11), "purpose": "x"},
        {A: 401, R: 201, E: 201, OUT: 201},
    ),
    ("GET", "/api/v1/instruments/utilisation", None, {A: 401, **MEMBERS}),
    ("GET", "/api/v1/bookings/{BR}", None, {A: 401, R: 200, E: 200, AD: 200}),
    ("POST", "/api/v1/bookings/{BR}/approve", {}, {A: 401, R: 200, AD: 200}),
    ("POST", "/api/v1/bookings/{BR}/decline", {"reason": "检修"}, {A: 401, R: 200, AD: 200}),
    ("POST", "/api/v1/bookings/{BP}/complete", {}, {A: 401, R: 200, AD: 200}),
    ("GET", "/api/v1/voucher-schemes", None, {A: 200, **SIGNED_IN}),
    (
        "GET",
        "/api/v1/voucher-schemes/{D}",
        None,
        {A: 404, R: 404, E: 404, OUT: 404, B: 404, AD: 200},
    ),
    (
        "POST",
        "/api/v1/voucher-schemes",
        {
            "name": "2026 年创新券",
            "year": utcnow().year,
            "budget": "500000",
            "services": ["testing"],
            "ratio_percent": 50,
            "cap_per_application": "10000",
            "cap_per_enterprise_year": "20000",
            "opens_on": utcnow().date().isoformat(),
            "use_by": (utcnow().date() + timedelta(days=90)).isoformat(),
            "redeem_by": (utcnow().date() + timedelta(days=120)).isoformat(),
        },
        {A: 401, AD: 201},
    ),
    ("POST", "/api/v1/voucher-schemes/{D}/open", {}, {A: 401, AD: 200}),
    ("GET", "/api/v1/voucher-providers", None, {A: 200, **SIGNED_IN}),
    (
        "POST",
        "/api/v1/voucher-providers",
        {"org_id": "{PORG}", "services": ["testing"]},
        {A: 401, AD: 201},
    ),
    ("GET", "/api/v1/vouchers", None, {A: 401, **SIGNED_IN}),
    (
        "POST",
        "/api/v1/vouchers",
        {
            "scheme_id": "{S}",
            "service_type": "testing",
            "requested_amount": "1000",
            "purpose": "检测",
        },
        {A: 401, E: 201, OUT: 201},
    ),
    ("GET", "/api/v1/vouchers/{VO}", None, {A: 401, R: 200, E: 200, AD: 200}),
    ("POST", "/api/v1/vouchers/{VA}/approve", {}, {A: 401, AD: 200}),
    ("POST", "/api/v1/vouchers/{VA}/refuse", {"reason_code": "other"}, {A: 401, AD: 200}),
    (
        "POST",
        "/api/v1/vouchers/{VP}/use",
        {"provider_org_id": "{PORG}", "amount": "500"},
        {A: 401, E: 200},
    ),
    ("POST", "/api/v1/vouchers/{VO}/confirm", {}, {A: 401, R: 200}),
    ("POST", "/api/v1/vouchers/{VC}/redeem", None, {A: 401, E: 422}),
    ("POST", "/api/v1/vouchers/{VR}/review", {"decision": "approve"}, {A: 401, AD: 200}),
    ("POST", "/api/v1/vouchers/{VP}/revoke", {"note": "违规"}, {A: 401, AD: 200}),
    ("GET", "/api/v1/stats/vouchers?year=" + str(utcnow().year), None, {A: 401, AD: 200}),
]


def _cases(table: list[tuple]) -> list[Any]:
    return [
        pytest.param(
            method, path, body, role, expected.get(role, 403), id=f"{method} {path} as {role}"
        )
        for method, path, body, expected in table
        for role in ROLES
    ]


@pytest.mark.parametrize(("method", "path", "body", "role", "status"), _cases(WEB))
def test_web_access(app, world, method, path, body, role, status):
    ids = world.ids_for(path, body)
    web = app.test_client()
    if role != "anonymous":
        login(web, world.users[role])
    url = _fill(path, ids)
    data = {k: str(v) for k, v in _fill(body, ids).items()} if body else body
    response = web.get(url) if method == "GET" else web.post(url, data=data or {})
    assert response.status_code == status, response.get_data(as_text=True)[:1500]
    if role == "anonymous" and status == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "path", "body", "role", "status"), _cases(API))
def test_api_access(client, world, method, path, body, role, status):
    ids = world.ids_for(path, body)
    headers = {}
    if role != "anonymous":
        _token, raw = issue_token(world.users[role], "matrix")
        db.session.commit()
        headers = {"Authorization": f"Bearer {raw}"}
    url = _fill(path, ids)
    payload = _fill(body, ids) if body is not None else None
    response = client.open(url, method=method, json=payload, headers=headers)
    assert response.status_code == status, response.json
    if status >= 400:
        assert response.json["error"]["code"]
