"""The API answers what /api/v1/openapi.json says it answers.

1. The document itself: every operation describes its success body with a schema and its
   error responses with the SPEC error body.
2. Real answers: a small world is built with the factories, the main write operations are
   called with valid input, then every GET in the document is called (as an administrator,
   who may read everything, and anonymously); each body, success or error, is checked against
   the schema documented for its status (tests/api/conformance.py: strict, so an undocumented
   key fails too)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from marketplace.database import utcnow
from marketplace.extensions import db
from tests import factories as f
from tests.api.conformance import ResponseChecker
from tests.conftest import api_headers

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(app: Any) -> dict[str, Any]:
    return app.extensions["marketplace_api"].spec.to_dict()


class Caller:
    """Calls the API in-process and checks each answer against the document."""

    def __init__(self, app: Any, spec: dict[str, Any]) -> None:
        self.app = app
        self.client = app.test_client()
        self.checker = ResponseChecker(spec)
        self.problems: list[str] = []
        self.statuses: dict[tuple[str, str], list[int]] = {}

    def __call__(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        response = self.client.open(path, method=method, headers=headers or {}, **kwargs)
        adapter = self.app.url_map.bind("localhost")
        rule, _args = adapter.match(path.split("?")[0], method=method, return_rule=True)
        self.statuses.setdefault((method, rule.rule), []).append(response.status_code)
        self.problems += self.checker.problems(
            method,
            rule.rule,
            response.status_code,
            response.content_type or "",
            response.get_data(),
        )
        return response


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:600]
    body: dict[str, Any] = response.get_json()
    return body


def test_every_operation_documents_its_body_and_errors(spec: dict[str, Any]) -> None:
    operations = [
        (method, path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    ]
    assert len(operations) > 80
    undocumented = []
    for method, path, op in operations:
        responses = op["responses"]
        successes = {code: body for code, body in responses.items() if code.startswith("2")}
        if not successes:
            undocumented.append(f"{method} {path}: no success response")
        for code, body in successes.items():
            if code != "204" and not any(
                "schema" in content for content in body.get("content", {}).values()
            ):
                undocumented.append(f"{method} {path} {code}: no schema")
        for code in ("401", "503", "default"):
            if code not in responses:
                undocumented.append(f"{method} {path}: {code} not documented")
        if (
            op.get("parameters")
            and any(p["in"] == "path" for p in op["parameters"])
            and "404" not in responses
        ):
            undocumented.append(f"{method} {path}: 404 not documented")
    assert not undocumented, "\n".join(undocumented)
    # Every error response carries the SPEC body, not flask-smorest's default one.
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = spec["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "fields"}
    for name in (
        "DEFAULT_ERROR",
        "UNAUTHORIZED",
        "NOT_FOUND",
        "CONFLICT",
        "UNPROCESSABLE_ENTITY",
        "TOO_MANY_REQUESTS",
        "SERVICE_UNAVAILABLE",
    ):
        response = spec["components"]["responses"][name]
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }, name


def test_the_checker_catches_what_does_not_conform(spec: dict[str, Any]) -> None:
    checker = ResponseChecker(spec)
    rule = "/api/v1/achievements/<int:listing_id>"
    error = b'{"error": {"code": "not_found", "message": "x"}}'
    assert checker.problems("GET", rule, 404, "application/json", error) == []
    # smorest's own error shape, an extra key, a wrong type, a missing required key
    assert checker.problems(
        "GET", rule, 404, "application/json", b'{"code": 404, "status": "Not Found"}'
    )
    assert checker.problems(
        "GET",
        rule,
        404,
        "application/json",
        b'{"error": {"code": "x", "message": "y", "extra": 1}}',
    )
    assert checker.problems(
        "GET",
        "/api/v1/me",
        200,
        "application/json",
        b'{"id": "1", "email": "a", "name": "b", "role": "admin"}',
    )
    assert checker.problems(
        "POST", "/api/v1/auth/token", 200, "application/json", b'{"token": "t"}'
    )
    assert checker.problems("GET", "/api/v1/nowhere", 200, "application/json", b"{}")


def _world() -> dict[str, Any]:
    seller_org = f.OrganisationFactory(kind="university", region="330100", name="瓯江大学")
    buyer_org = f.OrganisationFactory(kind="enterprise", region="330300", name="瓯江装备")
    users = {
        "researcher": f.UserFactory(role="researcher", org=seller_org),
        "enterprise": f.UserFactory(role="enterprise", org=buyer_org),
        "broker": f.UserFactory(role="broker"),
        "admin": f.UserFactory(role="admin"),
        "expert": f.UserFactory(role="researcher"),
    }
    achievement = f.AchievementFactory(org=seller_org, title="高导热石墨烯膜")
    demand = f.DemandFactory(
        org=buyer_org, title="散热材料需求", is_challenge=True, bounty=Decimal("50000.00")
    )
    deal = f.DealFactory(
        demand=demand,
        achievement=achievement,
        broker=users["broker"],
        stage="negotiating",
        source="interest",
        reasons=[{"code": "same_field"}],
    )
    contracts = {
        status: f.ContractFactory(
            status=status,
            seller_org=seller_org,
            buyer_org=buyer_org,
            broker=users["broker"],
            deal_id=deal.id,
        )
        for status in ("draft", "submitted")
    }
    lot = f.LotFactory(
        achievement=achievement,
        status="announced",
        announced_at=utcnow(),
        listing_ends_at=utcnow() + timedelta(days=7),
    )
    instrument = f.InstrumentFactory(org=seller_org)
    scheme = f.VoucherSchemeFactory()
    provider = f.VoucherProviderFactory(org=seller_org)
    db.session.commit()
    return {
        "users": users,
        "seller_org": seller_org,
        "buyer_org": buyer_org,
        "achievement": achievement,
        "demand": demand,
        "deal": deal,
        "contracts": contracts,
        "lot": lot,
        "instrument": instrument,
        "scheme": scheme,
        "provider": provider,
    }


def _writes(
    call: Caller, world: dict[str, Any], h: dict[str, dict[str, str]], ids: dict[str, int]
) -> None:
    """The main write operations with valid input; their ids feed the GET sweep."""
    users = world["users"]
    token = _ok(
        call(
            "POST",
            "/api/v1/auth/token",
            json={"email": users["admin"].email, "password": f.PASSWORD},
        )
    )
    assert set(token["user"]) == {"id", "role", "org_id"}
    _ok(call("GET", "/api/v1/me", h["admin"]))

    # Listings: create, change, submit, review; a demand too; a challenge application.
    created = _ok(
        call(
            "POST",
            "/api/v1/achievements",
            h["researcher"],
            json={
                "title": "低温等离子体表面处理技术",
                "summary": "一种用于材料表面改性的等离子体处理方法。",
                "field": "new_materials",
                "price": "120000.00",
                "keywords": ["等离子体"],
            },
        ),
        201,
    )
    listing_id = created["id"]
    _ok(call("PATCH", f"/api/v1/achievements/{listing_id}", h["researcher"], json={"maturity": 5}))
    _ok(call("POST", f"/api/v1/achievements/{listing_id}/submit", h["researcher"], json={}))
    _ok(
        call(
            "POST",
            f"/api/v1/achievements/{listing_id}/review",
            h["admin"],
            json={"decision": "approve"},
        )
    )
    demand = _ok(
        call(
            "POST",
            "/api/v1/demands",
            h["enterprise"],
            json={
                "title": "需要一种耐高温涂层",
                "description": "用于发动机部件的耐高温涂层技术。",
                "field": "new_materials",
                "budget_min": "10000.00",
                "budget_max": "90000.00",
            },
        ),
        201,
    )
    ids["demand"] = demand["id"]
    application = _ok(
        call(
            "POST",
            f"/api/v1/demands/{world['demand'].id}/applications",
            h["researcher"],
            json={"summary": "方案", "team": "团队", "plan": "计划"},
        ),
        201,
    )
    _ok(
        call(
            "POST",
            f"/api/v1/applications/{application['id']}/decision",
            h["enterprise"],
            json={"decision": "shortlist", "reason_code": "best_fit"},
        )
    )
    call("GET", "/api/v1/applications", h["researcher"])

    # Brokerage: interest, claim from the queue, a note.
    interest = call(
        "POST",
        "/api/v1/interests",
        h["enterprise"],
        json={"achievement_id": listing_id, "note": "想了解"},
    )
    assert interest.status_code in (200, 201), interest.get_json()
    deal_id = interest.get_json()["id"]
    _ok(
        call("PATCH", f"/api/v1/deals/{world['deal'].id}", h["broker"], json={"note": "已联系双方"})
    )
    ids["new_deal"] = deal_id

    # Contracts: record, attach the signed copy, submit, register; then the public check.
    contract = _ok(
        call(
            "POST",
            "/api/v1/contracts",
            h["broker"],
            json={
                "title": "检测服务合同",
                "type": "service",
                "subtype": "service",
                "seller_org_id": world["seller_org"].id,
                "buyer_org_id": world["buyer_org"].id,
                "field": "environment",
                "signed_on": date.today().isoformat(),
                "contract_amount": "50000",
                "tech_amount": "50000",
            },
        ),
        201,
    )
    contract_id = contract["id"]
    _ok(
        call(
            "POST",
            f"/api/v1/contracts/{contract_id}/signed-copy",
            h["broker"],
            data={"file": (io.BytesIO(f.SIGNED_PDF), "signed.pdf")},
        ),
        201,
    )
    _ok(call("POST", f"/api/v1/contracts/{contract_id}/submit", h["broker"]))
    registered = _ok(call("POST", f"/api/v1/contracts/{contract_id}/register", h["admin"], json={}))
    ids["contract"] = contract_id
    _ok(
        call(
            "GET",
            f"/api/v1/registrations/{registered['registration_no']}"
            f"?code={registered['verification_code']}",
        )
    )
    _ok(
        call(
            "POST",
            f"/api/v1/contracts/{world['contracts']['submitted'].id}/reject",
            h["admin"],
            json={"reason": "金额不符", "code": "other"},
        )
    )

    # Statistics: a recompute job and its state.
    job = _ok(call("POST", "/api/v1/stats/recompute", h["admin"]), 202)
    ids["job"] = job["job_id"]

    # Events: announce, sign up, approve, check in, meet, record an outcome.
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    event = _ok(
        call(
            "POST",
            "/api/v1/events",
            h["admin"],
            json={
                "type": "roadshow",
                "title": "新材料路演",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "capacity": 5,
                "online": True,
                "listing_ids": [world["achievement"].id],
            },
        ),
        201,
    )
    event_id = ids["event"] = event["id"]
    signups = {}
    for role in ("researcher", "enterprise"):
        signup = _ok(
            call("POST", f"/api/v1/events/{event_id}/signups", h[role], json={"contact": "联系人"}),
            201,
        )
        signups[role] = _ok(
            call(
                "POST",
                f"/api/v1/events/{event_id}/signups/{signup['id']}/review",
                h["admin"],
                json={"decision": "approve"},
            )
        )
    _ok(
        call(
            "POST",
            f"/api/v1/events/{event_id}/checkins",
            h["admin"],
            json={"code": signups["enterprise"]["checkin_code"]},
        )
    )
    meeting = _ok(
        call(
            "POST",
            f"/api/v1/events/{event_id}/appointments",
            h["enterprise"],
            json={
                "invitee_signup_id": signups["researcher"]["id"],
                "slot_start": event["slots"][0],
            },
        ),
        201,
    )
    _ok(
        call(
            "POST",
            f"/api/v1/appointments/{meeting['id']}/answer",
            h["researcher"],
            json={"decision": "accept"},
        )
    )
    _ok(
        call(
            "POST",
            f"/api/v1/events/{event_id}/outcomes",
            h["enterprise"],
            json={
                "seller_org_id": world["seller_org"].id,
                "buyer_org_id": world["buyer_org"].id,
                "kind": "intent",
                "amount": "300000.00",
            },
        ),
        201,
    )

    # Instruments: add one, book it, approve, record the use.
    instrument = _ok(
        call(
            "POST",
            "/api/v1/instruments",
            h["researcher"],
            json={"name": "X 射线衍射仪", "category": "imaging", "fee": "200.00"},
        ),
        201,
    )
    ids["instrument"] = instrument["id"]
    slot = (utcnow() + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    booking = _ok(
        call(
            "POST",
            f"/api/v1/instruments/{world['instrument'].id}/bookings",
            h["enterprise"],
            json={
                "starts_at": slot.isoformat(),
                "ends_at": (slot + timedelta(hours=2)).isoformat(),
                "purpose": "物相分析",
            },
        ),
        201,
    )
    ids["booking"] = booking["id"]
    _ok(call("POST", f"/api/v1/bookings/{booking['id']}/approve", h["researcher"], json={}))

    # Vouchers: a scheme, a provider, an application and its approval.
    _ok(
        call(
            "POST",
            "/api/v1/voucher-schemes",
            h["admin"],
            json={
                "name": "测试券",
                "year": date.today().year,
                "budget": "100000.00",
                "services": ["testing"],
                "ratio_percent": 50,
                "cap_per_application": "20000.00",
                "cap_per_enterprise_year": "40000.00",
                "opens_on": date.today().isoformat(),
                "use_by": (date.today() + timedelta(days=90)).isoformat(),
                "redeem_by": (date.today() + timedelta(days=120)).isoformat(),
                "open": True,
            },
        ),
        201,
    )
    voucher = _ok(
        call(
            "POST",
            "/api/v1/vouchers",
            h["enterprise"],
            json={
                "scheme_id": world["scheme"].id,
                "service_type": "testing",
                "requested_amount": "20000.00",
                "purpose": "检测",
            },
        ),
        201,
    )
    ids["voucher"] = voucher["id"]
    _ok(call("POST", f"/api/v1/vouchers/{voucher['id']}/approve", h["admin"], json={}))

    # Experts and evaluations.
    expert = _ok(
        call(
            "POST",
            "/api/v1/experts",
            h["admin"],
            json={"user_id": users["expert"].id, "title": "senior", "fields": ["new_materials"]},
        ),
        201,
    )
    ids["expert"] = expert["id"]
    evaluation = _ok(
        call(
            "POST",
            "/api/v1/evaluations",
            h["researcher"],
            json={
                "achievement_id": world["achievement"].id,
                "purpose": "transfer",
                "panel_size": 1,
            },
        ),
        201,
    )
    ids["evaluation"] = evaluation["id"]

    # Auctions: a session, a bidder registration on the announced lot.
    bidding = (utcnow() + timedelta(days=20)).replace(microsecond=0)
    session = _ok(
        call(
            "POST",
            "/api/v1/lot-sessions",
            h["admin"],
            json={
                "title": "新材料专场",
                "kind": "industry",
                "registration_opens_at": (bidding - timedelta(days=5)).isoformat(),
                "bidding_starts_at": bidding.isoformat(),
                "bidding_ends_at": (bidding + timedelta(hours=1)).isoformat(),
            },
        ),
        201,
    )
    ids["session"] = session["id"]
    bidder = call(
        "POST",
        f"/api/v1/lots/{world['lot'].id}/bidders",
        h["enterprise"],
        json={"documents": "营业执照"},
    )
    assert bidder.status_code in (201, 409), bidder.get_json()


def test_real_responses_conform_to_the_document(app: Any, spec: dict[str, Any]) -> None:
    world = _world()
    call = Caller(app, spec)
    token_client = app.test_client()
    h = {role: api_headers(token_client, user) for role, user in world["users"].items()}
    ids: dict[str, int] = {}
    _writes(call, world, h, ids)
    assert not call.problems, "\n".join(call.problems)

    # Every GET in the document, its path filled from the world.
    values = {
        "listing_id": world["achievement"].id,
        "deal_id": world["deal"].id,
        "contract_id": ids["contract"],
        "job_id": ids["job"],
        "event_id": ids["event"],
        "instrument_id": world["instrument"].id,
        "booking_id": ids["booking"],
        "voucher_id": ids["voucher"],
        "scheme_id": world["scheme"].id,
        "evaluation_id": ids["evaluation"],
        "lot_id": world["lot"].id,
        "session_id": ids["session"],
        "registration_no": "0" * 16,
    }
    demand_paths = ("/api/v1/demands/{listing_id}",)
    answered: dict[str, int] = {}
    for path, ops in spec["paths"].items():
        if "get" not in ops or path.endswith("openapi.json"):
            continue
        concrete = path
        if path.startswith(demand_paths):
            concrete = path.replace("{listing_id}", str(world["demand"].id))
        concrete = re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), concrete)
        for role in ("admin", "anonymous"):
            response = call("GET", concrete, h.get(role, {}))
            if role == "admin":
                answered[path] = response.status_code
    assert not call.problems, "\n".join(call.problems)
    # The sweep saw real bodies, not only errors: all but the documented refusals are 2xx.
    refused = {path: status for path, status in answered.items() if status >= 300}
    assert set(refused) <= {
        "/api/v1/registrations/{registration_no}",  # an unknown number: 404 by design
        "/api/v1/lots/{lot_id}/result",  # no result before bidding: 409
        "/api/v1/instruments/utilisation",  # administrators have no instruments
    }, refused
    assert len(answered) > 45
