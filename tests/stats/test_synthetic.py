"""``generate_contracts``: realistic shapes, unique registration numbers, consistent figures."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.contracts.models import Contract, RegistrationCounter
from marketplace.contracts.services import registration_number
from marketplace.extensions import db
from marketplace.seed.synthetic_contracts import DEMO_CONTRACTS, generate_contracts
from marketplace.stats import rollup
from marketplace.workdays import LOCAL_TZ


def test_synthetic_contracts_look_like_a_technology_market(app):
    assert generate_contracts(4000, seed=3) == 4000
    rows = db.session.execute(
        sa.select(
            Contract.type,
            Contract.subtype,
            Contract.status,
            Contract.signed_on,
            Contract.contract_amount,
            Contract.tech_amount,
            Contract.seller_kind,
            Contract.seller_region,
            Contract.registration_no,
            Contract.broker_id,
            Contract.registered_at,
        )
    ).all()
    assert len(rows) == 4000
    registered = [row for row in rows if row.status == "registered"]
    assert 0.95 < len(registered) / len(rows) < 1
    total = sum((row.contract_amount for row in registered), Decimal(0))
    by_type = Counter()
    for row in registered:
        by_type[row.type] += row.contract_amount
    # 技术服务 and 技术开发 carry most of the value.
    assert (by_type["service"] + by_type["development"]) / total > Decimal("0.7")
    assert by_type["consulting"] < by_type["development"]
    tech = sum((row.tech_amount for row in registered), Decimal(0))
    assert Decimal("0.68") < tech / total < Decimal("0.82")
    assert all(row.tech_amount <= row.contract_amount for row in rows)
    # Heavy tail: the top 1% of contracts hold far more than 1% of the value.
    amounts = sorted((row.contract_amount for row in registered), reverse=True)
    assert sum(amounts[: len(amounts) // 100]) / total > Decimal("0.15")
    assert len({row.signed_on.year for row in rows}) == 5
    assert {row.seller_kind for row in rows} == {
        "enterprise",
        "university",
        "institute",
        "agency",
        "government",
    }
    assert any(row.broker_id for row in rows) and any(not row.broker_id for row in rows)
    numbers = [row.registration_no for row in rows]
    assert len(set(numbers)) == len(numbers)
    years = [row.registered_at.astimezone(LOCAL_TZ).year for row in rows]
    assert all(
        number == registration_number(year, row.seller_region, int(number[10:]))
        for number, year, row in zip(numbers, years, rows, strict=True)
    )
    # The registry continues after the synthetic numbers: its counters were advanced.
    counters = {
        (c.year, c.region): c.last_seq
        for c in db.session.execute(sa.select(RegistrationCounter)).scalars()
    }
    used: dict[tuple[int, str], int] = {}
    for number, year, row in zip(numbers, years, rows, strict=True):
        key = (year, row.seller_region)
        used[key] = max(used.get(key, 0), int(number[10:]))
    assert used == counters
    kinds = set(db.session.execute(sa.select(Organisation.kind)).scalars())
    assert kinds == {"enterprise", "university", "institute", "agency", "government"}
    # The statistics were rebuilt: they agree with the new contracts.
    assert rollup.check_rollup() == []


def test_generating_twice_adds_contracts_without_clashing(app):
    generate_contracts(300, seed=1)
    generate_contracts(300, seed=1)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Contract)).scalar() == 600
    assert rollup.check_rollup() == []


def test_demo_figures_rank_ten_brokers(app):
    """The 十佳 table is a top ten: the demo data has enough brokers to fill it every year."""
    from datetime import date

    from marketplace.stats.queries import build_summary

    generate_contracts(DEMO_CONTRACTS, seed=2026)
    # Last year is complete whatever today's date (this January has few contracts yet).
    assert len(build_summary(date.today().year - 1, None).top_brokers) == 10
