"""Rollup engine: incremental refresh, full rebuild and check agree with the contracts."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.outbox import enqueue
from marketplace.stats import rollup, services
from marketplace.stats.models import StatsCell, StatsContractKey
from marketplace.stats.queries import build_summary
from tests.factories import OrganisationFactory, UserFactory
from tests.stats.helpers import register_contract, void_contract

TODAY = date.today()


def _python_totals(contracts, year=None, seller_prefix=None):
    rows = [
        c
        for c in contracts
        if c.status == "registered"
        and (year is None or c.signed_on.year == year)
        and (seller_prefix is None or (c.seller_region or "").startswith(seller_prefix))
    ]
    return (
        len(rows),
        sum((c.contract_amount for c in rows), Decimal("0.00")),
        sum((c.tech_amount for c in rows), Decimal("0.00")),
    )


def test_registered_contract_counts_once_drained(app):
    contract = register_contract(
        amount="1234567.89",
        tech="1000000.01",
        type="service",
        subtype="training",
        field="agriculture",
    )
    before = build_summary(TODAY.year, None)
    assert before.output.contracts == 0, "nothing counts before the worker drains the outbox"

    assert services.drain_updates() == 1
    summary = build_summary(TODAY.year, None)
    assert summary.output.contracts == 1
    assert summary.output.contract_amount == Decimal("1234567.89")
    assert summary.output.tech_amount == Decimal("1000000.01")
    assert [(row.code, row.totals.contracts) for row in summary.by_type] == [("service", 1)]
    assert summary.by_field[0].code == "agriculture"
    month = summary.by_month[contract.signed_on.month - 1]
    assert month.totals.contract_amount == Decimal("1234567.89")
    assert rollup.check_rollup() == []


def test_void_takes_contract_out_and_empty_cells_disappear(app):
    contract = register_contract()
    services.drain_updates()
    void_contract(contract)
    services.drain_updates()
    assert build_summary(TODAY.year, None).output.contracts == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(StatsCell)).scalar() == 0
    assert db.session.get(StatsContractKey, contract.id) is None
    assert rollup.check_rollup() == []


def test_processing_a_message_twice_changes_nothing(app):
    contract = register_contract(amount="500.00", tech="400.00")
    services.drain_updates()
    rollup.refresh_contract(contract.id)
    rollup.refresh_contract(contract.id)
    db.session.commit()
    summary = build_summary(TODAY.year, None)
    assert summary.output.contracts == 1
    assert summary.output.contract_amount == Decimal("500.00")


def test_random_mix_of_registrations_and_voids_reconciles(app):
    rng = random.Random(7)
    orgs = [
        OrganisationFactory(kind=kind, region=region)
        for kind, region in [
            ("university", "330100"),
            ("enterprise", "330300"),
            ("institute", "110000"),
            ("enterprise", "320500"),
            ("government", None),
        ]
    ]
    broker = UserFactory(role="broker")
    contracts = []
    for index in range(40):
        seller, buyer = rng.sample(orgs, 2)
        contracts.append(
            register_contract(
                seller=seller,
                buyer=buyer,
                signed_on=date(
                    rng.choice([TODAY.year - 1, TODAY.year]),
                    rng.randint(1, TODAY.month),
                    rng.randint(1, 28),
                ),
                amount=f"{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}",
                tech="0.50",
                type=rng.choice(["development", "service", "consulting", "transfer", "license"]),
                subtype=None,
                field=rng.choice([None, "agriculture", "electronic_info"]),
                broker_id=broker.id if index % 3 == 0 else None,
            )
        )
        if index % 4 == 0:
            void_contract(rng.choice([c for c in contracts if c.status == "registered"]))
        if index % 7 == 0:
            services.drain_updates()
    services.drain_updates()

    assert rollup.check_rollup() == []
    db.session.expire_all()
    for year in (TODAY.year - 1, TODAY.year):
        summary = build_summary(year, None)
        assert (
            summary.output.contracts,
            summary.output.contract_amount,
            summary.output.tech_amount,
        ) == _python_totals(contracts, year)
        zhejiang = build_summary(year, "330000")
        assert (
            zhejiang.output.contracts,
            zhejiang.output.contract_amount,
            zhejiang.output.tech_amount,
        ) == _python_totals(contracts, year, "33")

    # The full rebuild gives exactly the cells the increments built.
    incremental = rollup.actual_cells()
    rollup.rebuild_all()
    assert rollup.actual_cells() == incremental


def test_check_names_a_cell_altered_in_sql(app):
    register_contract(amount="1000.00", tech="800.00", type="consulting", subtype=None)
    services.drain_updates()
    db.session.execute(
        sa.text(
            "UPDATE stats_cells SET contract_amount = contract_amount + 1 "
            "WHERE side = 'seller' AND dim = 'type' AND value = 'consulting'"
        )
    )
    db.session.commit()
    differences = rollup.check_rollup()
    assert len(differences) == 1
    text = differences[0].describe()
    assert f"{TODAY.year}-{TODAY.month:02d} seller region=330100 type=consulting" in text
    assert "1000.01" in text and "1000.00" in text


def test_cells_a_contract_was_counted_in_before_are_refreshed_too(app):
    # Registered contracts are frozen, but if a database administrator ever corrected one's
    # regions, the cells it was counted in before must not keep it: the ledger remembers them.
    contract = register_contract()
    services.drain_updates()
    db.session.execute(
        sa.text(
            "INSERT INTO stats_cells (side, dim, year, region, month, value, contracts, "
            "contract_amount, tech_amount) SELECT side, dim, year, '110000', month, value, "
            "contracts, contract_amount, tech_amount FROM stats_cells WHERE side = 'seller'"
        )
    )
    db.session.execute(
        sa.update(StatsContractKey)
        .where(StatsContractKey.contract_id == contract.id)
        .values(seller_region="110000")
    )
    db.session.commit()
    assert build_summary(TODAY.year, "110000").output.contracts == 1
    assert rollup.check_rollup()

    enqueue("stats", {"contract_id": contract.id})
    db.session.commit()
    services.drain_updates()
    assert rollup.check_rollup() == []
    assert build_summary(TODAY.year, "110000").output.contracts == 0
    assert build_summary(TODAY.year, "330000").output.contracts == 1


def test_region_scope_output_intake_and_once_only(app):
    hangzhou = OrganisationFactory(kind="university", region="330100")
    wenzhou = OrganisationFactory(kind="enterprise", region="330300")
    beijing = OrganisationFactory(kind="enterprise", region="110000")
    register_contract(seller=hangzhou, buyer=wenzhou, amount="100.00", tech="100.00")
    register_contract(seller=hangzhou, buyer=beijing, amount="10.00", tech="10.00")
    register_contract(seller=beijing, buyer=wenzhou, amount="1.00", tech="1.00")
    services.drain_updates()

    province = build_summary(TODAY.year, "330000")
    assert province.output.contract_amount == Decimal("110.00")
    assert province.intake.contract_amount == Decimal("101.00")
    assert province.both_local.contract_amount == Decimal("100.00")
    assert province.once_only.contract_amount == Decimal("111.00")
    assert province.once_only.contracts == 3

    rows = {row.code: row for row in province.by_seller_region}
    assert rows["330100"].within_province.contract_amount == Decimal("100.00")
    assert rows["330100"].outside_province.contract_amount == Decimal("10.00")
    city = build_summary(TODAY.year, "330300")
    assert city.output.contracts == 0 and city.intake.contracts == 2
    assert build_summary(TODAY.year, None).output.contracts == 3


def test_rebuild_does_not_wait_for_a_reader_holding_the_cells(app):
    register_contract(amount="42.00", tech="40.00")
    services.drain_updates()
    before = rollup.actual_cells()  # this session now holds a read transaction on the cells
    assert db.session().in_transaction()
    rollup.rebuild_all()  # PostgreSQL: TRUNCATE would wait for the reader; DELETE does not
    db.session.rollback()
    assert rollup.actual_cells() == before
    assert rollup.check_rollup() == []
