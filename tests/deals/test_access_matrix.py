"""Who may open which brokerage and contract page or endpoint: role × own / other object.

Roles: anonymous; the seller's researcher and the buyer's enterprise user (parties); an enterprise
user of an unrelated organisation (outsider); the broker on the deal and contract (broker); another
broker (other_broker); an administrator. Every case runs on a fresh database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from marketplace.accounts.services import issue_token
from marketplace.contracts import services as contract_services
from marketplace.deals.models import Deal
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import (
    AchievementFactory,
    ContractFactory,
    DemandFactory,
    OrganisationFactory,
    UserFactory,
)

ROLES = ("anonymous", "researcher", "enterprise", "outsider", "broker", "other_broker", "admin")


@pytest.fixture
def world(app) -> dict[str, Any]:
    seller = OrganisationFactory(kind="university", region="330100")
    buyer = OrganisationFactory(kind="enterprise", region="330300")
    outsider_org = OrganisationFactory(kind="enterprise", region="330300")
    users = {
        "researcher": UserFactory(role="researcher", org=seller),
        "enterprise": UserFactory(role="enterprise", org=buyer),
        "outsider": UserFactory(role="enterprise", org=outsider_org),
        "broker": UserFactory(role="broker"),
        "other_broker": UserFactory(role="broker"),
        "admin": UserFactory(role="admin"),
    }
    achievement = AchievementFactory(org=seller)
    demand = DemandFactory(org=buyer)
    queue_achievement = AchievementFactory(org=seller)
    deal = Deal(
        demand_id=demand.id,
        achievement_id=achievement.id,
        buyer_org_id=buyer.id,
        seller_org_id=seller.id,
        broker_id=users["broker"].id,
        stage="claimed",
        source="match",
        reasons=[],
    )
    queued = Deal(
        demand_id=demand.id,
        achievement_id=queue_achievement.id,
        buyer_org_id=buyer.id,
        seller_org_id=seller.id,
        stage="suggested",
        source="match",
        reasons=[],
    )
    db.session.add_all([deal, queued])
    db.session.commit()

    def contract(status: str) -> int:
        return ContractFactory(
            seller_org=seller,
            buyer_org=buyer,
            broker=users["broker"],
            status=status,
            signed_on=date(2025, 5, 1),
        ).id

    draft, submitted, registered = contract("draft"), contract("submitted"), contract("submitted")
    contract_services.register_contract(users["admin"], registered)
    ids = {
        "D": deal.id,
        "Q": queued.id,
        "C": draft,
        "S": submitted,
        "G": registered,
        "ACH": achievement.id,
        "OUT_ORG": outsider_org.id,
        "SELLER": seller.id,
        "BUYER": buyer.id,
        "B2": users["other_broker"].id,
    }
    return {"users": users, "ids": ids}


def _fill(template: Any, ids: dict[str, int]) -> Any:
    if isinstance(template, str):
        for key, value in ids.items():
            template = template.replace("{" + key + "}", str(value))
        return template
    if isinstance(template, dict):
        return {key: _fill(value, ids) for key, value in template.items()}
    return template


def _int_ids(body: Any) -> Any:
    """JSON bodies need integers where the template had ``{ID}`` placeholders."""
    if isinstance(body, dict):
        return {
            k: int(v) if isinstance(v, str) and v.isdigit() and k.endswith("_id") else v
            for k, v in body.items()
        }
    return body


A, R, E, OUT, B, B2, AD = ROLES  # short names keep the table readable

# (method, path, body, {role: status}); roles left out expect 403.
WEB = [
    ("GET", "/broker", None, {A: 302, B: 200, B2: 200, AD: 200}),
    ("GET", "/deals", None, {A: 302, R: 200, E: 200, OUT: 200, B: 200, B2: 200, AD: 200}),
    ("GET", "/deals/{D}", None, {A: 302, R: 200, E: 200, B: 200, AD: 200}),
    ("GET", "/deals/{Q}", None, {A: 302, R: 200, E: 200, B: 200, B2: 200, AD: 200}),
    ("GET", "/deals/new", None, {A: 302, B: 200, B2: 200, AD: 200}),
    ("POST", "/deals/{Q}/claim", {}, {A: 302, B: 302, B2: 302}),
    ("POST", "/deals/{D}/stage", {"stage-stage": "contacting"}, {A: 302, B: 302, AD: 302}),
    ("POST", "/deals/{D}/note", {"note-kind": "note", "note-note": "x"}, {A: 302, B: 302, AD: 302}),
    ("POST", "/deals/{D}/release", {}, {A: 302, B: 302, AD: 302}),
    ("POST", "/deals/{D}/assign", {"assign-broker_id": "{B2}"}, {A: 302, AD: 302}),
    ("POST", "/interests", {"achievement_id": "{ACH}"}, {A: 302, E: 302, OUT: 302}),
    ("GET", "/contracts", None, {A: 302, R: 200, E: 200, OUT: 200, B: 200, B2: 200, AD: 200}),
    ("GET", "/contracts/new", None, {A: 302, B: 200, B2: 200, AD: 200}),
    ("GET", "/contracts/{C}", None, {A: 302, R: 200, E: 200, B: 200, AD: 200}),
    ("GET", "/contracts/{C}/edit", None, {A: 302, B: 200, AD: 200}),
    ("POST", "/contracts/{C}/submit", {}, {A: 302, B: 302, AD: 302}),
    ("POST", "/contracts/{S}/register", {}, {A: 302, AD: 302}),
    ("POST", "/contracts/{S}/reject", {"reason": "x"}, {A: 302, AD: 302}),
    ("POST", "/contracts/{G}/void", {"reason": "x"}, {A: 302, AD: 302}),
]

API = [
    ("POST", "/api/v1/interests", {"achievement_id": "{ACH}"}, {A: 401, E: 201, OUT: 201}),
    ("GET", "/api/v1/deals", None, {A: 401, R: 200, E: 200, OUT: 200, B: 200, B2: 200, AD: 200}),
    (
        "POST",
        "/api/v1/deals",
        {"achievement_id": "{ACH}", "buyer_org_id": "{OUT_ORG}"},
        {A: 401, B: 201, B2: 201, AD: 201},
    ),
    # The parties read their deal through the API as on the deal page (without the notes).
    ("GET", "/api/v1/deals/{D}", None, {A: 401, R: 200, E: 200, B: 200, AD: 200}),
    ("GET", "/api/v1/deals/{Q}", None, {A: 401, R: 200, E: 200, B: 200, B2: 200, AD: 200}),
    ("POST", "/api/v1/deals/{Q}/claim", {}, {A: 401, B: 200, B2: 200}),
    ("POST", "/api/v1/deals/{D}/claim", {}, {A: 401, B: 409, B2: 409}),
    ("PATCH", "/api/v1/deals/{D}", {"stage": "contacting", "note": "x"}, {A: 401, B: 200, AD: 200}),
    ("POST", "/api/v1/deals/{D}/release", {}, {A: 401, B: 200, AD: 200}),
    ("PATCH", "/api/v1/deals/{D}", {"broker_id": "{B2}"}, {A: 401, AD: 200}),
    (
        "GET",
        "/api/v1/contracts",
        None,
        {A: 401, R: 200, E: 200, OUT: 200, B: 200, B2: 200, AD: 200},
    ),
    (
        "POST",
        "/api/v1/contracts",
        {
            "title": "t",
            "type": "consulting",
            "field": "agriculture",
            "seller_org_id": "{SELLER}",
            "buyer_org_id": "{BUYER}",
            "signed_on": "2025-01-02",
            "contract_amount": "10",
            "tech_amount": "10",
        },
        {A: 401, B: 201, B2: 201, AD: 201},
    ),
    ("GET", "/api/v1/contracts/{C}", None, {A: 401, R: 200, E: 200, B: 200, AD: 200}),
    ("PATCH", "/api/v1/contracts/{C}", {"title": "new"}, {A: 401, B: 200, AD: 200}),
    ("POST", "/api/v1/contracts/{C}/submit", {}, {A: 401, B: 200, AD: 200}),
    ("POST", "/api/v1/contracts/{S}/register", {}, {A: 401, AD: 200}),
    ("POST", "/api/v1/contracts/{S}/reject", {"reason": "x"}, {A: 401, AD: 200}),
    ("POST", "/api/v1/contracts/{G}/void", {"reason": "x"}, {A: 401, AD: 200}),
    ("GET", "/api/v1/contracts/{C}/history", None, {A: 401, B: 200, AD: 200}),
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
    web = app.test_client()
    if role != "anonymous":
        login(web, world["users"][role])
    url = _fill(path, world["ids"])
    response = web.get(url) if method == "GET" else web.post(url, data=_fill(body, world["ids"]))
    assert response.status_code == status, response.get_data(as_text=True)[:1500]
    if role == "anonymous":
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "path", "body", "role", "status"), _cases(API))
def test_api_access(client, world, method, path, body, role, status):
    headers = {}
    if role != "anonymous":
        _token, raw = issue_token(world["users"][role], "matrix")
        db.session.commit()
        headers = {"Authorization": f"Bearer {raw}"}
    url = _fill(path, world["ids"])
    payload = _int_ids(_fill(body, world["ids"])) if body is not None else None
    response = client.open(url, method=method, json=payload, headers=headers)
    assert response.status_code == status, response.json
    if status >= 400:
        assert response.json["error"]["code"]
