"""The demo data has deals at every stage and two years of registered contracts."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.contracts.models import Contract
from marketplace.contracts.services import local_today
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.seed.demo import seed_demo
from marketplace.vocab import DEAL_STAGES
from tests.conftest import login


def test_demo_brokerage_data(app):
    seed_demo()
    stages = set(db.session.execute(sa.select(Deal.stage)).scalars())
    assert stages == set(DEAL_STAGES.codes)
    registered = (
        db.session.execute(sa.select(Contract).where(Contract.status == "registered"))
        .scalars()
        .all()
    )
    years = {contract.registration_no[:4] for contract in registered}
    this_year = local_today().year
    # Two years of brokered contracts at least (the statistics demo adds older history).
    assert {str(this_year - 1), str(this_year)} <= years
    assert all(c.seller_region and c.buyer_kind for c in registered)
    assert all(c.tech_amount <= c.contract_amount for c in registered)
    from marketplace.accounts.models import User

    broker = db.session.execute(sa.select(User).where(User.email == "broker@demo.cn")).scalar_one()
    web = app.test_client()
    login(web, broker, "demo-pass-2026")
    page = web.get("/broker").get_data(as_text=True)
    assert 'data-column="negotiating"' in page and 'data-kpi="contracts_signed"' in page


def test_demo_accounts_start_with_a_handful_of_unread_notifications(app):
    from marketplace.accounts.models import User
    from marketplace.notifications.services import unread_count
    from marketplace.outbox import pending_count
    from marketplace.seed.demo import DEMO_UNREAD

    seed_demo()
    assert pending_count("notify") == 0  # nothing left for the worker to pile on
    people = db.session.execute(sa.select(User).where(User.email.like("%@demo.cn"))).scalars()
    counts = {user.email: unread_count(user) for user in people}
    assert counts and all(0 < count <= DEMO_UNREAD for count in counts.values()), counts
