"""The registration office through the API: signed copy, 核定, refusal codes, certificate check."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.contracts import services
from marketplace.contracts.models import Contract, ContractHistory
from marketplace.extensions import db
from marketplace.stats.models import StatsCell
from marketplace.stats.services import drain_updates
from tests.factories import SIGNED_PDF, ContractFactory, OrganisationFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def office(client, make_user, auth_headers):
    broker, admin = make_user("broker"), make_user("admin")
    seller = OrganisationFactory(kind="university", region="330100", name="浙江工业大学")
    buyer = OrganisationFactory(kind="enterprise", region="330300", name="温州新材料有限公司")
    return {
        "broker": broker,
        "admin": admin,
        "seller": seller,
        "buyer": buyer,
        "b": auth_headers(broker),
        "a": auth_headers(admin),
    }


def _draft(office, **fields) -> Contract:
    values = {
        "seller_org": office["seller"],
        "buyer_org": office["buyer"],
        "broker": office["broker"],
        "title": "锂电池回收关键技术转让",
        "type": "transfer",
        "subtype": "patent",
        "contract_amount": Decimal("1200000.00"),
        "tech_amount": Decimal("1000000.00"),
        "signed_on": date(2026, 3, 5),
    }
    values.update(fields)
    return ContractFactory(**values)


def _register(client, office, contract_id, **body):
    return client.post(f"/api/v1/contracts/{contract_id}/register", headers=office["a"], json=body)


def test_submitting_needs_a_signed_pdf_checked_by_content(client, office):
    contract = _draft(office, signed_copy=False)
    url = f"/api/v1/contracts/{contract.id}"
    response = client.post(f"{url}/submit", headers=office["b"])
    assert response.status_code == 422
    assert "signed_copy" in response.json["error"]["fields"]

    for data, name in (
        (PNG, "scan.pdf"),
        (b"%PDF-1.7 not really", "fake.pdf"),
        (b"hello", "contract.pdf"),
    ):
        response = client.post(
            f"{url}/signed-copy", headers=office["b"], data={"file": (io.BytesIO(data), name)}
        )
        assert response.status_code == 422, name
        assert "file" in response.json["error"]["fields"]
    response = client.post(f"{url}/signed-copy", headers=office["b"], data={})
    assert response.status_code == 422

    response = client.post(
        f"{url}/signed-copy",
        headers=office["b"],
        data={"file": (io.BytesIO(SIGNED_PDF), "合同.pdf")},
    )
    assert response.status_code == 201
    assert client.post(f"{url}/submit", headers=office["b"]).json["status"] == "submitted"
    # Read-only from now on, and readable by the parties.
    response = client.post(
        f"{url}/signed-copy", headers=office["b"], data={"file": (io.BytesIO(SIGNED_PDF), "v2.pdf")}
    )
    assert response.status_code == 409
    copy = client.get(f"{url}/signed-copy", headers=office["a"])
    assert copy.status_code == 200 and copy.data == SIGNED_PDF
    assert copy.headers["Content-Type"] == "application/pdf"


def test_registrar_adjusts_the_technology_amount_with_a_reason(client, office):
    contract = _draft(office, status="submitted")
    too_much = _register(
        client, office, contract.id, verified_tech_amount="1200000.01", reason="含设备"
    )
    assert too_much.status_code == 422
    assert "verified_tech_amount" in too_much.json["error"]["fields"]
    no_reason = _register(client, office, contract.id, verified_tech_amount="900000.00")
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]
    assert _register(client, office, contract.id, verified_tech_amount="abc").status_code == 422
    assert db.session.get(Contract, contract.id).status == "submitted"  # nothing half-written

    response = _register(
        client,
        office,
        contract.id,
        verified_tech_amount="900000.00",
        reason="合同价款含10万元设备安装费，按规定核减。",
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "registered"
    assert (body["tech_amount"], body["verified_tech_amount"]) == ("1000000.00", "900000.00")
    assert len(body["verification_code"]) == services.CODE_LENGTH
    assert body["tax_exempt"] is True  # a transfer qualifies by default

    verify = db.session.execute(
        sa.select(ContractHistory).where(
            ContractHistory.contract_id == contract.id, ContractHistory.action == "verify"
        )
    ).scalar_one()
    assert (verify.before, verify.after) == ("1000000.00", "900000.00")
    assert "设备安装费" in verify.note

    drain_updates()
    cell = db.session.execute(
        sa.select(StatsCell).where(
            StatsCell.side == "seller",
            StatsCell.dim == "all",
            StatsCell.month == 3,
            StatsCell.year == 2026,
        )
    ).scalar_one()
    assert (cell.contract_amount, cell.tech_amount) == (Decimal("1200000.00"), Decimal("900000.00"))


def test_vat_exemption_only_for_transfer_licence_and_development(client, office):
    consulting = _draft(office, status="submitted", type="consulting", subtype=None)
    response = _register(client, office, consulting.id, tax_exempt=True)
    assert response.status_code == 422 and "tax_exempt" in response.json["error"]["fields"]
    response = _register(client, office, consulting.id)
    assert response.status_code == 200 and response.json["tax_exempt"] is False


def test_refusal_carries_a_reason_code(client, office):
    contract = _draft(office, status="submitted")
    url = f"/api/v1/contracts/{contract.id}/reject"
    assert client.post(url, headers=office["a"], json={"code": "nonsense"}).status_code == 422
    response = client.post(url, headers=office["a"], json={"code": "amount_mismatch"})
    assert response.status_code == 200
    assert (response.json["status"], response.json["reject_code"]) == (
        "rejected",
        "amount_mismatch",
    )


def test_line_items_must_add_up_to_the_contract_amount(client, office):
    payload = {
        "title": "膜材料技术开发",
        "type": "development",
        "subtype": "commissioned",
        "seller_org_id": office["seller"].id,
        "buyer_org_id": office["buyer"].id,
        "field": "new_materials",
        "signed_on": "2026-03-01",
        "contract_amount": "1200000.00",
        "line_items": [
            {"description": "研发费", "amount": "1000000.00"},
            {"description": "设备", "amount": "160000.00", "non_technical": True},
        ],
    }
    response = client.post("/api/v1/contracts", headers=office["b"], json=payload)
    assert response.status_code == 422
    message = response.json["error"]["fields"]["line_items"]
    assert "1160000.00" in message and "40000.00" in message
    payload["line_items"].append({"description": "其他", "amount": "40000.00"})
    response = client.post("/api/v1/contracts", headers=office["b"], json=payload)
    assert response.status_code == 201 and response.json["tech_amount"] == "1040000.00"


def test_public_check_shows_only_the_certificate_and_then_void(client, office):
    contract = _draft(office, status="submitted")
    body = _register(client, office, contract.id).json
    number, code = body["registration_no"], body["verification_code"]

    response = client.get(f"/api/v1/registrations/{number}?code={code.lower()}")
    assert response.status_code == 200
    assert response.json == {
        "registration_no": number,
        "title": "锂电池回收关键技术转让",
        "type": "transfer",
        "signed_on": "2026-03-05",
        "registered_at": body["registered_at"],
        "status": "valid",
    }

    wrong = client.get(f"/api/v1/registrations/{number}?code=ZZZZZZZZZZ")
    unknown = client.get(f"/api/v1/registrations/2026330100999999?code={code}")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json == unknown.json  # no hint whether the number exists
    assert client.get(f"/api/v1/registrations/12ab?code={code}").status_code == 422
    assert client.get(f"/api/v1/registrations/{number}").status_code == 422

    voided = client.post(
        f"/api/v1/contracts/{contract.id}/void",
        headers=office["a"],
        json={"reason": "双方解除合同"},
    )
    assert voided.status_code == 200, voided.json
    response = client.get(f"/api/v1/registrations/{number}?code={code}")
    assert response.status_code == 200 and response.json["status"] == "void"
    assert set(response.json) == {
        "registration_no",
        "title",
        "type",
        "signed_on",
        "registered_at",
        "status",
    }
