"""SPEC §6.4–6.5 in the browser: (a) an evaluation from request to report PDF and badge, with a
conflicted expert proposed nowhere and refused when forced; (b) a 对接会 from announcement to
an intent that becomes a registered contract, shown as a conversion of 1 of 1 intents."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from marketplace.contracts.services import local_today
from marketplace.events.models import Outcome, Signup
from marketplace.experts import services as experts
from marketplace.extensions import db
from tests.e2e.conftest import sign_in, sign_out
from tests.factories import PASSWORD, AchievementFactory, OrganisationFactory
from tests.live import call, token_for
from tests.stats.helpers import register_contract

pytestmark = pytest.mark.e2e

TITLE = "低温等离子体工业废气处理装置"


def _expert(admin: Any, make_user: Any, org: Any, name: str) -> Any:
    user = make_user("researcher", org=org, name=name)
    return experts.create_expert(
        admin, experts.ExpertInput(user_id=user.id, title="senior", fields=["environment"])
    )


def test_evaluation_from_request_to_report_and_badge(
    live_server: Any, new_page: Any, make_user: Any
) -> None:
    url = live_server.url
    admin = make_user("admin")
    university = OrganisationFactory(name="江南环境工程大学", kind="university")
    owner = make_user("researcher", org=university, name="钱教授")
    achievement = AchievementFactory(org=university, title=TITLE, field="environment")
    colleague = _expert(admin, make_user, university, "同校专家")
    first = _expert(admin, make_user, OrganisationFactory(kind="institute"), "甲专家")
    second = _expert(admin, make_user, OrganisationFactory(kind="institute"), "乙专家")

    page = new_page()
    sign_in(page, live_server, owner.email, PASSWORD)
    page.goto(f"{url}/achievements/{achievement.id}")
    page.click(f"a[href*='/evaluations/new?achievement_id={achievement.id}']")
    page.select_option("select[name=purpose]", "transfer")
    page.fill("input[name=panel_size]", "2")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda u: "/evaluations/" in u and "/new" not in u)
    evaluation_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    sign_out(page)

    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{url}/evaluations/{evaluation_id}")
    proposed = page.locator("[data-list=proposed]")
    assert proposed.locator(f"[data-expert='{colleague.id}']").count() == 0
    assert page.locator(f"[data-list=screened] [data-expert='{colleague.id}']").count() == 1
    # Forced through the API, the conflicted expert is refused with the reason.
    status, body = call(
        f"{url}/api/v1/evaluations/{evaluation_id}/panel",
        "POST",
        {"expert_ids": [colleague.id]},
        token_for(live_server, admin.email, PASSWORD),
    )
    assert status == 422 and body["error"]["code"] == "conflict_of_interest"
    proposed.locator(f"[data-expert='{first.id}']").check()
    proposed.locator(f"[data-expert='{second.id}']").check()
    page.click("[data-section=panel-form] button[type=submit]")
    page.wait_for_selector("[data-list=panel] [data-expert]")
    sign_out(page)

    reviews = ((first, "处理效率数据可信，建议开展中试。"), (second, "能耗指标优于同类产品。"))
    for expert, comment in reviews:
        sign_in(page, live_server, expert.user.email, PASSWORD)
        page.goto(f"{url}/evaluations/{evaluation_id}")
        form = page.locator("[data-section=review-form] form")
        for name, score in (
            ("maturity", "70"),
            ("innovation", "85"),
            ("advancement", "80"),
            ("economic_value", "75"),
            ("potential", "90"),
        ):
            form.locator(f"input[name={name}]").fill(score)
        form.locator("textarea[name=comment]").fill(comment)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        sign_out(page)

    sign_in(page, live_server, owner.email, PASSWORD)
    page.goto(f"{url}/achievements/{achievement.id}")
    assert page.locator("[data-testid=evaluation-badge]").is_visible()
    page.click("[data-testid=evaluation-report]")
    response = page.request.get(f"{url}/evaluations/{evaluation_id}/report.pdf")
    assert response.status == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert TITLE in text and "处理效率数据可信，建议开展中试。" in text


def test_matchmaking_event_intent_becomes_a_registered_contract(
    live_server: Any, new_page: Any, make_user: Any
) -> None:
    url = live_server.url
    admin = make_user("admin")
    buyer = make_user("enterprise", name="赵采购", org=OrganisationFactory(name="瓯海电机有限公司"))
    seller = make_user(
        "enterprise", name="孙总", org=OrganisationFactory(name="温州新材科技有限公司")
    )
    listings = [AchievementFactory(org=seller.org, title=f"导热复合材料{n}号") for n in (1, 2, 3)]

    page = new_page()
    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{url}/events/new")
    start = local_today() + timedelta(days=14)
    page.select_option("select[name=type]", "matchmaking")
    page.fill("input[name=title]", "电机散热材料对接会")
    page.fill("input[name=starts_at]", f"{start.isoformat()}T09:00")
    page.fill("input[name=ends_at]", f"{start.isoformat()}T12:00")
    page.fill("input[name=place]", "温州市科技大市场")
    page.fill("input[name=listing_ids]", ",".join(str(a.id) for a in listings))
    page.click("main form button[type=submit]")
    page.wait_for_selector("[data-list=presented]")
    event_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert page.locator("[data-list=presented] li").count() == 3
    sign_out(page)

    for user in (buyer, seller):
        sign_in(page, live_server, user.email, PASSWORD)
        page.goto(f"{url}/events/{event_id}")
        page.fill("input[name=contact]", f"{user.name} 13900000000")
        page.click("form[action$='/signup'] button[type=submit]")
        page.wait_for_selector("[data-testid=my-signup]")
        sign_out(page)

    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{url}/events/{event_id}/signups")
    for _ in range(2):
        with page.expect_navigation():
            page.locator("button[name=decision][value=approve]").first.click()
    db.session.rollback()  # a fresh snapshot: the web process wrote the sign-ups
    codes = (
        db.session.execute(sa.select(Signup.checkin_code).where(Signup.event_id == event_id))
        .scalars()
        .all()
    )
    for code in codes:
        page.fill("input[name=code]", code)
        with page.expect_navigation():
            page.click("form[action$='/checkin'] button[type=submit]")
    # Both rows now show a check-in time instead of a dash.
    assert page.locator("[data-table=signups] tbody tr td:nth-child(4):has-text(':')").count() == 2
    sign_out(page)

    sign_in(page, live_server, buyer.email, PASSWORD)
    page.goto(f"{url}/events/{event_id}")
    page.click("form[action$='/appointments'] button[type=submit]")  # first slot, the seller
    page.wait_for_selector("[data-table=appointments] [data-appointment]")
    sign_out(page)
    sign_in(page, live_server, seller.email, PASSWORD)
    page.goto(f"{url}/events/{event_id}")
    with page.expect_navigation():
        page.click("button[name=decision][value=accept]")
    outcome_form = page.locator("form[action$='/outcomes']")
    outcome_form.locator("select[name=seller_org_id]").select_option(str(seller.org_id))
    outcome_form.locator("select[name=buyer_org_id]").select_option(str(buyer.org_id))
    outcome_form.locator("select[name=achievement_id]").select_option(str(listings[0].id))
    outcome_form.locator("select[name=kind]").select_option("intent")
    outcome_form.locator("input[name=amount]").fill("600000")
    outcome_form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-table=outcomes] [data-outcome]")
    sign_out(page)

    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{url}/events/{event_id}")
    page.click("[data-table=outcomes] form button")
    page.wait_for_url(lambda u: "/deals/" in u)
    db.session.rollback()
    outcome = db.session.execute(sa.select(Outcome)).scalar_one()
    register_contract(
        seller=seller.org,
        buyer=buyer.org,
        amount="580000.00",
        tech="500000.00",
        deal_id=outcome.deal_id,
    )
    page.goto(f"{url}/events/{event_id}")
    conversion = page.locator("[data-metric=conversion]").inner_text()
    assert "1" in conversion and ("100.0%" in conversion), conversion
    assert page.locator("[data-metric=intents]").inner_text().strip() == "1"
