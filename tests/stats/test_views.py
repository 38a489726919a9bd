"""Dashboard, XLSX export, targets and job-run pages through the client."""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import load_workbook

from marketplace.stats import services
from tests.factories import OrganisationFactory
from tests.stats.helpers import register_contract

TODAY = date.today()


def test_dashboard_shows_figures_tables_and_chart_data(client, users, login_as):
    register_contract(
        amount="3000000.00",
        tech="2400000.00",
        type="service",
        subtype="service",
        broker_id=users["broker"].id,
    )
    services.drain_updates()
    login_as(users["admin"])
    response = client.get(f"/admin/stats?year={TODAY.year}&region=330000")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-figure="contract_count">1<' in html
    assert 'data-figure="contract_amount">300.00万元<' in html
    for table in (
        "by_month",
        "by_type",
        "by_field",
        "by_seller_kind",
        "by_buyer_kind",
        "by_seller_region",
        "by_buyer_region",
        "top_brokers",
        "top_institutions",
        "flows",
    ):
        assert f'data-table="{table}"' in html, table
    assert users["broker"].display_name in html
    # Strict CSP: scripts are external files only.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "/stats/assets/plotly.min.js" in html and "js/stats.js" in html


def test_chart_data_attribute_is_json_and_escaped(client, users, login_as):
    login_as(users["admin"])
    html = client.get("/admin/stats").get_data(as_text=True)
    match = re.search(r"data-chart='([^']*)'", html)
    assert match
    import json

    data = json.loads(match.group(1).replace("&#39;", "'"))
    assert len(data["month"]["x"]) == 12


def test_plotly_bundle_is_served_from_the_wheel(client):
    response = client.get("/stats/assets/plotly.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"plotly.js" in response.data[:200]
    response.close()


def test_export_has_a_sheet_for_every_table(client, users, login_as):
    register_contract(amount="1234.56", tech="1000.00")
    services.drain_updates()
    login_as(users["admin"])
    client.get("/lang/en")
    response = client.get(f"/admin/stats/export.xlsx?year={TODAY.year}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "Overview",
        "By month",
        "By type",
        "By field",
        "By seller kind",
        "By buyer kind",
        "Output by region",
        "Intake by region",
        "Top brokers",
        "Top institutions",
        "Auctions",
        "Auction lots",
        # Innovation vouchers (marketplace.vouchers.export).
        "Vouchers",
        "Vouchers by month",
        "Vouchers by region",
        "Vouchers by service",
        "Vouchers by provider",
    ]
    summary = book[book.sheetnames[0]]
    assert summary.cell(row=3, column=2).value == 1
    assert float(summary.cell(row=3, column=3).value) == 1234.56
    month_sheet = book[book.sheetnames[1]]
    assert month_sheet.max_row == 13


def test_admin_sets_target_and_sees_completion(client, users, login_as):
    register_contract(amount="250000.00", tech="200000.00")
    services.drain_updates()
    login_as(users["admin"])
    response = client.post(
        "/admin/stats/targets",
        data={
            "year": str(TODAY.year),
            "region": "330000",
            "contract_amount": "1,000,000",
            "contract_count": "",
            "note": "省定目标",
        },
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-figure="completion">25.0%<' in html


def test_target_form_shows_field_errors(client, users, login_as):
    login_as(users["admin"])
    client.get("/lang/en")
    response = client.post(
        "/admin/stats/targets",
        data={"year": "1800", "region": "330000", "contract_amount": "-5", "contract_count": "x"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a year between" in html
    assert "cannot be negative" in html
    assert "whole number of contracts" in html


def test_jobs_page_lists_runs_and_queues_a_recompute(client, users, login_as):
    register_contract()
    services.drain_updates()
    login_as(users["admin"])
    html = client.get("/admin/stats/jobs").get_data(as_text=True)
    assert 'data-table="job_runs"' in html and "succeeded" in html
    response = client.post("/admin/stats/jobs/recompute")
    assert response.status_code == 302
    html = client.get("/admin/stats/jobs").get_data(as_text=True)
    assert "queued" in html


def test_export_never_turns_names_into_formulas(client, users, login_as):
    seller = OrganisationFactory(
        name='=HYPERLINK("http://evil.example","x")', kind="university", region="330100"
    )
    register_contract(seller=seller)
    services.drain_updates()
    login_as(users["admin"])
    client.get("/lang/en")  # the sheet name below is the English one
    book = load_workbook(io.BytesIO(client.get("/admin/stats/export.xlsx").data))
    sheet = book["Top institutions"]
    cell = sheet.cell(row=2, column=1)
    assert cell.value == '=HYPERLINK("http://evil.example","x")'
    assert cell.data_type == "s"
