"""GET /api/v1/stats/summary and POST /api/v1/stats/recompute."""

from __future__ import annotations

from datetime import date

from marketplace.stats import services
from tests.factories import OrganisationFactory
from tests.stats.helpers import register_contract

TODAY = date.today()
SUMMARY_FIELDS = {
    "year",
    "region",
    "contract_count",
    "contract_amount",
    "tech_amount",
    "target",
    "completion",
    "by_month",
    "by_type",
    "by_field",
    "by_seller_region",
    "by_buyer_region",
    "by_seller_kind",
    "top_brokers",
    "computed_at",
}


def test_summary_has_exactly_the_spec_fields_with_money_as_strings(client, users, auth_headers):
    register_contract(
        amount="2000000.10",
        tech="1500000.05",
        type="development",
        field="new_materials",
        broker_id=users["broker"].id,
    )
    services.drain_updates()
    services.set_target(
        users["admin"],
        services.TargetInput(
            year=TODAY.year, region="330000", contract_amount="4000000.20", contract_count="4"
        ),
    )

    response = client.get(
        f"/api/v1/stats/summary?year={TODAY.year}&region=330000",
        headers=auth_headers(users["admin"]),
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert set(body) == SUMMARY_FIELDS
    assert body["year"] == TODAY.year and body["region"] == "330000"
    assert body["contract_count"] == 1
    assert body["contract_amount"] == "2000000.10"
    assert body["tech_amount"] == "1500000.05"
    assert body["target"] == {"contract_amount": "4000000.20", "contract_count": 4}
    assert body["completion"]["amount_rate"] == "0.5000"
    assert body["completion"]["count_rate"] == "0.2500"
    assert body["completion"]["gap"] == "2000000.10"
    assert len(body["by_month"]) == 12
    assert body["by_month"][TODAY.month - 1]["contract_amount"] == "2000000.10"
    assert body["by_type"][0]["code"] == "development"
    assert body["by_field"][0]["code"] == "new_materials"
    assert body["by_seller_kind"][0]["code"] == "university"
    assert body["by_seller_region"][0]["code"] == "330100"
    assert body["by_seller_region"][0]["within_province"]["contract_amount"] == "2000000.10"
    assert body["by_buyer_region"][0]["code"] == "330300"
    assert body["top_brokers"][0]["broker_id"] == users["broker"].id
    assert body["top_brokers"][0]["contract_amount"] == "2000000.10"
    assert body["computed_at"]


def test_summary_defaults_to_this_year_and_whole_platform(client, users, auth_headers):
    register_contract(seller=OrganisationFactory(kind="enterprise", region="110000"))
    services.drain_updates()
    body = client.get("/api/v1/stats/summary", headers=auth_headers(users["admin"])).json
    assert body["year"] == TODAY.year and body["region"] is None
    assert body["contract_count"] == 1
    assert body["target"] is None and body["completion"] is None


def test_bad_year_and_region_are_field_errors(client, users, auth_headers):
    response = client.get(
        "/api/v1/stats/summary?year=abc&region=999999", headers=auth_headers(users["admin"])
    )
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"year", "region"}


def test_summary_is_for_admins_only(client, users, auth_headers):
    assert client.get("/api/v1/stats/summary").status_code == 401
    for role in ("researcher", "enterprise", "broker"):
        response = client.get("/api/v1/stats/summary", headers=auth_headers(users[role]))
        assert response.status_code == 403, role


def test_recompute_returns_a_job_the_admin_can_follow(client, users, auth_headers):
    headers = auth_headers(users["admin"])
    response = client.post("/api/v1/stats/recompute", headers=headers)
    assert response.status_code == 202
    job = client.get(response.json["url"], headers=headers)
    assert job.status_code == 200
    assert job.json["kind"] == "stats.recompute"
    assert job.json["state"] == "queued"
