"""Every code a user reads goes through its translated label: notifications, the jobs page and
the signed-in sessions on the account page."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.accounts.devices import describe_user_agent
from marketplace.extensions import db
from marketplace.jobs.services import create_job
from marketplace.notifications.messages import render_message
from marketplace.notifications.models import Notification
from marketplace.stats import rollup
from tests.conftest import login


@pytest.mark.parametrize(
    ("kind", "params", "zh", "en", "code"),
    [
        (
            "contract_status",
            {"title": "合同A", "status": "registered"},
            "已登记",
            "Registered",
            "registered",
        ),
        (
            "deal_stage",
            {"title": "成果B", "stage": "negotiating"},
            "洽谈中",
            "Negotiating",
            "negotiating",
        ),
        ("role_changed", {"role": "broker"}, "技术经纪人", "Technology broker", "broker"),
        # Registered by the feature packages themselves (auctions, vouchers, instruments).
        ("lot_status", {"title": "拍品C", "status": "sold"}, "成交", "Sold", "sold"),
        (
            "voucher_status",
            {"id": 7, "status": "approved"},
            "已核定",
            "Amount approved",
            "approved",
        ),
        (
            "booking_status",
            {"name": "电镜", "status": "approved"},
            "审核通过",
            "Approved",
            "approved",
        ),
    ],
)
def test_notification_codes_are_shown_as_labels(app, kind, params, zh, en, code):
    with app.test_request_context():
        with force_locale("zh_CN"):
            text = render_message(kind, params)
            assert zh in text and code not in text
        with force_locale("en"):
            assert en in render_message(kind, params)


def test_notification_page_shows_the_contract_status_label(client, users, login_as):
    db.session.add(
        Notification(
            user_id=users["broker"].id,
            kind="contract_status",
            params={"title": "激光焊接合同", "status": "registered"},
        )
    )
    db.session.commit()
    login_as(users["broker"])
    html = client.get("/notifications").get_data(as_text=True)
    assert "激光焊接合同" in html and "registered" not in html


def test_jobs_page_names_what_started_each_run(client, users, login_as):
    for trigger in ("outbox", "seed", "cli"):
        create_job(rollup.REFRESH_KIND, params={"trigger": trigger})
    login_as(users["admin"])
    html = client.get("/admin/stats/jobs").get_data(as_text=True)
    for code, label in (("outbox", "合同变更"), ("seed", "演示数据初始化"), ("cli", "命令行")):
        assert f'data-trigger="{code}">{label}<' in html


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36",
            "Chrome on Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
            "AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; V2203A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"
            "116.0 Mobile Safari/537.36 MicroMessenger/8.0.42",
            "WeChat on Android",
        ),
        ("python-requests/2.31.0", "Python"),
        ("", "Unknown browser"),
    ],
)
def test_user_agent_strings_become_a_browser_and_system(app, agent, expected):
    with app.test_request_context(), force_locale("en"):
        assert describe_user_agent(agent) == expected


def test_account_page_shows_the_device_not_the_raw_string(client, users):
    client.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36"
    )
    login(client, users["enterprise"])
    html = client.get("/account").get_data(as_text=True)
    assert 'data-testid="device">macOS 上的 Chrome<' in html
