"""The broker journey through the API: match suggestion → deal → contract → registration."""

from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.contracts.services import local_today
from marketplace.deals.suggestions import record_suggestion
from marketplace.extensions import db
from marketplace.outbox import OutboxMessage
from tests.factories import (
    SIGNED_PDF,
    AchievementFactory,
    DemandFactory,
    OrganisationFactory,
)


def _outbox(topic: str) -> list[dict]:
    return [
        row.payload
        for row in db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        ).scalars()
    ]


def test_broker_journey_from_suggestion_to_registered_contract(client, make_user, auth_headers):
    seller_org = OrganisationFactory(kind="university", region="330100", name="浙江示例大学")
    buyer_org = OrganisationFactory(kind="enterprise", region="330300", name="瓯江装备")
    broker = make_user("broker")
    admin = make_user("admin")
    make_user("researcher", org=seller_org)
    make_user("enterprise", org=buyer_org)
    achievement = AchievementFactory(org=seller_org, title="高导热石墨烯膜", field="new_materials")
    demand = DemandFactory(org=buyer_org, title="散热材料需求")
    reasons = [{"code": "shared_terms", "terms": ["散热"]}, {"code": "same_field"}]
    record_suggestion(demand.id, achievement.id, 0.82, reasons)
    db.session.commit()

    b, a = auth_headers(broker), auth_headers(admin)
    queue = client.get("/api/v1/deals?scope=queue", headers=b).json
    assert queue["total"] == 1
    deal = queue["items"][0]
    assert deal["stage"] == "suggested" and deal["reasons"] == reasons
    assert deal["achievement"]["title"] == "高导热石墨烯膜"
    assert deal["demand"]["title"] == "散热材料需求"

    response = client.post(f"/api/v1/deals/{deal['id']}/claim", json={}, headers=b)
    assert response.status_code == 200, response.json
    assert response.json["stage"] == "claimed" and response.json["broker_id"] == broker.id
    for body in (
        {"stage": "contacting", "note": "电话联系双方"},
        {"note": "约定下周面谈", "note_kind": "contact"},
        {"stage": "negotiating", "note": "价格谈判中"},
        {"stage": "signed", "note": "双方已签约"},
    ):
        response = client.patch(f"/api/v1/deals/{deal['id']}", json=body, headers=b)
        assert response.status_code == 200, response.json
    events = response.json["events"]
    assert [e["kind"] for e in events] == ["stage", "claim", "stage", "contact", "stage", "stage"]
    assert events[-1]["to_stage"] == "signed" and events[-1]["note"] == "双方已签约"
    assert events[-1]["actor_id"] == broker.id

    signed_on = local_today() - timedelta(days=3)
    response = client.post(
        "/api/v1/contracts",
        headers=b,
        json={
            "deal_id": deal["id"],
            "type": "transfer",
            "subtype": "patent",
            "signed_on": signed_on.isoformat(),
            "term_end": (signed_on + timedelta(days=365)).isoformat(),
            "contract_amount": "1200000.00",
            "line_items": [
                {"description": "专利权转让费", "amount": "1000000.00"},
                {"description": "中试设备", "amount": "150000.50", "non_technical": True},
                {"description": "其他技术服务", "amount": "49999.50"},
            ],
        },
    )
    assert response.status_code == 201, response.json
    contract = response.json
    # The deal pre-filled the title, parties and field; the items give 技术交易额.
    assert contract["title"] == "高导热石墨烯膜"
    assert (contract["seller_org_id"], contract["buyer_org_id"]) == (seller_org.id, buyer_org.id)
    assert contract["field"] == "new_materials" and contract["broker_id"] == broker.id
    assert contract["contract_amount"] == "1200000.00"
    assert contract["tech_amount"] == "1049999.50"
    assert contract["status"] == "draft" and contract["registration_no"] is None

    response = client.post(f"/api/v1/contracts/{contract['id']}/submit", headers=b)
    assert response.status_code == 422 and "signed_copy" in response.json["error"]["fields"]
    response = client.post(
        f"/api/v1/contracts/{contract['id']}/signed-copy",
        headers=b,
        data={"file": (io.BytesIO(SIGNED_PDF), "签署本.pdf")},
    )
    assert response.status_code == 201, response.json
    assert response.json["name"] == "签署本.pdf"
    assert (
        client.post(f"/api/v1/contracts/{contract['id']}/submit", headers=b).json["status"]
        == "submitted"
    )
    response = client.post(f"/api/v1/contracts/{contract['id']}/register", headers=a)
    assert response.status_code == 200, response.json
    registered = response.json
    year = local_today().year
    assert registered["status"] == "registered"
    assert registered["registration_no"] == f"{year}330100000001"
    assert (registered["seller_region"], registered["seller_kind"]) == ("330100", "university")
    assert (registered["buyer_region"], registered["buyer_kind"]) == ("330300", "enterprise")
    assert _outbox("stats") == [{"contract_id": contract["id"]}]
    kinds = [payload["kind"] for payload in _outbox("notify")]
    assert "deal_stage" in kinds and kinds.count("contract_status") == 2

    history = client.get(f"/api/v1/contracts/{contract['id']}/history", headers=b).json["items"]
    actions = [(row["action"], row["field"]) for row in history]
    assert ("create", "contract_amount") in actions and ("create", "line_items") in actions
    assert ("submit", "status") in actions and ("register", "status") in actions
    assert ("register", "registration_no") in actions
    number = next(row for row in history if row["field"] == "registration_no")
    assert number["after"] == registered["registration_no"] and number["actor_id"] == admin.id
    assert all(row["created_at"] for row in history)

    # Registered: frozen for the broker and for the admin alike.
    for headers in (b, a):
        response = client.patch(
            f"/api/v1/contracts/{contract['id']}", json={"title": "改名"}, headers=headers
        )
        assert response.status_code == 409
        assert "status" in response.json["error"]["fields"]
    assert (
        client.get(f"/api/v1/contracts/{contract['id']}", headers=b).json["title"]
        == "高导热石墨烯膜"
    )

    response = client.post(
        f"/api/v1/contracts/{contract['id']}/void", json={"reason": "重复登记"}, headers=a
    )
    assert response.status_code == 200 and response.json["status"] == "void"
    assert response.json["registration_no"] == registered["registration_no"]
    assert _outbox("stats") == [{"contract_id": contract["id"]}] * 2


def test_edit_rejected_contract_and_resubmit(client, make_user, auth_headers):
    broker, admin = make_user("broker"), make_user("admin")
    seller = OrganisationFactory(kind="institute", region="330200")
    buyer = OrganisationFactory(kind="enterprise", region="320500")
    b, a = auth_headers(broker), auth_headers(admin)
    response = client.post(
        "/api/v1/contracts",
        headers=b,
        json={
            "title": "检测服务合同",
            "type": "service",
            "subtype": "service",
            "seller_org_id": seller.id,
            "buyer_org_id": buyer.id,
            "field": "environment",
            "signed_on": date(2025, 3, 1).isoformat(),
            "contract_amount": "50000",
            "tech_amount": "50000",
        },
    )
    assert response.status_code == 201, response.json
    cid = response.json["id"]
    client.post(
        f"/api/v1/contracts/{cid}/signed-copy",
        headers=b,
        data={"file": (io.BytesIO(SIGNED_PDF), "signed.pdf")},
    )
    client.post(f"/api/v1/contracts/{cid}/submit", headers=b)
    response = client.post(f"/api/v1/contracts/{cid}/reject", json={"reason": ""}, headers=a)
    assert response.status_code == 422 and "reason" in response.json["error"]["fields"]
    response = client.post(
        f"/api/v1/contracts/{cid}/reject", json={"reason": "缺少技术附件"}, headers=a
    )
    assert response.json["status"] == "rejected"
    assert response.json["reject_reason"] == "缺少技术附件"
    response = client.patch(
        f"/api/v1/contracts/{cid}",
        headers=b,
        json={"contract_amount": "60000", "tech_amount": "55000.5"},
    )
    assert response.status_code == 200, response.json
    assert (response.json["contract_amount"], response.json["tech_amount"]) == (
        "60000.00",
        "55000.50",
    )
    client.post(f"/api/v1/contracts/{cid}/submit", headers=b)
    number = client.post(f"/api/v1/contracts/{cid}/register", headers=a).json["registration_no"]
    assert number == f"{local_today().year}330200000001"
    history = client.get(f"/api/v1/contracts/{cid}/history", headers=a).json["items"]
    edit = {
        row["field"]: (row["before"], row["after"]) for row in history if row["action"] == "edit"
    }
    assert edit == {
        "contract_amount": ("50000.00", "60000.00"),
        "tech_amount": ("50000.00", "55000.50"),
    }
    reject = next(row for row in history if row["action"] == "reject")
    assert reject["note"] == "缺少技术附件" and reject["actor_id"] == admin.id
