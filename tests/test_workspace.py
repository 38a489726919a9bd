"""My workspace (我的工作台): every role lands on its own page after sign-in and finds its work
there; the home page has a search box."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.search.models import ListingMatch
from marketplace.stats import services as stats_services
from marketplace.stats.models import StatsTarget
from tests.conftest import login
from tests.factories import (
    AchievementFactory,
    ContractFactory,
    DealFactory,
    DemandFactory,
)
from tests.stats.helpers import register_contract


@pytest.mark.parametrize("role", ["researcher", "enterprise", "broker", "admin"])
def test_sign_in_lands_on_the_workspace(client, make_user, role):
    response = login(client, make_user(role))
    assert response.headers["Location"].endswith("/workspace")
    page = client.get("/workspace").get_data(as_text=True)
    assert "我的工作台" in page


def test_sign_in_still_honours_next(client, make_user):
    from tests.factories import PASSWORD

    user = make_user("researcher")
    response = client.post(
        "/login?next=/search", data={"email": user.email, "password": PASSWORD, "next": "/search"}
    )
    assert response.headers["Location"].endswith("/search")


def test_researcher_sees_listings_with_views_and_new_matches(client, make_user):
    user = make_user("researcher")
    mine = AchievementFactory(org=user.org, title="我的石墨烯成果", view_count=37)
    old = DemandFactory(published_at=utcnow() - timedelta(days=30))
    fresh = DemandFactory(published_at=utcnow() - timedelta(days=1))
    pending = DemandFactory(status="pending", published_at=None)
    for demand in (old, fresh, pending):
        db.session.add(
            ListingMatch(
                demand_id=demand.id,
                achievement_id=mine.id,
                ranked_by="achievement",
                score=0.5,
                reasons=[],
            )
        )
    AchievementFactory(title="别人的成果")  # another organisation's
    db.session.commit()
    login(client, user)
    page = client.get("/workspace").get_data(as_text=True)
    row = page.split(f'data-listing="{mine.id}"')[1].split("</tr>")[0]
    assert "我的石墨烯成果" in row
    assert "data-views>37<" in row
    assert "data-matches>2<" in row  # the pending demand is nobody's match
    assert '<span class="badge text-bg-success">1</span>' in row
    assert "别人的成果" not in page


def test_enterprise_sees_demands_and_the_interests_it_expressed(client, make_user):
    user = make_user("enterprise")
    DemandFactory(org=user.org, title="我的散热需求")
    DealFactory(
        buyer_org=user.org, source="interest", achievement=AchievementFactory(title="感兴趣的成果")
    )
    DealFactory(
        buyer_org=user.org, source="match", achievement=AchievementFactory(title="系统推荐的成果")
    )
    login(client, user)
    page = client.get("/workspace").get_data(as_text=True)
    assert "我的散热需求" in page
    interests = page.split('data-testid="my-interests"')[1]
    assert "感兴趣的成果" in interests and "系统推荐的成果" not in interests


def test_broker_sees_queue_and_kpis(client, make_user):
    broker = make_user("broker")
    DealFactory(achievement=AchievementFactory(title="待认领的撮合"))
    register_contract(amount="2000000.00", tech="1500000.00", broker_id=broker.id)
    login(client, broker)
    page = client.get("/workspace").get_data(as_text=True)
    assert "待认领的撮合" in page
    assert 'data-kpi="tech_amount">150.00万元<' in page


def test_admin_sees_review_queue_contracts_to_register_and_the_year_against_target(
    client, make_user
):
    admin = make_user("admin")
    DemandFactory(title="待审核需求", status="pending", published_at=None, submitted_at=utcnow())
    ContractFactory(title="待登记合同", status="submitted", contract_amount=Decimal("1200000.00"))
    register_contract(amount="30000000.00", tech="25000000.00")
    stats_services.drain_updates()
    db.session.add(
        StatsTarget(
            year=utcnow().year, region="", contract_amount=Decimal("60000000"), contract_count=None
        )
    )
    db.session.commit()
    login(client, admin)
    page = client.get("/workspace").get_data(as_text=True)
    assert "待审核需求" in page.split('data-testid="review-queue"')[1]
    registrable = page.split('data-testid="contracts-to-register"')[1]
    assert "待登记合同" in registrable and "1,200,000.00元" in registrable
    figures = page.split('data-testid="year-figures"')[1]
    assert 'data-figure="contract_amount">3,000.00万元<' in figures
    assert 'data-figure="completion">50.0%<' in figures


def test_home_page_has_a_search_box(client):
    page = client.get("/").get_data(as_text=True)
    box = page.split('data-testid="home-search"')[1].split("</form>")[0]
    assert 'name="q"' in box and "/search" in page.split('data-testid="home-search"')[0][-300:]
