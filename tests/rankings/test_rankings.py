"""Broker and agency rankings: known figures, the credit rule, pages, export and the API."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from marketplace.deals.models import DealEvent
from marketplace.extensions import db
from marketplace.rankings.queries import WEIGHTS, ranking
from marketplace.seed.synthetic_contracts import generate_contracts
from tests.conftest import api_headers, login
from tests.factories import DealFactory, OrganisationFactory, UserFactory
from tests.stats.helpers import register_contract, void_contract

YEAR = 2025


def _broker(agency):
    return UserFactory(role="broker", org=agency)


def _signed_deal(broker, claimed, signed_on):
    """A deal the broker claimed on ``claimed`` and that reached ``signed``."""
    deal = DealFactory(
        broker=broker,
        stage="signed",
        signed_at=datetime.combine(signed_on, datetime.min.time(), UTC),
    )
    db.session.flush()
    db.session.add_all(
        [
            DealEvent(
                deal_id=deal.id,
                actor_id=broker.id,
                kind="claim",
                to_stage="claimed",
                created_at=datetime.combine(claimed, datetime.min.time(), UTC),
            ),
            DealEvent(
                deal_id=deal.id,
                actor_id=broker.id,
                kind="stage",
                from_stage="negotiating",
                to_stage="signed",
                created_at=datetime.combine(signed_on, datetime.min.time(), UTC),
            ),
        ]
    )
    db.session.commit()
    return deal


def _failed_deal(broker, on):
    deal = DealFactory(broker=broker, stage="failed", failure_reason="price")
    db.session.flush()
    db.session.add(
        DealEvent(
            deal_id=deal.id,
            actor_id=broker.id,
            kind="stage",
            from_stage="negotiating",
            to_stage="failed",
            created_at=datetime.combine(on, datetime.min.time(), UTC),
        )
    )
    db.session.commit()
    return deal


@pytest.fixture
def market(app):
    """Two agencies, three brokers, contracts with known amounts in YEAR."""
    agency_a = OrganisationFactory(kind="agency", name="甲技术转移中心")
    agency_b = OrganisationFactory(kind="agency", name="乙技术转移中心")
    wang, li, zhao = _broker(agency_a), _broker(agency_a), _broker(agency_b)
    firm_1, firm_2 = (OrganisationFactory(kind="enterprise") for _ in range(2))
    university = OrganisationFactory(kind="university")
    # Wang: two contracts for two different enterprises, one through a deal claimed 10 days
    # before signing; plus a failed deal -> success rate 1/2.
    deal = _signed_deal(wang, date(YEAR, 3, 1), date(YEAR, 3, 11))
    register_contract(
        seller=university,
        buyer=firm_1,
        signed_on=date(YEAR, 3, 11),
        amount="2000000.00",
        tech="1500000.00",
        broker_id=wang.id,
        deal_id=deal.id,
    )
    register_contract(
        seller=university,
        buyer=firm_2,
        signed_on=date(YEAR, 6, 1),
        amount="500000.00",
        tech="500000.00",
        broker_id=wang.id,
    )
    _failed_deal(wang, date(YEAR, 7, 1))
    # Li: one bigger contract; a voided one and one of another year do not count.
    register_contract(
        seller=university,
        buyer=firm_1,
        signed_on=date(YEAR, 5, 5),
        amount="3000000.00",
        tech="2600000.00",
        broker_id=li.id,
    )
    void_contract(
        register_contract(
            seller=university,
            buyer=firm_2,
            signed_on=date(YEAR, 5, 6),
            amount="9000000.00",
            tech="9000000.00",
            broker_id=li.id,
        )
    )
    register_contract(
        seller=university,
        buyer=firm_2,
        signed_on=date(YEAR - 1, 5, 6),
        amount="9000000.00",
        tech="9000000.00",
        broker_id=li.id,
    )
    # Zhao worked a deal whose contract names nobody: no credit at all.
    unnamed = _signed_deal(zhao, date(YEAR, 1, 5), date(YEAR, 2, 1))
    register_contract(
        seller=university,
        buyer=firm_1,
        signed_on=date(YEAR, 2, 1),
        amount="8000000.00",
        tech="8000000.00",
        deal_id=unnamed.id,
    )
    return {"wang": wang, "li": li, "zhao": zhao, "agency_a": agency_a, "agency_b": agency_b}


def test_measures_and_scores_with_known_figures(market):
    entries = {entry.subject_id: entry for entry in ranking("brokers", YEAR)}
    wang, li = entries[market["wang"].id], entries[market["li"].id]
    assert market["zhao"].id not in entries  # worked a deal, not named on its contract

    assert (wang.measures.contracts, wang.measures.tech_amount) == (2, Decimal("2000000.00"))
    assert wang.measures.contract_amount == Decimal("2500000.00")
    assert wang.measures.enterprises == 2
    assert wang.measures.success_rate == Decimal("0.5000")
    assert wang.measures.median_days == Decimal("10.0")
    assert (li.measures.contracts, li.measures.tech_amount) == (1, Decimal("2600000.00"))
    assert li.measures.enterprises == 1
    assert li.measures.success_rate is None and li.measures.median_days is None

    # Wang: tech 2.0/2.6, contracts 2/2, enterprises 2/2, success 0.5/0.5, speed 10/10.
    expected_wang = (
        Decimal("0.35") * Decimal("2000000") / Decimal("2600000")
        + Decimal("0.25")
        + Decimal("0.15")
        + Decimal("0.15")
        + Decimal("0.10")
    ) * 100
    # Li: tech best, contracts 1/2, enterprises 1/2, no deals closed, no claim dates.
    expected_li = (Decimal("0.35") + Decimal("0.25") / 2 + Decimal("0.15") / 2) * 100
    assert wang.score == expected_wang.quantize(Decimal("0.01"))
    assert li.score == expected_li.quantize(Decimal("0.01"))
    assert [wang.rank, li.rank] == [1, 2]


def test_agencies_are_credited_through_their_named_brokers(market):
    entries = {entry.subject_id: entry for entry in ranking("agencies", YEAR)}
    assert set(entries) == {market["agency_a"].id}
    agency = entries[market["agency_a"].id]
    assert agency.measures.contracts == 3
    assert agency.measures.tech_amount == Decimal("4600000.00")
    assert agency.measures.enterprises == 2
    assert agency.name == "甲技术转移中心"


def test_ranking_of_synthetic_year_equals_independent_sql(app):
    generate_contracts(1500, seed=11)
    year = db.session.execute(
        sa.text(
            "SELECT signed_on FROM contracts WHERE status = 'registered' AND broker_id IS NOT NULL "
            "ORDER BY signed_on DESC LIMIT 1"
        )
    ).scalar_one()
    year = year.year if isinstance(year, date) else int(str(year)[:4])
    rows = db.session.execute(
        sa.text(
            """
        SELECT broker_id, COUNT(*) AS n, SUM(tech_amount) AS tech_fen,
               (SELECT COUNT(DISTINCT org) FROM (
                    SELECT seller_org_id AS org FROM contracts s
                     WHERE s.broker_id = c.broker_id AND s.status = 'registered'
                       AND s.signed_on BETWEEN :start AND :end AND s.seller_kind = 'enterprise'
                    UNION
                    SELECT buyer_org_id FROM contracts b
                     WHERE b.broker_id = c.broker_id AND b.status = 'registered'
                       AND b.signed_on BETWEEN :start AND :end AND b.buyer_kind = 'enterprise'
               ) parties) AS firms
          FROM contracts c
         WHERE status = 'registered' AND broker_id IS NOT NULL
           AND signed_on BETWEEN :start AND :end
         GROUP BY broker_id
        """
        ),
        {"start": date(year, 1, 1), "end": date(year, 12, 31)},
    ).all()
    assert len(rows) >= 5
    best_tech = max(int(row.tech_fen) for row in rows)
    best_n = max(int(row.n) for row in rows)
    best_firms = max(int(row.firms) for row in rows)
    weights = {w.code: w.weight for w in WEIGHTS}
    # Synthetic contracts come without deals: success rate and speed score 0 for everyone.
    expected = {
        int(row.broker_id): (
            (
                weights["tech_amount"] * Decimal(int(row.tech_fen)) / best_tech
                + weights["contracts"] * Decimal(int(row.n)) / best_n
                + weights["enterprises"] * Decimal(int(row.firms)) / best_firms
            )
            * 100
        ).quantize(Decimal("0.01"))
        for row in rows
    }
    computed = ranking("brokers", year)
    assert {entry.subject_id: entry.score for entry in computed} == expected
    assert [entry.score for entry in computed] == sorted(expected.values(), reverse=True)
    assert {entry.subject_id: entry.measures.tech_amount for entry in computed} == {
        int(row.broker_id): Decimal(int(row.tech_fen)) / 100 for row in rows
    }


def test_page_shows_top_ten_weights_and_the_whole_list_on_request(client, app):
    agency = OrganisationFactory(kind="agency")
    firm = OrganisationFactory(kind="enterprise")
    university = OrganisationFactory(kind="university")
    brokers = [_broker(agency) for _ in range(12)]
    for index, broker in enumerate(brokers, start=1):
        register_contract(
            seller=university,
            buyer=firm,
            signed_on=date(YEAR, 4, 1),
            amount=f"{index * 100000}.00",
            tech=f"{index * 100000}.00",
            broker_id=broker.id,
        )
    login(client, UserFactory(role="admin"))
    page = client.get(f"/admin/rankings/brokers?year={YEAR}").get_data(as_text=True)
    assert page.count("data-subject=") == 10
    assert f'data-subject="{brokers[-1].id}"' in page  # the biggest first
    assert f'data-subject="{brokers[0].id}"' not in page
    for weight in WEIGHTS:
        assert f'data-weight="{weight.code}"' in page
    everyone = client.get(f"/admin/rankings/brokers?year={YEAR}&all=1").get_data(as_text=True)
    assert everyone.count("data-subject=") == 12


def test_export_has_the_ranking_and_its_weights(client, market):
    login(client, UserFactory(role="admin"))
    response = client.get(f"/admin/rankings/brokers/export.xlsx?year={YEAR}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    ranked = list(book[str(YEAR)].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in ranked] == [1, 2]
    assert ranked[0][6] == Decimal("2000000.00") or float(ranked[0][6]) == 2000000.0
    weights = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert len(weights) == len(WEIGHTS)
    assert sum(Decimal(str(row[1])) for row in weights) == 1


def test_api_lists_brokers_and_agencies_with_weights(client, market):
    headers = api_headers(client, UserFactory(role="admin"))
    body = client.get(f"/api/v1/rankings/brokers?year={YEAR}", headers=headers).get_json()
    assert body["year"] == YEAR
    assert [w["measure"] for w in body["weights"]] == [w.code for w in WEIGHTS]
    first = body["items"][0]
    assert first["broker_id"] == market["wang"].id
    assert first["tech_amount"] == "2000000.00" and first["success_rate"] == "0.5000"
    agencies = client.get(
        f"/api/v1/rankings/agencies?year={YEAR}&limit=1", headers=headers
    ).get_json()
    assert [item["org_id"] for item in agencies["items"]] == [market["agency_a"].id]


def test_bad_year_is_a_field_error(client):
    headers = api_headers(client, UserFactory(role="admin"))
    response = client.get("/api/v1/rankings/brokers?year=19999", headers=headers)
    assert response.status_code == 422
    assert "year" in response.get_json()["error"]["fields"]


ROLES = ("anonymous", "researcher", "enterprise", "broker", "admin")


@pytest.mark.parametrize(
    "path,anonymous",
    [
        ("/admin/rankings/brokers", 302),
        ("/admin/rankings/agencies", 302),
        ("/admin/rankings/brokers/export.xlsx", 302),
        ("/api/v1/rankings/brokers", 401),
        ("/api/v1/rankings/agencies", 401),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_only_admins_see_rankings(client, role, path, anonymous):
    headers = {}
    if role != "anonymous":
        user = UserFactory(role=role)
        if path.startswith("/api/"):
            headers = api_headers(client, user)
        else:
            login(client, user)
    expected = {"anonymous": anonymous, "admin": 200}.get(role, 403)
    assert client.get(path, headers=headers).status_code == expected
