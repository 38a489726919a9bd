"""Journey 3 (SPEC §1): a broker sees a new match suggestion and an enterprise's interest in the
workspace, takes the deal, logs contacts and stage changes up to the signature, records the
contract with its line items and submits it; an administrator registers it (登记号)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.contracts.services import local_today
from marketplace.deals.models import Deal
from marketplace.deals.suggestions import record_suggestion
from marketplace.extensions import db
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    SIGNED_PDF,
    AchievementFactory,
    DemandFactory,
    OrganisationFactory,
)
from tests.live import call, token_for

pytestmark = pytest.mark.e2e

ACHIEVEMENT = "变电站智能巡检机器人"
DEMAND = "变电站无人值守巡检需求"
OTHER = "工业机器人视觉定位系统"
REASONS = [
    {"code": "shared_terms", "terms": ["巡检", "机器人"]},
    {"code": "same_field", "field": "advanced_manufacturing"},
    {"code": "maturity", "level": 7},
    {"code": "price_within_budget"},
]


def _queue(server: Any, make_user: Any) -> tuple[int, int]:
    """A match suggestion the worker recorded, and a pair where the buyer also expressed
    interest (through the API: while the live processes run, the test writes through them)."""
    seller = OrganisationFactory(name="浙江智能装备研究院", kind="institute", region="330100")
    buyer = OrganisationFactory(name="温州电力设备有限公司", kind="enterprise", region="330300")
    achievement = AchievementFactory(org=seller, title=ACHIEVEMENT, field="advanced_manufacturing")
    other = AchievementFactory(org=seller, title=OTHER, field="advanced_manufacturing")
    demand = DemandFactory(org=buyer, title=DEMAND, field="advanced_manufacturing")
    record_suggestion(demand.id, other.id, 0.61, REASONS[:2])
    record_suggestion(demand.id, achievement.id, 0.82, REASONS)
    db.session.commit()
    buyer_user = make_user("enterprise", org=buyer)
    deals = {deal.achievement_id: deal.id for deal in db.session.execute(sa.select(Deal)).scalars()}
    status, body = call(
        server.url + "/api/v1/interests",
        "POST",
        {
            "achievement_id": achievement.id,
            "demand_id": demand.id,
            "note": "请尽快安排与研究院的技术对接。",
        },
        token_for(server, buyer_user.email, PASSWORD),
    )
    assert status == 200, body  # 200, not 201: the interest joins the suggestion for the pair
    assert body["id"] == deals[achievement.id]
    return deals[achievement.id], deals[other.id]


def test_broker_takes_deal_to_signature_and_admin_registers_contract(
    live_server: Any, new_page: Any, make_user: Any
) -> None:
    url = live_server.url
    broker, admin = make_user("broker", name="王经纪"), make_user("admin")
    deal_id, suggestion_id = _queue(live_server, make_user)

    page = new_page()
    sign_in(page, live_server, broker.email, PASSWORD)
    page.goto(url + "/broker")
    queue = page.locator("[data-testid=queue]")
    row = queue.locator(f"tr[data-deal='{deal_id}']")
    assert row.get_attribute("data-source") == "interest"
    assert ACHIEVEMENT in row.inner_text() and DEMAND in row.inner_text()
    assert queue.locator(f"tr[data-deal='{suggestion_id}']").get_attribute("data-source") == "match"
    screenshot(page, "broker-workspace")

    # Take it: the broker is on the deal from now on.
    row.locator("button[type=submit]").click()
    page.wait_for_url(f"{url}/deals/{deal_id}")
    assert page.locator(".alert-success").count() == 1
    assert page.get_attribute("[data-stage]", "data-stage") == "claimed"
    reasons = page.locator("[data-testid=reasons] [data-reason]")
    assert reasons.count() == len(REASONS)
    assert "巡检" in page.inner_text("[data-testid=reasons] [data-reason=shared_terms]")
    assert "请尽快安排与研究院的技术对接" in page.inner_text("[data-testid=timeline]")

    # A contact with the seller, then the stages up to the signature, each with a note.
    note_form = page.locator("form[action$='/note']")
    note_form.locator("select[name=note-kind]").select_option("contact")
    note_form.locator("textarea[name=note-note]").fill("电话联系研究院李老师，确认可现场演示。")
    note_form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=timeline] [data-event=contact]").count() == 1
    for stage, note in (
        ("contacting", "约定下周二现场考察。"),
        ("negotiating", "双方就转让费 100 万元及设备款进行谈判。"),
        ("signed", "双方签署技术转让合同。"),
    ):
        stage_form = page.locator("form[action$='/stage']")
        stage_form.locator("select[name=stage-stage]").select_option(stage)
        stage_form.locator("textarea[name=stage-note]").fill(note)
        stage_form.locator("button[type=submit]").click()
        page.wait_for_url(f"{url}/deals/{deal_id}")
        assert page.get_attribute("[data-stage]", "data-stage") == stage
        assert note in page.inner_text("[data-testid=timeline]")
    screenshot(page, "deal-timeline")

    # Record the contract from the deal: parties, title and field come from it.
    page.click(f"a[href$='/contracts/new?deal={deal_id}']")
    form = page.locator("[data-testid=contract-form]")
    assert form.locator("[name=title]").input_value() == ACHIEVEMENT
    form.locator("[name=type]").select_option("transfer")
    form.locator("[name=subtype]").select_option("patent")
    form.locator("[name=signed_on]").fill(local_today().isoformat())
    form.locator("[name=contract_amount]").fill("1000000")
    form.locator("[name=line_items-0-description]").fill("专利权转让费")
    form.locator("[name=line_items-0-amount]").fill("800000")
    form.locator("[name=line_items-1-description]").fill("巡检机器人样机（设备）")
    form.locator("[name=line_items-1-amount]").fill("200000")
    form.locator("[name=line_items-1-non_technical]").check()
    screenshot(page, "contract-form")
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda u: re.search(r"/contracts/\d+$", u) is not None)
    contract_url = page.url
    assert page.get_attribute("[data-status]", "data-status") == "draft"
    assert page.inner_text("[data-testid=contract-amount]") == "1,000,000.00元"
    # 技术交易额: the contract amount less the non-technical equipment.
    assert page.inner_text("[data-testid=tech-amount]") == "800,000.00元"
    assert page.locator("[data-testid=line-items] tbody tr").count() == 2
    # The signed contract goes on file first: submission requires it.
    page.set_input_files(
        "#signed-copy-file",
        files=[{"name": "签署本.pdf", "mimeType": "application/pdf", "buffer": SIGNED_PDF}],
    )
    page.click("form[action$='/signed-copy'] button")
    page.wait_for_url(contract_url)
    assert page.locator("[data-testid=signed-copy-link]").inner_text() == "签署本.pdf"
    page.click("form[action$='/submit'] button")
    page.wait_for_url(contract_url)
    assert page.get_attribute("[data-status]", "data-status") == "submitted"

    # The administrator registers it (the button asks for confirmation first).
    registrar = new_page()
    sign_in(registrar, live_server, admin.email, PASSWORD)
    registrar.goto(contract_url)
    registrar.once("dialog", lambda dialog: dialog.accept())
    registrar.click("form[action$='/register'] button")
    registrar.wait_for_url(contract_url)
    assert registrar.get_attribute("[data-status]", "data-status") == "registered"
    number = registrar.inner_text("[data-testid=registration-no]")
    # 登记号: year, the seller's region code, a sequence.
    assert re.fullmatch(rf"{local_today().year}330100\d+", number), number
    history = registrar.locator("[data-testid=history]")
    assert number in history.locator("li:has([data-field=registration_no])").inner_text()
    assert history.locator("li").count() >= 3  # created, submitted, registered
    assert "王经纪" in history.inner_text()
    screenshot(registrar, "contract-registered")

    # The broker sees the number too, and the contract on the deal.
    page.goto(contract_url)
    assert page.inner_text("[data-testid=registration-no]") == number
    page.goto(f"{url}/deals/{deal_id}")
    assert page.locator(f"a[href='{contract_url.removeprefix(url)}']").count() == 1
    page.goto(url + "/broker")
    assert queue.locator(f"tr[data-deal='{deal_id}']").count() == 0
    assert (
        page.locator(f"[data-testid=board] [data-column=signed] [data-deal='{deal_id}']").count()
        == 1
    )
