"""Bad contract input is refused field by field, stores nothing and never answers 500."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.contracts import services
from marketplace.contracts.models import Contract, ContractHistory, FrozenRecordError
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import ContractFactory, OrganisationFactory


@pytest.fixture
def parties(app):
    return (
        OrganisationFactory(kind="university", region="330100"),
        OrganisationFactory(kind="enterprise", region="330300"),
    )


def _body(parties, **changes):
    seller, buyer = parties
    body = {
        "title": "技术转让合同",
        "type": "transfer",
        "subtype": "patent",
        "seller_org_id": seller.id,
        "buyer_org_id": buyer.id,
        "field": "new_materials",
        "signed_on": "2025-06-01",
        "contract_amount": "100000.00",
        "tech_amount": "90000.00",
    }
    body.update(changes)
    return body


def _count(model) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


BAD_API_INPUT = [
    ({"tech_amount": "100000.01"}, "tech_amount"),
    ({"contract_amount": "-5"}, "contract_amount"),
    ({"contract_amount": "100.123"}, "contract_amount"),
    ({"tech_amount": "1.001"}, "tech_amount"),
    ({"contract_amount": "NaN"}, "contract_amount"),
    ({"contract_amount": "Infinity"}, "contract_amount"),
    ({"contract_amount": "1e30"}, "contract_amount"),
    ({"contract_amount": 1e30}, "contract_amount"),
    ({"contract_amount": "1000000000000.01"}, "contract_amount"),
    ({"contract_amount": "0"}, "contract_amount"),
    ({"contract_amount": True}, "contract_amount"),
    ({"type": "barter"}, "type"),
    ({"subtype": "software", "type": "license"}, "subtype"),
    ({"subtype": None}, "subtype"),
    ({"type": "consulting", "subtype": "patent"}, "subtype"),
    ({"field": "alchemy"}, "field"),
    ({"plan_category": "secret"}, "plan_category"),
    ({"signed_on": "2025-02-30"}, "signed_on"),
    ({"signed_on": "2999-01-01"}, "signed_on"),
    ({"term_end": "2025-01-01"}, "term_end"),
    ({"title": ""}, "title"),
    ({"seller_org_id": 999999}, "seller_org_id"),
    ({"line_items": [{"description": "设备", "amount": "-1"}]}, "line_items.0.amount"),
    ({"line_items": [{"description": "", "amount": "10"}]}, "line_items.0.description"),
    (
        {"line_items": [{"description": "设备", "amount": "200000", "non_technical": True}]},
        "line_items",
    ),
    (
        {"tech_amount": "1", "line_items": [{"description": "开发", "amount": "100000"}]},
        "tech_amount",
    ),
    ({"status": "registered"}, "status"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_API_INPUT)
def test_api_refuses_bad_contracts(client, make_user, auth_headers, parties, changes, field):
    broker = make_user("broker")
    response = client.post(
        "/api/v1/contracts", json=_body(parties, **changes), headers=auth_headers(broker)
    )
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"], response.json
    assert response.json["error"]["fields"][field]
    assert _count(Contract) == 0 and _count(ContractHistory) == 0


def test_nan_and_infinity_json_literals_are_refused(client, make_user, auth_headers, parties):
    broker = make_user("broker")
    import json

    for literal in ("NaN", "Infinity", "-Infinity", "1e30"):
        text = json.dumps(_body(parties)).replace('"100000.00"', literal)
        response = client.post(
            "/api/v1/contracts",
            data=text,
            content_type="application/json",
            headers=auth_headers(broker),
        )
        assert response.status_code == 422, (literal, response.json)
        assert "contract_amount" in response.json["error"]["fields"]
    assert _count(Contract) == 0


def test_seller_equal_to_buyer_is_refused(client, make_user, auth_headers, parties):
    broker = make_user("broker")
    broker.locale = "en"  # API messages follow the caller's language; the assertion reads English
    db.session.commit()
    seller = parties[0]
    response = client.post(
        "/api/v1/contracts",
        headers=auth_headers(broker),
        json=_body(parties, buyer_org_id=seller.id),
    )
    assert response.status_code == 422
    assert "different organisation" in response.json["error"]["fields"]["buyer_org_id"]
    assert _count(Contract) == 0


def test_web_form_refuses_bad_amounts_with_field_errors(app, make_user, parties):
    broker = make_user("broker")
    web = app.test_client()
    login(web, broker)
    web.get("/lang/en")  # the assertions below read the English messages
    seller, buyer = parties
    base = {
        "title": "合同",
        "type": "transfer",
        "subtype": "patent",
        "seller_org_id": str(seller.id),
        "buyer_org_id": str(buyer.id),
        "field": "new_materials",
        "signed_on": "2025-06-01",
        "contract_amount": "100",
    }
    cases = [
        ({"tech_amount": "200"}, "cannot exceed the contract amount"),
        ({"tech_amount": "-1"}, "cannot be negative"),
        ({"tech_amount": "1.234"}, "at most two decimal places"),
        ({"tech_amount": "NaN"}, "Enter an amount in yuan"),
        ({"tech_amount": "1e30"}, "Enter an amount in yuan"),
        ({"tech_amount": "50", "buyer_org_id": str(seller.id)}, "different organisation"),
        ({"tech_amount": "50", "type": "nonsense"}, "Choose one of the contract types"),
        ({"tech_amount": "50", "subtype": "training"}, "does not belong to this contract type"),
        (
            {"line_items-0-description": "设备", "line_items-0-amount": "3.555"},
            "at most two decimal places",
        ),
    ]
    for changes, message in cases:
        response = web.post("/contracts/new", data={**base, **changes})
        assert response.status_code == 422, changes
        assert message in response.get_data(as_text=True), changes
    assert _count(Contract) == 0


def test_huge_amounts_round_trip_exactly(client, make_user, auth_headers, parties):
    broker = make_user("broker")
    response = client.post(
        "/api/v1/contracts",
        headers=auth_headers(broker),
        json=_body(
            parties,
            contract_amount="1000000000000.00",
            tech_amount=None,
            line_items=[
                {"description": "技术许可费", "amount": "999999999999.99"},
                {"description": "设备", "amount": "0.01", "non_technical": True},
            ],
        ),
    )
    assert response.status_code == 201, response.json
    assert response.json["contract_amount"] == "1000000000000.00"
    assert response.json["tech_amount"] == "999999999999.99"
    db.session.expire_all()
    contract = db.session.get(Contract, response.json["id"])
    assert contract.contract_amount == Decimal("1000000000000.00")
    assert contract.tech_amount == Decimal("999999999999.99")
    assert contract.line_items[0].amount == Decimal("999999999999.99")
    again = client.get(f"/api/v1/contracts/{contract.id}", headers=auth_headers(broker)).json
    assert again["line_items"][1]["amount"] == "0.01"


def _registered(broker, parties) -> Contract:
    seller, buyer = parties
    contract = ContractFactory(
        seller_org=seller,
        buyer_org=buyer,
        broker=broker,
        status="submitted",
        signed_on=date(2025, 5, 1),
    )
    return contract


def test_registered_contract_cannot_be_edited_anywhere(
    app, client, make_user, auth_headers, parties
):
    broker, admin = make_user("broker"), make_user("admin")
    contract = _registered(broker, parties)
    services.register_contract(admin, contract.id)
    frozen = (contract.title, contract.contract_amount, contract.registration_no)
    rows = _count(ContractHistory)

    for user in (broker, admin):
        response = client.patch(
            f"/api/v1/contracts/{contract.id}",
            headers=auth_headers(user),
            json={"title": "改", "contract_amount": "1.00"},
        )
        assert response.status_code == 409
        assert response.json["error"]["code"] == "contract_registered"
        assert response.json["error"]["fields"]["status"]
        web = app.test_client()
        login(web, user)
        response = web.post(
            f"/contracts/{contract.id}/edit", data={"title": "改", "contract_amount": "1"}
        )
        assert response.status_code == 409
        assert web.get(f"/contracts/{contract.id}/edit").status_code == 302
        response = client.post(
            f"/api/v1/contracts/{contract.id}/submit", headers=auth_headers(user)
        )
        assert response.status_code == 409

    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert (contract.title, contract.contract_amount, contract.registration_no) == frozen
    assert _count(ContractHistory) == rows

    # Even code that bypasses the services cannot rewrite it or its history.
    contract.title = "绕过服务"
    with pytest.raises(FrozenRecordError):
        db.session.flush()
    db.session.rollback()
    row = db.session.execute(sa.select(ContractHistory)).scalars().first()
    row.note = "篡改"
    with pytest.raises(FrozenRecordError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(FrozenRecordError):
        db.session.delete(db.session.get(Contract, contract.id))
        db.session.flush()
    db.session.rollback()


def test_database_refuses_rewriting_history_and_registered_contracts(app, make_user, parties):
    broker, admin = make_user("broker"), make_user("admin")
    contract = _registered(broker, parties)
    services.register_contract(admin, contract.id)
    for statement in (
        "UPDATE contract_history SET note = 'x'",
        "DELETE FROM contract_history",
        "UPDATE contracts SET contract_amount = 1",
        "UPDATE contracts SET status = 'draft'",
        "DELETE FROM contracts",
    ):
        with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
            conn.execute(sa.text(statement))


def test_web_save_that_dies_midway_leaves_nothing(app, make_user, parties, monkeypatch):
    broker = make_user("broker")
    web = app.test_client()
    login(web, broker)
    seller, buyer = parties

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    # The audit rows are written after the contract and its items were flushed.
    monkeypatch.setattr(services, "_record", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = web.post(
        "/contracts/new",
        data={
            "title": "合同",
            "type": "transfer",
            "subtype": "patent",
            "seller_org_id": str(seller.id),
            "buyer_org_id": str(buyer.id),
            "field": "new_materials",
            "signed_on": "2025-06-01",
            "contract_amount": "100",
            "line_items-0-description": "开发",
            "line_items-0-amount": "100",
        },
    )
    assert response.status_code == 500
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM contracts")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM contract_line_items")).scalar_one() == 0
    engine.dispose()
