"""An achievement page tells the enterprise how its deal came about: only its own interest is
called an interest; a system suggestion or a broker's deal is named as such."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale
from flask_login import login_user

from marketplace.deals import services
from marketplace.deals.suggestions import record_suggestion
from tests.factories import AchievementFactory, DemandFactory, OrganisationFactory

TEMPLATE = "{% include 'deals/_interest_button.html' %}"


def _box(app, user, achievement):
    with app.test_request_context(f"/achievements/{achievement.id}"), force_locale("zh_CN"):
        login_user(user)
        return render_template_string(TEMPLATE, listing=achievement)


def test_a_match_suggestion_is_not_called_an_interest(app, make_user):
    buyer = OrganisationFactory(kind="enterprise")
    achievement = AchievementFactory(title="智能巡检机器人")
    demand = DemandFactory(org=buyer, title="变电站巡检需求")
    enterprise = make_user("enterprise", org=buyer)
    record_suggestion(demand.id, achievement.id, 0.8, [])
    html = _box(app, enterprise, achievement)
    assert 'data-origin="match"' in html
    assert "平台于" in html and "变电站巡检需求" in html and "尚未提交合作意向" in html
    assert "本单位已于" not in html

    # Once someone of the organisation expresses interest, the box says so, with that date.
    services.express_interest(enterprise, achievement.id, demand_id=demand.id)
    html = _box(app, enterprise, achievement)
    assert 'data-origin="interest"' in html and "本单位已于" in html


def test_a_deal_a_broker_opened_is_named_as_such(app, make_user):
    buyer = OrganisationFactory(kind="enterprise")
    achievement = AchievementFactory()
    enterprise, broker = make_user("enterprise", org=buyer), make_user("broker")
    services.create_deal(broker, achievement.id, buyer_org_id=buyer.id)
    html = _box(app, enterprise, achievement)
    assert 'data-origin="manual"' in html and "技术经纪人于" in html
    assert "本单位已于" not in html
