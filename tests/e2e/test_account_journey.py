"""Journey: a researcher registers, sees the profile, switches to English and signs out;
the session cookie copied before signing out no longer opens anything."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import screenshot, sign_out, switch_language

pytestmark = pytest.mark.e2e


def test_register_profile_language_and_sign_out(live_server: Any, page: Any, new_page: Any) -> None:
    url = live_server.url
    page.goto(url + "/register")
    assert page.get_attribute("html", "lang") == "zh-CN"
    screenshot(page, "register")
    page.check("input[name=role][value=researcher]")
    page.fill("input[name=name]", "李研究")
    page.fill("input[name=email]", "li.yan@example.edu.cn")
    page.fill("input[name=password]", "Str0ng-enough-pass")
    page.fill("input[name=confirm]", "Str0ng-enough-pass")
    page.check("input[name=org_mode][value=new]")
    page.fill("input[name=org_name]", "温州理工大学")
    page.select_option("select[name=org_kind]", "university")
    page.select_option("select[name=region]", "330300")
    page.click("#register-form button[type=submit]")
    # A new account lands on its own workspace (我的工作台).
    page.wait_for_url(url + "/workspace")
    assert page.locator(".alert-success").count() == 1
    assert page.inner_text("h1") == "我的工作台"
    screenshot(page, "workspace")

    page.goto(url + "/account")
    body = page.inner_text("main")
    assert "li.yan@example.edu.cn" in body
    assert "温州理工大学" in body
    screenshot(page, "profile")

    # The language switch in the navigation bar.
    switch_language(page, "en")
    assert page.url == url + "/account"
    assert page.get_attribute("html", "lang") == "en"
    assert "My account" in page.inner_text("h1")

    cookies = page.context.cookies()
    assert any(cookie["name"] == "session" for cookie in cookies)

    sign_out(page)
    page.goto(url + "/account")
    assert "/login" in page.url

    # Someone who copied the cookie while signed in gets nothing after sign-out.
    thief = new_page()
    thief.context.add_cookies(cookies)
    thief.goto(url + "/account")
    assert "/login" in thief.url
    assert "li.yan@example.edu.cn" not in thief.content()
