"""Broker workspace KPIs with known amounts: every figure checked against a hand sum."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.workspace.kpis import broker_kpis
from tests.factories import ContractFactory, DealFactory
from tests.stats.helpers import register_contract

YEAR = date.today().year
JAN = date(YEAR, 1, 15)


def _portfolio(broker, other_broker):
    """Registered 43,816,600.00 of 技术交易额 this year, plus contracts that must not count."""
    for tech in ("12345678.90", "31470921.10"):  # 43,816,600.00 together
        register_contract(amount="50000000.00", tech=tech, broker_id=broker.id, signed_on=JAN)
    register_contract(
        amount="900000.00", tech="800000.00", broker_id=broker.id, signed_on=date(YEAR - 1, 6, 1)
    )  # last year
    register_contract(
        amount="700000.00", tech="700000.00", broker_id=other_broker.id, signed_on=JAN
    )  # another broker's
    ContractFactory(
        broker_id=broker.id,
        signed_on=JAN,
        status="draft",
        contract_amount=Decimal("5000000.00"),
        tech_amount=Decimal("5000000.00"),
    )


def test_technology_amount_is_the_sum_of_registered_contracts_in_yuan(app, make_user):
    broker, other = make_user("broker"), make_user("broker")
    _portfolio(broker, other)
    kpis = broker_kpis(broker.id, YEAR)
    assert kpis.tech_amount == Decimal("43816600.00")
    # Registered this year plus the draft: three signed this year.
    assert kpis.contracts_signed == 3
    assert broker_kpis(None, YEAR).tech_amount == Decimal("44516600.00")
    assert broker_kpis(make_user("broker").id, YEAR).tech_amount == Decimal("0.00")


def test_open_deals_and_median_days_to_signature(app, make_user):
    broker = make_user("broker")
    now = utcnow()
    for stage in ("claimed", "contacting", "negotiating"):
        DealFactory(broker_id=broker.id, stage=stage)
    DealFactory(broker_id=broker.id, stage="failed", failure_reason="price")
    for days in (2, 4, 9):
        deal = DealFactory(broker_id=broker.id, stage="signed", signed_at=now)
        deal.created_at = now - timedelta(days=days)
    db.session.commit()
    kpis = broker_kpis(broker.id, now.year)
    assert kpis.open_deals == 3
    assert kpis.median_days_to_sign == 4.0


def test_workspace_shows_the_kpi_in_wan_yuan(client, make_user, login_as):
    broker, other = make_user("broker"), make_user("broker")
    _portfolio(broker, other)
    login_as(broker)
    html = client.get("/broker").get_data(as_text=True)
    assert 'data-kpi="tech_amount">4,381.66万元<' in html
    client.get("/lang/en")
    html = client.get("/broker").get_data(as_text=True)
    assert 'data-kpi="tech_amount">CNY\u00a043.82 million<' in html
