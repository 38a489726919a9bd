"""Journey 2 (SPEC §1): an enterprise posts a demand in Chinese; once it is approved it sees
achievements ranked by fit, each with its reasons, and expresses interest in the best one.

Run in zh_CN and once in English (switched through the language menu).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from marketplace.extensions import db
from marketplace.outbox import enqueue
from marketplace.search.query import SearchRequest, search
from tests.conftest import wait_for
from tests.e2e.conftest import screenshot, sign_in, switch_language
from tests.factories import PASSWORD, AchievementFactory, OrganisationFactory
from tests.live import call, token_for

pytestmark = pytest.mark.e2e

DEMAND = "印染废水深度处理与中水回用技术需求"
BEST = "印染废水膜分离与中水回用成套技术"
SECOND = "印染废水臭氧催化氧化深度处理技术"
UNRELATED = "石墨烯导热膜制备技术"


def _published_achievements() -> dict[str, Any]:
    """Achievements already on the market (two should match, one should not), indexed by the
    live worker through the outbox as a published listing would be."""
    university = OrganisationFactory(name="浙江环境工程研究院", kind="institute")
    made = {
        BEST: AchievementFactory(
            org=university,
            title=BEST,
            field="environment",
            maturity=7,
            price=Decimal("600000"),
            keywords=["印染废水", "膜分离", "中水回用"],
            body="采用陶瓷膜与反渗透组合工艺处理印染废水，出水回用于漂染工序，"
            "中水回用率达70%，已在三家印染企业稳定运行。",
        ),
        SECOND: AchievementFactory(
            org=university,
            title=SECOND,
            field="environment",
            maturity=5,
            price=Decimal("300000"),
            keywords=["印染废水", "臭氧催化氧化"],
            body="以臭氧催化氧化深度处理印染废水，COD去除率85%以上。",
        ),
        UNRELATED: AchievementFactory(org=university, title=UNRELATED),
    }
    for achievement in made.values():
        enqueue("search", {"listing_id": achievement.id})
    db.session.commit()  # dispatched to the live worker after commit
    ids = {achievement.id for achievement in made.values()}

    def indexed() -> bool:
        found = {hit.id for hit in search(SearchRequest(q="印染废水", kind="achievement")).hits}
        return ids - {made[UNRELATED].id} <= found

    wait_for(indexed, timeout=60, message="achievements indexed by the worker")
    return made


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_enterprise_posts_demand_sees_ranked_matches_and_expresses_interest(
    live_server: Any, new_page: Any, make_user: Any, language: str
) -> None:
    url = live_server.url
    enterprise, admin = make_user("enterprise"), make_user("admin")
    achievements = _published_achievements()

    page = new_page()
    sign_in(page, live_server, enterprise.email, PASSWORD)
    if language == "en":
        switch_language(page, "en")
        assert page.get_attribute("html", "lang") == "en"
    page.goto(url + "/demands/new")
    if language == "en":
        assert page.inner_text("h1") == "New demand"
    page.fill("[name=title]", DEMAND)
    page.fill(
        "[name=body]",
        "我公司是温州的印染企业，日排印染废水三千吨，需要低成本的深度处理"
        "与中水回用技术，要求出水稳定达标并回用于生产。",
    )
    page.select_option("[name=field]", "environment")
    page.fill("[name=budget_min]", "200000")
    page.fill("[name=budget_max]", "1000000")
    page.fill("[name=keywords]", "印染废水, 中水回用, 深度处理")
    page.check("[name=modes][value=transfer]")
    if language == "zh_CN":
        screenshot(page, "demand-form")
    page.click("button[name=save_submit]")
    page.wait_for_url(lambda u: "/demands/" in u and not u.endswith("/new"))
    assert DEMAND in page.inner_text("h1")
    assert page.locator(".alert-success").count() == 1
    demand_url = page.url
    demand_id = int(demand_url.rstrip("/").rsplit("/", 1)[1])

    # The approval page is journey 1's; here the administrator approves through the API.
    status, body = call(
        f"{url}/api/v1/demands/{demand_id}/review",
        "POST",
        {"decision": "approve"},
        token_for(live_server, admin.email, PASSWORD),
    )
    assert status == 200 and body["status"] == "published", body

    # Matches are computed by the worker after publication: reload until they are there.
    panel = page.locator("[data-testid=matches-panel]")
    deadline = time.monotonic() + 60
    while True:
        page.goto(demand_url)
        if panel.locator("[data-testid=match]").count() >= 2:
            break
        assert time.monotonic() < deadline, "no matches 60 s after approval"
        time.sleep(0.5)
    rows = panel.locator("[data-testid=match]")
    titles = [rows.nth(i).locator("a").first.inner_text() for i in range(rows.count())]
    assert titles[:2] == [BEST, SECOND]  # the closer fit first
    assert UNRELATED not in titles
    scores = [int(value) for value in panel.locator("[data-testid=score]").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    best = rows.first
    reasons = best.locator("[data-reason]")
    codes = {reasons.nth(i).get_attribute("data-reason") for i in range(reasons.count())}
    assert {"shared_terms", "same_field", "price_within_budget", "maturity"} <= codes
    shared = best.locator("[data-reason=shared_terms]").inner_text()
    assert "印染" in shared and "废水" in shared  # terms as the Chinese analyser segments them
    if language == "en":
        assert panel.locator(".card-header").inner_text() == "Matching achievements"
        assert shared.startswith("Shared key terms")
        assert (
            best.locator("[data-reason=price_within_budget]").inner_text() == "Price within budget"
        )
    else:
        assert shared.startswith("共同关键词")
        screenshot(page, "demand-matches")

    # Express interest on the best achievement's page, for this demand.
    best.locator("a").first.click()
    page.wait_for_url(lambda u: f"/achievements/{achievements[BEST].id}" in u)
    box = page.locator("[data-testid=interest-box]")
    box.locator("select[name=demand_id]").select_option(str(demand_id))
    box.locator("textarea[name=note]").fill("希望尽快安排技术对接，考察中试现场。")
    if language == "en":
        assert box.locator("button[type=submit]").inner_text() == "Express interest"
    else:
        screenshot(page, "achievement-interest")
    box.locator("button[type=submit]").click()
    page.wait_for_url(lambda u: "/deals/" in u)
    assert page.locator(".alert-success, .alert-info").count() == 1
    assert BEST in page.inner_text("h1")
    assert "希望尽快安排技术对接" in page.inner_text("main")

    # Back on the achievement page the box says interest was expressed and links the deal.
    page.goto(f"{url}/achievements/{achievements[BEST].id}")
    assert box.locator("a[href*='/deals/']").count() == 1
