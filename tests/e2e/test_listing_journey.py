"""Journey 1 (SPEC §1): a researcher lists an achievement in Chinese and submits it, an admin
approves it, and anyone finds it by search within seconds."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

TITLE = "低温等离子体处理印染废水的膜分离技术"


def test_researcher_lists_admin_approves_search_finds(
    live_server: Any, new_page: Any, make_user: Any
) -> None:
    researcher, admin = make_user("researcher"), make_user("admin")
    url = live_server.url

    page = new_page()
    sign_in(page, live_server, researcher.email, PASSWORD)
    page.goto(url + "/achievements/new")
    page.fill("[name=title]", TITLE)
    page.fill(
        "[name=body]",
        "本成果采用低温等离子体耦合陶瓷膜分离，处理印染废水，COD去除率达95%，"
        "已在温州两家印染企业完成中试。",
    )
    page.select_option("[name=field]", "environment")
    page.select_option("[name=maturity]", "6")
    page.select_option("[name=ip_type]", "invention_patent")
    page.fill("[name=price]", "800000")
    page.fill("[name=keywords]", "等离子体, 印染废水, 膜分离")
    screenshot(page, "achievement-form")
    page.click("button[name=save_submit]")
    page.wait_for_url(lambda u: "/achievements/" in u and not u.endswith("/new"))
    assert TITLE in page.inner_text("h1")
    listing_url = page.url
    screenshot(page, "achievement-pending")

    reviewer = new_page()
    sign_in(reviewer, live_server, admin.email, PASSWORD)
    reviewer.goto(url + "/admin/listings?status=pending")
    row = reviewer.locator("tr, .list-group-item, .card", has_text=TITLE).last
    screenshot(reviewer, "review-queue")
    row.locator("button[name=decision][value=approve]").click()
    reviewer.wait_for_load_state()
    assert reviewer.locator(".alert-success").count() >= 1

    visitor = new_page()
    visitor.goto(listing_url)
    assert TITLE in visitor.inner_text("h1")  # public now
    deadline = time.monotonic() + 30
    while True:
        visitor.goto(url + "/search?q=印染废水 等离子体")
        if TITLE in visitor.inner_text("[data-testid=results]"):
            break
        assert time.monotonic() < deadline, "not searchable 30 s after approval"
        time.sleep(0.5)
    assert visitor.locator("[data-testid=results] mark").count() >= 1  # highlighted snippet
    screenshot(visitor, "search")
