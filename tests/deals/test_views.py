"""The broker journey in the browser: queue → claim → stages → contract form → registration."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import sqlalchemy as sa
from flask import render_template_string
from flask_babel import force_locale

from marketplace.contracts.models import Contract
from marketplace.contracts.services import local_today
from marketplace.deals.models import Deal, DealEvent
from marketplace.deals.suggestions import record_suggestion
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import (
    SIGNED_PDF,
    AchievementFactory,
    DealFactory,
    DemandFactory,
    OrganisationFactory,
)


def _pair():
    seller = OrganisationFactory(kind="university", region="330100")
    buyer = OrganisationFactory(kind="enterprise", region="330300")
    achievement = AchievementFactory(
        org=seller, title="智能巡检机器人", field="advanced_manufacturing"
    )
    demand = DemandFactory(org=buyer, title="变电站巡检需求", field="advanced_manufacturing")
    return seller, buyer, achievement, demand


def test_broker_journey_in_the_browser(app, make_user):
    seller, buyer, achievement, demand = _pair()
    record_suggestion(
        demand.id,
        achievement.id,
        0.77,
        [{"code": "shared_terms", "text": "共同关键词", "terms": ["巡检"]}],
    )
    db.session.commit()
    deal = db.session.execute(sa.select(Deal)).scalar_one()
    broker, admin = make_user("broker"), make_user("admin")
    buyer_user = make_user("enterprise", org=buyer)

    web = app.test_client()
    login(web, broker)
    page = web.get("/broker?field=advanced_manufacturing&region=330000").get_data(as_text=True)
    assert "智能巡检机器人" in page and f'data-deal="{deal.id}"' in page
    other_field = web.get("/broker?field=agriculture").get_data(as_text=True)
    assert f'data-deal="{deal.id}"' not in other_field

    detail = web.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "变电站巡检需求" in detail and "共同关键词" in detail and "巡检" in detail
    assert web.post(f"/deals/{deal.id}/claim", data={}).status_code == 302
    for stage, note in (
        ("contacting", "首次电话"),
        ("negotiating", "报价 80 万"),
        ("signed", "签约完成"),
    ):
        response = web.post(
            f"/deals/{deal.id}/stage", data={"stage-stage": stage, "stage-note": note}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = web.post(
        f"/deals/{deal.id}/note", data={"note-kind": "contact", "note-note": "<b>回访</b>"}
    )
    assert response.status_code == 302
    detail = web.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "签约完成" in detail and "&lt;b&gt;回访&lt;/b&gt;" in detail

    board = web.get("/broker").get_data(as_text=True)
    assert 'data-column="signed"' in board and 'data-kpi="open_deals">0<' in board

    form = web.get(f"/contracts/new?deal={deal.id}").get_data(as_text=True)
    assert "智能巡检机器人" in form
    signed_on = (local_today() - timedelta(days=1)).isoformat()
    response = web.post(
        "/contracts/new",
        data={
            "deal_id": str(deal.id),
            "title": "智能巡检机器人技术开发合同",
            "type": "development",
            "subtype": "commissioned",
            "seller_org_id": str(seller.id),
            "buyer_org_id": str(buyer.id),
            "field": "advanced_manufacturing",
            "signed_on": signed_on,
            "contract_amount": "800000",
            "line_items-0-description": "开发费",
            "line_items-0-amount": "700000",
            "line_items-1-description": "样机材料",
            "line_items-1-amount": "100000",
            "line_items-1-non_technical": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    contract = db.session.execute(sa.select(Contract)).scalar_one()
    assert contract.tech_amount == 700000 and contract.broker_id == broker.id
    page = web.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="history"' in page and "700,000.00元" in page
    response = web.post(
        f"/contracts/{contract.id}/signed-copy",
        data={"file": (io.BytesIO(SIGNED_PDF), "签署本.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert web.post(f"/contracts/{contract.id}/submit").status_code == 302

    admin_web = app.test_client()
    login(admin_web, admin)
    assert "智能巡检机器人技术开发合同" in admin_web.get("/contracts?status=submitted").get_data(
        as_text=True
    )
    assert admin_web.post(f"/contracts/{contract.id}/register").status_code == 302
    db.session.expire_all()
    page = admin_web.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert f"{local_today().year}330100000001" in page

    # The buyer sees the deal's timeline and the contract, read-only and without the history.
    party = app.test_client()
    login(party, buyer_user)
    timeline = party.get(f"/deals/{deal.id}").get_data(as_text=True)
    # The milestone, not the broker's own note on it (deals.queries.timeline_for).
    assert "洽谈中 → 已签约" in timeline and "签约完成" not in timeline
    assert f"/deals/{deal.id}/stage" not in timeline and f"/deals/{deal.id}/note" not in timeline
    page = party.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "智能巡检机器人技术开发合同" in page and 'data-testid="history"' not in page
    assert party.get(f"/contracts/{contract.id}/edit").status_code == 403


def test_match_reasons_on_the_deal_page_are_sentences_not_codes(app, make_user):
    """Regression: the deal page printed the stored reason codes (``same_field``,
    ``price_within_budget``…) instead of the sentences the matches panel shows."""
    _seller, _buyer, achievement, demand = _pair()
    # What the matching worker stores (search.matching._reasons).
    record_suggestion(
        demand.id,
        achievement.id,
        0.81,
        [
            {"code": "shared_terms", "terms": ["巡检", "机器人"]},
            {"code": "same_field", "field": "advanced_manufacturing"},
            {"code": "maturity", "level": 7},
            {"code": "price_within_budget"},
        ],
    )
    db.session.commit()
    deal = db.session.execute(sa.select(Deal)).scalar_one()
    web = app.test_client()
    login(web, make_user("broker"))
    page = web.get(f"/deals/{deal.id}").get_data(as_text=True)
    start = page.index('data-testid="reasons"')
    reasons = page[start : page.index("</ul>", start)]
    for code in ("shared_terms", "same_field", "price_within_budget", "maturity"):
        assert f'data-reason="{code}"' in reasons
        assert f">{code}<" not in reasons and f"{code}\n" not in reasons
    assert "共同关键词：巡检、机器人" in reasons and "价格在预算范围内" in reasons
    web.get("/lang/en")
    page = web.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "Shared key terms: 巡检、机器人" in page and "Price within budget" in page


def test_failing_a_deal_needs_a_reason(app, make_user):
    _seller, _buyer, achievement, demand = _pair()
    broker = make_user("broker")
    deal = Deal(
        demand_id=demand.id,
        achievement_id=achievement.id,
        buyer_org_id=demand.org_id,
        seller_org_id=achievement.org_id,
        stage="claimed",
        broker_id=broker.id,
        source="manual",
        reasons=[],
    )
    db.session.add(deal)
    db.session.commit()
    web = app.test_client()
    login(web, broker)
    web.get("/lang/en")  # the assertions below read the English messages
    response = web.post(f"/deals/{deal.id}/stage", data={"stage-stage": "failed"})
    assert response.status_code == 422
    assert "Choose why the deal failed." in response.get_data(as_text=True)
    response = web.post(f"/deals/{deal.id}/stage", data={"stage-stage": "signed"})
    assert response.status_code == 409
    response = web.post(
        f"/deals/{deal.id}/stage", data={"stage-stage": "failed", "stage-failure_reason": "price"}
    )
    assert response.status_code == 302
    db.session.refresh(deal)
    assert (deal.stage, deal.failure_reason) == ("failed", "price")


def test_interest_button(app, make_user):
    seller, buyer, achievement, demand = _pair()
    enterprise = make_user("enterprise", org=buyer)
    researcher = make_user("researcher", org=seller)
    template = "{% include 'deals/_interest_button.html' %}"

    with app.test_request_context("/achievements/1"), force_locale("en"):
        html = render_template_string(template, listing=achievement)
    assert "Sign in to express interest" in html and "<form" not in html

    web = app.test_client()
    login(web, enterprise)
    with app.test_request_context("/achievements/1"), force_locale("en"):
        from flask_login import login_user

        login_user(enterprise)
        html = render_template_string(template, listing=achievement)
        assert demand.title in html and "Express interest" in html
        login_user(researcher)  # the owner's side sees no button
        assert "<form" not in render_template_string(template, listing=achievement)

    response = web.post(
        "/interests",
        data={
            "achievement_id": str(achievement.id),
            "demand_id": str(demand.id),
            "note": "想了解许可条件",
        },
    )
    assert response.status_code == 302
    deal = db.session.execute(sa.select(Deal)).scalar_one()
    assert (deal.source, deal.stage, deal.demand_id) == ("interest", "suggested", demand.id)
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "想了解许可条件" in page
    # A second click adds to the same deal instead of opening another.
    web.post(
        "/interests", data={"achievement_id": str(achievement.id), "demand_id": str(demand.id)}
    )
    assert db.session.execute(sa.select(sa.func.count()).select_from(Deal)).scalar_one() == 1


def test_interest_button_needs_csrf(csrf_app, make_user):
    _seller, buyer, achievement, _demand = _pair()
    enterprise = make_user("enterprise", org=buyer)
    web = csrf_app.test_client()
    login_page = web.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    web.post(
        "/login",
        data={"email": enterprise.email, "password": "correct-horse-42", "csrf_token": token},
    )
    with csrf_app.test_request_context("/achievements/1"):
        from flask_login import login_user

        login_user(enterprise)
        html = render_template_string(
            "{% include 'deals/_interest_button.html' %}", listing=achievement
        )
        assert 'name="csrf_token"' in html and 'method="post"' in html
    response = web.post("/interests", data={"achievement_id": str(achievement.id)})
    assert response.status_code == 400
    assert db.session.execute(sa.select(sa.func.count()).select_from(Deal)).scalar_one() == 0


def test_sending_the_note_form_twice_adds_one_note(client, make_user):
    deal = DealFactory()
    login(client, make_user("broker"))
    assert client.post(f"/deals/{deal.id}/claim", data={}).status_code == 302
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    token = re.search(r'name="note-form_token" type="hidden" value="([^"]+)"', page)
    assert token, "the note form carries no one-time token"
    data = {"note-form_token": token.group(1), "note-kind": "contact", "note-note": "电话回访"}
    first = client.post(f"/deals/{deal.id}/note", data=data)
    again = client.post(f"/deals/{deal.id}/note", data=data)  # Back, then send again
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    db.session.rollback()
    notes = db.session.execute(sa.select(DealEvent.note).where(DealEvent.deal_id == deal.id))
    assert list(notes.scalars()).count("电话回访") == 1
    assert "已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)
