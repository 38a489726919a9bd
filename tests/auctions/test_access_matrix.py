"""Who may open which lot page or endpoint: owner, other organisation, approved bidder,
non-registered enterprise, organising broker, admin, anonymous. Fresh database per case."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from marketplace.accounts.services import issue_token
from marketplace.auctions.models import Bid, LotBidder, LotSession
from marketplace.database import utcnow
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import (
    AchievementFactory,
    LotFactory,
    OrganisationFactory,
    UserFactory,
)

ROLES = ("anonymous", "owner", "other_org", "bidder", "enterprise", "broker", "admin")
A, OW, OT, BI, EN, BR, AD = ROLES


@pytest.fixture
def world(app) -> dict[str, Any]:
    """Lots in each state, written directly (the services are tested on their own)."""
    seller = OrganisationFactory(kind="university")
    users = {
        "owner": UserFactory(role="researcher", org=seller),
        "other_org": UserFactory(role="researcher"),
        "bidder": UserFactory(role="enterprise"),
        "enterprise": UserFactory(role="enterprise"),
        "broker": UserFactory(role="broker"),
        "admin": UserFactory(role="admin"),
    }
    achievement = AchievementFactory(org=seller)
    now = utcnow()

    def lot(status: str, **kwargs: Any) -> Any:
        return LotFactory(achievement=achievement, broker=users["broker"], status=status, **kwargs)

    draft, pending = lot("draft"), lot("pending")
    registration = lot(
        "registration",
        announced_at=now - timedelta(days=1),
        registration_opens_at=now - timedelta(hours=1),
        bidding_starts_at=now + timedelta(days=2),
        bidding_ends_at=now + timedelta(days=3),
    )
    stranger = UserFactory(role="enterprise")
    waiting = LotBidder(lot_id=registration.id, org_id=stranger.org_id, user_id=stranger.id)
    live = lot(
        "bidding",
        announced_at=now - timedelta(days=8),
        registration_opens_at=now - timedelta(days=3),
        bidding_starts_at=now - timedelta(hours=1),
        bidding_ends_at=now + timedelta(hours=1),
    )
    sold = lot(
        "sold",
        announced_at=now - timedelta(days=9),
        registration_opens_at=now - timedelta(days=4),
        bidding_starts_at=now - timedelta(days=1, hours=2),
        bidding_ends_at=now - timedelta(days=1),
        sale_price=Decimal("100000"),
        closed_at=now - timedelta(days=1),
    )
    approved = [
        LotBidder(
            lot_id=target.id,
            org_id=users["bidder"].org_id,
            user_id=users["bidder"].id,
            status="approved",
            number=1,
            deposit_status="received",
            deposit_amount=Decimal("10000"),
            deposit_receipt="R1",
        )
        for target in (live, sold)
    ]
    db.session.add_all([waiting, *approved])
    db.session.flush()
    db.session.add(
        Bid(
            lot_id=sold.id,
            bidder_id=approved[1].id,
            amount=Decimal("100000"),
            placed_at=now - timedelta(days=1, hours=1),
            closes_at=sold.closes_at,
        )
    )
    sold.top_amount, sold.top_bidder_id, sold.winner_id = (
        Decimal("100000"),
        approved[1].id,
        approved[1].id,
    )
    sold.bid_count = 1
    session = LotSession(
        title="新材料专场",
        kind="industry",
        registration_opens_at=now + timedelta(days=9),
        bidding_starts_at=now + timedelta(days=12),
        bidding_ends_at=now + timedelta(days=12, hours=2),
    )
    db.session.add(session)
    db.session.commit()
    ids = {
        "SE": session.id,
        "D": draft.id,
        "P": pending.id,
        "R": registration.id,
        "RB": waiting.id,
        "B": live.id,
        "S": sold.id,
        "ACH": achievement.id,
    }
    return {"users": users, "ids": ids}


def _fill(template: Any, ids: dict[str, int]) -> Any:
    if isinstance(template, str):
        placeholder = template.startswith("{") and template.endswith("}")
        for key, value in sorted(ids.items(), key=lambda kv: -len(kv[0])):
            template = template.replace("{" + key + "}", str(value))
        return int(template) if placeholder else template
    if isinstance(template, dict):
        return {key: _fill(value, ids) for key, value in template.items()}
    return template


NEW_LOT = {
    "achievement_id": "{ACH}",
    "mode": "listing",
    "rights": "license",
    "start_price": "50000",
    "increment": "1000",
    "deposit": "5000",
}

_SOON = utcnow().replace(microsecond=0) + timedelta(days=20)
SESSION = {
    "title": "区域专场",
    "kind": "regional",
    "registration_opens_at": (_SOON - timedelta(days=3)).isoformat(),
    "bidding_starts_at": _SOON.isoformat(),
    "bidding_ends_at": (_SOON + timedelta(hours=2)).isoformat(),
}

# (method, path, body, {role: status}); roles left out expect 403.
API = [
    ("GET", "/api/v1/lots", None, {r: 200 for r in ROLES}),
    ("POST", "/api/v1/lots", NEW_LOT, {A: 401, OW: 201, AD: 201, OT: 422, BI: 422, EN: 422}),
    ("GET", "/api/v1/lots/{D}", None, {A: 401, OW: 200, BR: 200, AD: 200}),
    ("GET", "/api/v1/lots/{B}", None, {r: 200 for r in ROLES}),
    (
        "PATCH",
        "/api/v1/lots/{D}",
        {"qualifications": "注册资本不低于100万元"},
        {A: 401, OW: 200, AD: 200},
    ),
    ("PATCH", "/api/v1/lots/{B}", {"qualifications": "x"}, {A: 401, OW: 409, AD: 409}),
    ("POST", "/api/v1/lots/{D}/announce", {}, {A: 401, OW: 200, AD: 200}),
    ("POST", "/api/v1/lots/{P}/announce", {"decision": "approve"}, {A: 401, AD: 200}),
    ("POST", "/api/v1/lots/{R}/bidders", {"documents": "营业执照"}, {A: 401, BI: 201, EN: 201}),
    (
        "POST",
        "/api/v1/lots/{R}/bidders/{RB}/approve",
        {"deposit_receipt": "HD-1", "deposit_amount": "10000"},
        {A: 401, BR: 200, AD: 200},
    ),
    ("GET", "/api/v1/lots/{B}/bidders", None, {A: 401, BR: 200, AD: 200}),
    ("POST", "/api/v1/lots/{B}/bids", {"amount": "100000"}, {A: 401, BI: 201}),
    ("GET", "/api/v1/lots/{B}/bids", None, {r: 200 for r in ROLES}),
    ("GET", "/api/v1/lots/{D}/bids", None, {A: 401, OW: 200, BR: 200, AD: 200}),
    ("GET", "/api/v1/lots/{S}/result", None, {r: 200 for r in ROLES}),
    ("GET", "/api/v1/lots/{B}/result", None, {r: 409 for r in ROLES}),
    ("GET", "/api/v1/lots/{B}/history", None, {A: 401, OW: 200, BR: 200, AD: 200}),
    ("POST", "/api/v1/lots/{R}/withdraw", {}, {A: 401, OW: 200, AD: 200}),
    ("POST", "/api/v1/lots/{S}/default", {"reason": "未签约"}, {A: 401, BR: 200, AD: 200}),
    ("GET", "/api/v1/lot-sessions", None, {r: 200 for r in ROLES}),
    ("POST", "/api/v1/lot-sessions", SESSION, {A: 401, AD: 201}),
]

WEB = [
    ("GET", "/lots", None, {r: 200 for r in ROLES}),
    ("GET", "/lots/new", None, {A: 302, OW: 200, OT: 200, BI: 200, EN: 200, AD: 200}),
    ("GET", "/lots/{D}", None, {A: 401, OW: 200, BR: 200, AD: 200}),
    ("GET", "/lots/{B}", None, {r: 200 for r in ROLES}),
    ("GET", "/lots/{R}", None, {r: 200 for r in ROLES}),
    ("GET", "/lots/{S}", None, {r: 200 for r in ROLES}),
    ("GET", "/lots/{S}/result", None, {r: 200 for r in ROLES}),
    ("GET", "/lots/{S}/confirmation.pdf", None, {A: 302, OW: 200, BI: 200, BR: 200, AD: 200}),
    ("GET", "/lots/{D}/edit", None, {A: 302, OW: 200, AD: 200}),
    ("POST", "/lots/{D}/submit", {}, {A: 302, OW: 302, AD: 302}),
    ("POST", "/lots/{P}/review", {"decision": "approve"}, {A: 302, AD: 302}),
    ("POST", "/lots/{R}/register", {"documents": "营业执照"}, {A: 302, BI: 302, EN: 302}),
    (
        "POST",
        "/lots/{R}/bidders/{RB}/approve",
        {"deposit_receipt": "HD-1", "deposit_amount": "10000"},
        {A: 302, BR: 302, AD: 302},
    ),
    ("POST", "/lots/{B}/bid", {"amount": "100000"}, {A: 302, BI: 302}),
    ("POST", "/lots/{R}/withdraw", {}, {A: 302, OW: 302, AD: 302}),
    ("POST", "/lots/{S}/default", {"reason": "未签约"}, {A: 302, BR: 302, AD: 302}),
    ("GET", "/lot-sessions/{SE}", None, {r: 200 for r in ROLES}),
]


def _cases(table: list[tuple]) -> list[Any]:
    return [
        pytest.param(
            method, path, body, role, expected.get(role, 403), id=f"{method} {path} as {role}"
        )
        for method, path, body, expected in table
        for role in ROLES
    ]


@pytest.mark.parametrize(("method", "path", "body", "role", "status"), _cases(API))
def test_api_access(client, world, method, path, body, role, status):
    headers = {}
    if role != "anonymous":
        _token, raw = issue_token(world["users"][role], "matrix")
        db.session.commit()
        headers = {"Authorization": f"Bearer {raw}"}
    url = _fill(path, world["ids"])
    payload = _fill(body, world["ids"]) if body is not None else None
    response = client.open(url, method=method, json=payload, headers=headers)
    assert response.status_code == status, response.json
    if status >= 400:
        assert response.json["error"]["code"]


@pytest.mark.parametrize(("method", "path", "body", "role", "status"), _cases(WEB))
def test_web_access(app, world, method, path, body, role, status):
    web = app.test_client()
    if role != "anonymous":
        login(web, world["users"][role])
    url = _fill(path, world["ids"])
    response = web.get(url) if method == "GET" else web.post(url, data=_fill(body, world["ids"]))
    assert response.status_code == status, response.get_data(as_text=True)[:1500]
    if role == "anonymous" and status == 302:
        assert "/login" in response.headers["Location"]
