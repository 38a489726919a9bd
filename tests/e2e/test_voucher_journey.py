"""Innovation vouchers and shared instruments in a real browser (SPEC §6.2–6.3): an
administrator opens a scheme and approves a provider; an enterprise applies and is approved,
orders with the provider, books its instrument and pays part with the voucher; the provider
completes the booking; the enterprise requests redemption with the documents; the
administrator reviews; the publication period passes; the voucher is redeemed and the
dashboard's 创新券使用额 shows it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.instruments.models import Booking
from marketplace.vouchers import jobs
from marketplace.vouchers.models import Voucher
from marketplace.workdays import LOCAL_TZ
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, InstrumentFactory, OrganisationFactory, UserFactory
from tests.vouchers.conftest import PDF

pytestmark = pytest.mark.e2e


def _status(page: Any) -> str:
    return page.locator("[data-testid=voucher-status]").first.inner_text()


def test_voucher_pays_part_of_an_instrument_booking_and_is_redeemed(
    live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    url = live_server.url
    university = OrganisationFactory(name="温州测试大学", kind="university", region="330300")
    firm = OrganisationFactory(name="瓯海精工有限公司", kind="enterprise", region="330300")
    admin = UserFactory(role="admin")
    provider = UserFactory(role="researcher", org=university)
    enterprise = UserFactory(role="enterprise", org=firm)
    instrument = InstrumentFactory(org=university, name="扫描电子显微镜", fee=Decimal("400.00"))
    today = utcnow().astimezone(LOCAL_TZ).date()

    # The administrator opens a scheme and approves the university as a provider.
    boss = new_page()
    sign_in(boss, live_server, admin.email, PASSWORD)
    boss.goto(url + "/admin/vouchers/schemes/new")
    form = boss.locator("[data-testid=scheme-form]")
    form.locator("input[name=name]").fill("温州市科技创新券")
    form.locator("input[name=year]").fill(str(today.year))
    form.locator("input[name=budget]").fill("1000000")
    form.locator("input[name=ratio_percent]").fill("50")
    form.locator("input[name=cap_per_application]").fill("20000")
    form.locator("input[name=cap_per_enterprise_year]").fill("50000")
    form.locator("input[name=opens_on]").fill(today.replace(day=1).isoformat())
    form.locator("input[name=use_by]").fill((today + timedelta(days=90)).isoformat())
    form.locator("input[name=redeem_by]").fill((today + timedelta(days=180)).isoformat())
    form.locator("button[type=submit]").click()
    boss.wait_for_url("**/vouchers/schemes*")
    assert "温州市科技创新券" in boss.locator("[data-testid=scheme]").inner_text()
    boss.goto(url + "/admin/vouchers/providers")
    provider_form = boss.locator("[data-testid=provider-form]")
    provider_form.locator("select[name='provider-org_id']").select_option(str(university.id))
    provider_form.locator("select[name='provider-services']").select_option(
        ["testing", "instrument"]
    )
    provider_form.locator("button[type=submit]").click()
    boss.wait_for_load_state()
    assert "温州测试大学" in boss.locator("[data-testid=providers]").inner_text()

    # The enterprise applies …
    firm_page = new_page()
    sign_in(firm_page, live_server, enterprise.email, PASSWORD)
    firm_page.goto(url + "/vouchers/apply")
    apply_form = firm_page.locator("[data-testid=apply-form]")
    apply_form.locator("select[name=service_type]").select_option("instrument")
    apply_form.locator("input[name=requested_amount]").fill("10000")
    apply_form.locator("textarea[name=purpose]").fill("新型合金断口形貌分析")
    apply_form.locator("button[type=submit]").click()
    firm_page.wait_for_url("**/vouchers/*")
    voucher_url = firm_page.url
    assert _status(firm_page) == "已申领"

    # … the administrator approves the amount …
    boss.goto(voucher_url)
    boss.locator("[data-testid=approve-form] button").click()
    boss.wait_for_load_state()
    assert _status(boss) == "已核定"

    # … the enterprise orders with the provider, which confirms.
    firm_page.goto(voucher_url)
    use_form = firm_page.locator("[data-testid=use-form]")
    use_form.locator("select[name='use-provider_org_id']").select_option(str(university.id))
    use_form.locator("input[name='use-amount']").fill("10000")
    use_form.locator("button").click()
    firm_page.wait_for_load_state()
    assert _status(firm_page) == "已向服务机构下单"
    lab = new_page()
    sign_in(lab, live_server, provider.email, PASSWORD)
    lab.goto(voucher_url)
    lab.locator("[data-testid=confirm-form] button").click()
    lab.wait_for_load_state()
    assert _status(lab) == "服务机构已确认"

    # The enterprise books four hours of the microscope and pays part with the voucher.
    start = (utcnow().astimezone(LOCAL_TZ) + timedelta(days=2)).replace(hour=9, minute=0)
    firm_page.goto(f"{url}/instruments/{instrument.id}")
    booking_form = firm_page.locator("[data-testid=booking-form]")
    booking_form.locator("input[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    booking_form.locator("input[name=ends_at]").fill(
        (start + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    )
    booking_form.locator("textarea[name=purpose]").fill("断口形貌观察")
    booking_form.locator("select[name=voucher_id]").select_option(index=1)
    booking_form.locator("button[type=submit]").click()
    firm_page.wait_for_url("**/bookings/*")
    booking_url = firm_page.url

    # The provider approves the slot; when the day has come, it records the usage.
    lab.goto(booking_url)
    lab.locator("button[formaction$='/approve']").click()
    lab.wait_for_load_state()
    booking_id = int(booking_url.rstrip("/").rsplit("/", 1)[1])
    # End the test's own read transaction: on SQLite it would still see an older snapshot.
    db.session.rollback()
    booking = db.session.get(Booking, booking_id)
    assert booking is not None and booking.status == "approved"
    # Time moves forward: the slot now lies in the past.
    booking.starts_at = utcnow() - timedelta(hours=6)
    booking.ends_at = booking.starts_at + timedelta(hours=4)
    db.session.commit()
    lab.goto(booking_url)
    lab.locator("[data-testid=usage-form] button").click()
    lab.wait_for_load_state()
    assert lab.locator("[data-testid=booking-fee]").inner_text() == "1,600.00元"
    assert lab.locator("[data-testid=voucher-part]").inner_text() == "800.00元"

    # The enterprise asks for redemption with the invoice, proof of payment and result.
    for name in ("invoice", "payment", "result"):
        (tmp_path / f"{name}.pdf").write_bytes(PDF)
    firm_page.goto(voucher_url)
    redeem = firm_page.locator("[data-testid=redeem-form]")
    redeem.locator("select[name='redeem-booking_id']").select_option(str(booking_id))
    for name in ("invoice", "payment", "result"):
        redeem.locator(f"input[name='redeem-{name}']").set_input_files(
            str(tmp_path / f"{name}.pdf")
        )
    redeem.locator("button[type=submit]").click()
    firm_page.wait_for_load_state()
    assert _status(firm_page) == "已申请兑付"
    assert firm_page.locator("[data-testid=redeemed-amount]").inner_text() == "800.00元"

    # The administrator reviews; the voucher is in its publication period (公示).
    boss.goto(voucher_url)
    boss.locator("[data-testid=review-form] select[name='review-decision']").select_option(
        "approve"
    )
    boss.locator("[data-testid=review-form] button").click()
    boss.wait_for_load_state()
    assert _status(boss) == "公示中"

    # The publication period passes (time moved forward): the scheduled job redeems it.
    voucher_id = int(voucher_url.rstrip("/").rsplit("/", 1)[1])
    db.session.rollback()
    assert jobs.finish_publications(now=utcnow() + timedelta(days=6)) == 1
    db.session.rollback()
    assert (
        db.session.execute(sa.select(Voucher.status).where(Voucher.id == voucher_id)).scalar_one()
        == "redeemed"
    )
    boss.goto(voucher_url)
    assert _status(boss) == "已兑付"
    boss.goto(url + "/admin/stats", timeout=60_000)  # the busiest page; CI machines are slow
    section = boss.locator("[data-testid=voucher-stats]")
    assert "创新券使用额" in section.inner_text()
    assert "800.00元" in section.inner_text()
    assert "1 张" in section.inner_text() or "1 voucher" in section.inner_text()
