"""Journey 4 (SPEC §1): an administrator registers a contract and, a moment later, finds it in
this year's figures on the statistics dashboard (updated by the worker), then exports the
dashboard to XLSX."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from marketplace.contracts.services import local_today
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, SIGNED_PDF, OrganisationFactory
from tests.live import call, token_for, upload

pytestmark = pytest.mark.e2e

AMOUNT = Decimal("1234500.00")  # 成交额 of the contract registered in the test
TECH = Decimal("1000000.00")  # 技术交易额: less 234,500 of equipment


def _submitted_contracts(server: Any, broker: Any, admin: Any) -> int:
    """This year's contract, submitted by the broker; and one signed early last year,
    registered already (it counts in the year-on-year comparison, not in this year's figures).
    Through the API: while the live processes run, the test writes through them."""
    seller = OrganisationFactory(name="温州大学", kind="university", region="330300")
    buyer = OrganisationFactory(name="杭州汽车零部件有限公司", kind="enterprise", region="330100")
    as_broker = token_for(server, broker.email, PASSWORD)
    as_admin = token_for(server, admin.email, PASSWORD)
    today = local_today()
    ids = []
    for contract in (
        {
            "title": "汽车零部件激光焊接工艺技术转让合同",
            "type": "transfer",
            "subtype": "patent",
            "signed_on": today.isoformat(),
            "contract_amount": str(AMOUNT),
            "line_items": [
                {"description": "专利转让费", "amount": str(TECH)},
                {"description": "焊接设备", "amount": str(AMOUNT - TECH), "non_technical": True},
            ],
        },
        {
            "title": "去年签订的技术服务合同",
            "type": "service",
            "subtype": "service",
            "signed_on": date(today.year - 1, 1, 2).isoformat(),
            "contract_amount": "990000.00",
            "tech_amount": "990000.00",
        },
    ):
        status, body = call(
            server.url + "/api/v1/contracts",
            "POST",
            {
                **contract,
                "seller_org_id": seller.id,
                "buyer_org_id": buyer.id,
                "field": "advanced_manufacturing",
            },
            as_broker,
        )
        assert status == 201, body
        ids.append(body["id"])
        status, body = upload(
            f"{server.url}/api/v1/contracts/{body['id']}/signed-copy",
            "file",
            "signed.pdf",
            SIGNED_PDF,
            as_broker,
        )
        assert status == 201, body
        status, body = call(
            f"{server.url}/api/v1/contracts/{ids[-1]}/submit", "POST", token=as_broker
        )
        assert status == 200, body
    status, body = call(f"{server.url}/api/v1/contracts/{ids[1]}/register", "POST", token=as_admin)
    assert status == 200, body  # the worker applies it to the rollup meanwhile
    return ids[0]


def test_registered_contract_reaches_dashboard_and_xlsx_export(
    live_server: Any, new_page: Any, make_user: Any, tmp_path: Any
) -> None:
    url = live_server.url
    broker, admin = make_user("broker"), make_user("admin")
    contract_id = _submitted_contracts(live_server, broker, admin)
    year = local_today().year

    page = new_page()
    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(url + "/admin/stats")
    figure = page.locator("[data-figure=contract_count]")
    assert figure.inner_text() == "0"  # last year's contract is not this year's

    # The administrator registers this year's contract …
    page.goto(f"{url}/contracts/{contract_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/register'] button")
    page.wait_for_url(f"{url}/contracts/{contract_id}")
    assert page.get_attribute("[data-status]", "data-status") == "registered"

    # … and it shows in the totals once the worker has updated the rollup.
    deadline = time.monotonic() + 60
    while True:
        page.goto(url + "/admin/stats")
        if figure.inner_text() == "1":
            break
        assert time.monotonic() < deadline, "registered contract not in the figures after 60 s"
        time.sleep(0.5)
    assert page.locator("#scope-year option[selected]").inner_text() == str(year)
    headline = page.locator("#headline")
    assert headline.locator("[data-figure=contract_amount]").inner_text() == "123.45万元"
    assert headline.locator("[data-figure=tech_amount]").inner_text() == "100.00万元"
    by_type = page.locator("[data-table=by_type] tr[data-code=transfer]")
    # Table cells are numbers in the column's unit (万元).
    assert by_type.inner_text().split("\t")[2:] == ["123.45", "100.00"]
    assert page.locator("[data-table=by_type] tr[data-code=service]").count() == 0
    screenshot(page, "dashboard")

    # Export what is on screen to XLSX.
    with page.expect_download() as download_info:
        page.click("a[href*='/admin/stats/export.xlsx']")
    download = download_info.value
    assert download.suggested_filename == f"statistics-{year}-all.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path, read_only=True)
    overview = list(book.worksheets[0].iter_rows(values_only=True))
    assert str(year) in str(overview[1][1])  # the scope line
    assert [Decimal(str(value)) for value in overview[2][1:4]] == [1, AMOUNT, TECH]  # output
    # Last year's contract is in the year-on-year comparison only.
    assert [Decimal(str(value)) for value in overview[-1][1:4]] == [1, 990000, 990000]
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    by_type = {row[1]: row for row in rows if len(row) > 4 and row[1] in ("transfer", "service")}
    assert set(by_type) == {"transfer"}  # last year's service contract is not this year's
    assert [Decimal(str(value)) for value in by_type["transfer"][2:5]] == [1, AMOUNT, TECH]
