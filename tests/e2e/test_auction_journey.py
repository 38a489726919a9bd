"""Auction journey (SPEC §6.1): an owner offers an achievement, the admin announces it, (time
moves on) an enterprise registers and the organiser approves its deposit, it bids from a phone,
is outbid, bids again and wins; the confirmation PDF opens, the broker finds the pre-filled
contract, and once it is registered the dashboard's auction KPIs show the premium."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from marketplace.auctions.models import Lot
from marketplace.contracts import services as contract_services
from marketplace.contracts.models import Contract
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.workdays import LOCAL_TZ
from tests.auctions.conftest import travel
from tests.conftest import wait_for
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    AchievementFactory,
    OrganisationFactory,
    attach_signed_copy,
)
from tests.live import call, token_for

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
TITLE = "废旧锂电池正极材料直接修复再生技术"


def _local(value: Any) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _lot() -> Lot:
    db.session.rollback()  # a fresh read: the live server wrote it
    return db.session.query(Lot).one()


def test_lot_from_offer_to_registered_contract(
    live_server: Any, new_page: Any, browser: Any, make_user: Any
) -> None:
    url = live_server.url
    seller = OrganisationFactory(name="浙江资源循环研究院", kind="institute", region="330100")
    owner = make_user("researcher", org=seller)
    AchievementFactory(org=seller, title=TITLE, ip_type="invention_patent")
    admin, broker = make_user("admin"), make_user("broker", name="林经纪")
    winner = make_user("enterprise", org=OrganisationFactory(name="瓯江新能源材料有限公司"))
    rival = make_user("enterprise", org=OrganisationFactory(name="台州储能科技有限公司"))

    # The owner offers the achievement and submits it for review.
    page = new_page()
    sign_in(page, live_server, owner.email, PASSWORD)
    page.goto(url + "/lots/new")
    now = utcnow()
    page.select_option("select[name=mode]", "auction")
    page.fill("input[name=start_price]", "100000")
    page.fill("input[name=increment]", "5000")
    page.fill("input[name=deposit]", "10000")
    page.fill("input[name=registration_opens_at]", _local(now + timedelta(days=2)))
    page.fill("input[name=bidding_starts_at]", _local(now + timedelta(days=8)))
    page.fill("input[name=bidding_ends_at]", _local(now + timedelta(days=8, hours=1)))
    page.select_option("select[name=broker_id]", str(broker.id))
    page.click("[data-testid=lot-form] button[type=submit]")
    page.wait_for_url("**/lots/*")
    page.click("form[action$='/submit'] button")
    page.wait_for_selector("[data-testid=lot-status][data-status=pending]")

    # The admin reviews and announces it.
    admin_page = new_page()
    sign_in(admin_page, live_server, admin.email, PASSWORD)
    admin_page.goto(page.url)
    admin_page.click("[data-testid=review-form] button[type=submit]")
    admin_page.wait_for_selector("[data-testid=lot-status][data-status=announced]")

    # Two days later registration is open; the enterprise registers from its phone.
    travel(_lot(), timedelta(days=2, minutes=1))
    phone_context = browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True
    )
    phone_context.set_default_timeout(15_000)
    phone = phone_context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(phone, live_server, winner.email, PASSWORD)
    phone.goto(page.url)
    phone.fill("[data-testid=register-form] textarea", "营业执照副本")
    phone.click("[data-testid=register-form] button[type=submit]")
    phone.wait_for_selector("[data-testid=registration-state]")
    status, body = call(
        f"{url}/api/v1/lots/{_lot().id}/bidders",
        "POST",
        {},
        token_for(live_server, rival.email, PASSWORD),
    )
    assert status == 201, body

    # The organiser records both deposits.
    broker_page = new_page()
    sign_in(broker_page, live_server, broker.email, PASSWORD)
    for _ in range(2):
        broker_page.goto(page.url)
        form = broker_page.locator("[data-testid=approve-form]").first
        form.locator("input[name=deposit_receipt]").fill("HD-2026-001")
        form.locator("button").click()
        broker_page.wait_for_load_state()
    assert broker_page.locator("[data-testid=approve-form]").count() == 0

    # Bidding opens; the enterprise bids from the phone without reloading.
    travel(_lot(), timedelta(days=6))
    phone.goto(page.url)
    phone.wait_for_selector("[data-testid=bid-form]")
    phone.click("[data-testid=bid-button]")
    phone.wait_for_selector("#my-state[data-top='1']")
    assert phone.inner_text("[data-testid=top-amount]") == "100,000.00元"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "auction-bidding-phone")

    # A second bidder outbids it; the phone sees that on its own, then bids again.
    rival_token = token_for(live_server, rival.email, PASSWORD)
    status, body = call(
        f"{url}/api/v1/lots/{_lot().id}/bids", "POST", {"amount": "105000"}, rival_token
    )
    assert status == 201, body
    phone.wait_for_selector("#my-state[data-top='0']")
    phone.wait_for_selector("#bids-body tr:nth-child(2)")  # the book updates in place too
    phone.wait_for_function("document.getElementById('amount').value === '110000.00'")
    phone.click("[data-testid=bid-button]")
    phone.wait_for_selector("#my-state[data-top='1']")
    assert phone.inner_text("[data-testid=top-amount]") == "110,000.00元"

    # The close passes; the scheduled job settles the lot.
    lot = _lot()
    lot.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    wait_for(lambda: _lot().status == "sold", timeout=60, message="the lot to close")

    # The winner opens the confirmation of sale.
    phone.goto(page.url)
    link = phone.get_attribute("[data-testid=confirmation-link]", "href")
    response = phone.request.get(url + link)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert "瓯江新能源材料有限公司" in text and "110,000.00元" in text
    phone_context.close()
    assert errors == []

    # The broker finds the pre-filled contract.
    broker_page.goto(url + "/contracts")
    broker_page.click(f"text={TITLE}")
    assert broker_page.inner_text("[data-testid=contract-amount]") == "110,000.00元"
    assert "瓯江新能源材料有限公司" in broker_page.content()

    # Registered: the dashboard's auction KPIs show the 10 % premium and the registration.
    contract_id = _lot().contract_id
    attach_signed_copy(db.session.get(Contract, contract_id))  # submission needs the signed text
    contract_services.submit_contract(broker, contract_id)
    contract_services.register_contract(admin, contract_id)
    # The dashboard page is heavy (chart library) and the worker is refreshing the statistics.
    admin_page.goto(url + f"/admin/stats?year={utcnow().astimezone(LOCAL_TZ).year}", timeout=60_000)
    assert admin_page.inner_text("[data-kpi=premium_rate]") == "10.00%"
    assert admin_page.inner_text("[data-kpi=registered_share]") == "100.00%"
