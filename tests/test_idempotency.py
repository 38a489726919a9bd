"""Create forms and create API calls are safe to repeat: Back and send again, or a client retry
with the same Idempotency-Key, returns what the first request created."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract
from marketplace.database import utcnow
from marketplace.deals.models import Deal, DealEvent
from marketplace.events.models import Event
from marketplace.experts.models import Evaluation, Expert
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.workdays import LOCAL_TZ
from tests.conftest import login
from tests.factories import AchievementFactory, OrganisationFactory, UserFactory


def _count(model) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _token(html: str) -> str:
    match = re.search(r'name="form_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="form_token" name="form_token" type="hidden" value="([^"]+)"', html
    )
    assert match, "the form carries no one-time token"
    return match.group(1)


@pytest.fixture
def parties(app):
    return (
        OrganisationFactory(kind="university", region="330100"),
        OrganisationFactory(kind="enterprise", region="330300"),
    )


def test_sending_the_contract_form_twice_records_one_contract(client, make_user, parties):
    login(client, make_user("broker"))
    seller, buyer = parties
    token = _token(client.get("/contracts/new").get_data(as_text=True))
    data = {
        "form_token": token,
        "title": "污水处理膜技术转让合同",
        "type": "transfer",
        "subtype": "patent",
        "seller_org_id": str(seller.id),
        "buyer_org_id": str(buyer.id),
        "field": "environment",
        "signed_on": "2026-06-01",
        "contract_amount": "1200000",
        "tech_amount": "1200000",
    }
    first = client.post("/contracts/new", data=data)
    again = client.post("/contracts/new", data=data)  # Back, then send again
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(Contract) == 1
    assert "已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)
    # A fresh rendering of the form is a new contract.
    data["form_token"] = _token(client.get("/contracts/new").get_data(as_text=True))
    client.post("/contracts/new", data=data)
    assert _count(Contract) == 2


def test_a_form_with_errors_keeps_its_token_usable(client, make_user, parties):
    login(client, make_user("broker"))
    seller, buyer = parties
    token = _token(client.get("/contracts/new").get_data(as_text=True))
    data = {
        "form_token": token,
        "title": "合同",
        "type": "transfer",
        "subtype": "patent",
        "seller_org_id": str(seller.id),
        "buyer_org_id": str(buyer.id),
        "field": "environment",
        "signed_on": "2026-06-01",
        "contract_amount": "100",
        "tech_amount": "200",
    }
    assert client.post("/contracts/new", data=data).status_code == 422
    data["tech_amount"] = "100"
    assert client.post("/contracts/new", data=data).status_code == 302
    assert _count(Contract) == 1


def test_listing_form_twice_makes_one_draft(client, make_user):
    login(client, make_user("researcher"))
    token = _token(client.get("/achievements/new").get_data(as_text=True))
    data = {
        "form_token": token,
        "title": "高效锂电池回收技术",
        "body": "湿法冶金回收锂钴镍，回收率高。",
        "field": "new_energy",
        "maturity": "6",
        "ip_type": "invention_patent",
        "modes": ["transfer"],
        "price": "1500000",
    }
    first = client.post("/achievements/new", data=data)
    again = client.post("/achievements/new", data=data)
    assert first.status_code == again.status_code == 302, first.get_data(as_text=True)[:2000]
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(Listing) == 1


def _sent_twice(client, path: str, data: dict, page: str | None = None) -> str:
    """Render ``path`` (or ``page``, where the form is), send the form twice with one token, and
    return where both answers lead."""
    data = {**data, "form_token": _token(client.get(page or path).get_data(as_text=True))}
    first = client.post(path, data=data)
    again = client.post(path, data=data)  # Back, then send again
    assert first.status_code == again.status_code == 302, again.get_data(as_text=True)[:2000]
    assert first.headers["Location"] == again.headers["Location"]
    assert "已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)
    return again.headers["Location"]


def test_event_form_twice_announces_one_event(client, make_user):
    login(client, make_user("admin"))
    starts = (utcnow() + timedelta(days=10)).astimezone(LOCAL_TZ).replace(hour=9, minute=0)
    data = {
        "type": "roadshow",
        "title": "新材料成果路演",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "place": "温州科技大市场",
        "capacity": "50",
        "slot_minutes": "20",
    }
    location = _sent_twice(client, "/events/new", data)
    assert _count(Event) == 1
    event = db.session.execute(sa.select(Event)).scalar_one()
    assert location.endswith(f"/events/{event.id}")


def test_expert_form_twice_adds_one_expert(client, make_user):
    login(client, make_user("admin"))
    professor = UserFactory(role="researcher")
    data = {
        "email": professor.email,
        "title": "senior",
        "tier": "general",
        "fields": ["new_materials"],
    }
    location = _sent_twice(client, "/experts/new", data)
    assert _count(Expert) == 1
    expert = db.session.execute(sa.select(Expert)).scalar_one()
    assert expert.user_id == professor.id
    assert location.endswith(f"/experts/{expert.id}")


def test_evaluation_form_twice_requests_one_evaluation(client, make_user):
    owner = make_user("researcher")
    achievement = AchievementFactory(org=owner.org)
    login(client, owner)
    path = f"/evaluations/new?achievement_id={achievement.id}"
    data = {
        "purpose": "financing",
        "panel_size": "3",
        "exclude_1": "0",
        "exclude_2": "0",
        "exclude_3": "0",
    }
    location = _sent_twice(client, path, data)
    assert _count(Evaluation) == 1
    evaluation = db.session.execute(sa.select(Evaluation)).scalar_one()
    assert evaluation.achievement_id == achievement.id
    assert location.endswith(f"/evaluations/{evaluation.id}")


def test_admin_user_form_twice_creates_one_user(client, make_user):
    login(client, make_user("admin"))
    data = {
        "email": "broker@example.cn",
        "name": "陈",
        "password": "long-password-1",
        "role": "broker",
        "org_name": "技术转移中心",
        "org_kind": "agency",
        "region": "330300",
    }
    location = _sent_twice(client, "/admin/users/new", data)
    assert _count(User) == 2  # the admin and the new broker
    assert "broker%40example.cn" in location or "broker@example.cn" in location
    page = client.get(location).get_data(as_text=True)
    assert "broker@example.cn" in page


def test_interest_sent_twice_is_one_interest(client, make_user):
    achievement = AchievementFactory()
    enterprise = make_user("enterprise")
    login(client, enterprise)
    html = client.get(f"/achievements/{achievement.id}").get_data(as_text=True)
    data = {"form_token": _token(html), "achievement_id": str(achievement.id), "note": "想了解"}
    client.post("/interests", data=data)
    client.post("/interests", data=data)
    deal = db.session.execute(sa.select(Deal)).scalar_one()
    notes = db.session.execute(sa.select(DealEvent.note).where(DealEvent.deal_id == deal.id))
    assert list(notes.scalars()).count("想了解") == 1


def test_api_idempotency_key_returns_the_first_contract(client, make_user, auth_headers, parties):
    headers = {**auth_headers(make_user("broker")), "Idempotency-Key": "retry-7f3a"}
    seller, buyer = parties
    body = {
        "title": "技术转让合同",
        "type": "transfer",
        "subtype": "patent",
        "seller_org_id": seller.id,
        "buyer_org_id": buyer.id,
        "field": "new_materials",
        "signed_on": "2026-06-01",
        "contract_amount": "100000.00",
        "tech_amount": "90000.00",
    }
    first = client.post("/api/v1/contracts", json=body, headers=headers)
    again = client.post("/api/v1/contracts", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert _count(Contract) == 1
    # The same key for a different request is refused, with the JSON error shape.
    other = client.post("/api/v1/contracts", json={**body, "title": "另一份合同"}, headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _count(Contract) == 1
    # Without the header every call creates (the header is the client's promise).
    plain = {key: value for key, value in headers.items() if key != "Idempotency-Key"}
    client.post("/api/v1/contracts", json=body, headers=plain)
    assert _count(Contract) == 2


def test_api_listing_create_with_a_key_is_created_once(client, make_user, auth_headers):
    headers = {**auth_headers(make_user("enterprise")), "Idempotency-Key": "d-1"}
    body = {"title": "手机散热材料需求", "description": "需要高导热薄膜", "field": "new_materials"}
    ids = {
        client.post("/api/v1/demands", json=body, headers=headers).get_json()["id"]
        for _ in range(2)
    }
    assert len(ids) == 1 and _count(Listing) == 1
