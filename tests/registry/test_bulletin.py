"""The monthly bulletin (简报): reconciles to the fen with ``marketplace stats check``, is
produced by the scheduled job, kept in a list and downloadable as PDF and XLSX."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from marketplace.contracts import services
from marketplace.money import format_yuan
from marketplace.registry.bulletin import previous_month, produce_bulletin
from marketplace.seed.synthetic_contracts import generate_contracts
from marketplace.stats.services import drain_updates
from tests.conftest import login
from tests.factories import ContractFactory
from worker.schedule import BEAT_SCHEDULE
from worker.tasks.registry import produce_monthly_bulletin

LINE = re.compile(
    r"^month (\d{4})-(\d{2})(?: type=(\w+))?: (\d+) contracts, "
    r"contract amount ([\d.]+), tech amount ([\d.]+)$"
)


def _check_figures(app, year: int, month: int) -> dict[str, tuple[int, str, str]]:
    result = app.test_cli_runner().invoke(args=["stats", "check", "--month", f"{year}-{month:02d}"])
    assert result.exit_code == 0, result.output
    figures = {}
    for line in result.output.splitlines():
        match = LINE.match(line)
        if match:
            figures[match.group(3) or ""] = (int(match.group(4)), match.group(5), match.group(6))
    return figures


def test_bulletin_reconciles_to_the_fen_with_stats_check(app, make_user):
    generate_contracts(600, seed=11)
    admin = make_user("admin")
    year, month = date.today().year - 1, 3
    # Two registered through the office, one with its technology amount verified down.
    for amount, verified in (("1234567.89", "1000000.01"), ("500000.05", None)):
        contract = ContractFactory(
            status="submitted",
            signed_on=date(year, month, 10),
            contract_amount=Decimal(amount),
            tech_amount=Decimal(amount) - Decimal("0.05"),
        )
        services.register_contract(
            admin,
            contract.id,
            verification=services.Verification(
                Decimal(verified) if verified else None, "核减设备费" if verified else ""
            ),
        )
    drain_updates()

    bulletin = produce_bulletin(year, month)
    check = _check_figures(app, year, month)
    figures = bulletin.figures
    assert check[""] == (
        figures["month"]["contracts"],
        figures["month"]["contract_amount"],
        figures["month"]["tech_amount"],
    )
    assert check[""][0] >= 2
    assert {code: value for code, value in check.items() if code} == {
        code: (item["contracts"], item["contract_amount"], item["tech_amount"])
        for code, item in figures["by_type"].items()
    }

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bulletin.pdf)).pages)
    assert f"{year}-{month:02d}" in text
    assert format_yuan(Decimal(figures["month"]["contract_amount"])) in text
    sheet = load_workbook(io.BytesIO(bulletin.xlsx)).worksheets[0]
    month_row = [cell.value for cell in sheet[2]]
    assert [month_row[1], f"{month_row[2]:.2f}", f"{month_row[3]:.2f}"] == [
        figures["month"]["contracts"],
        figures["month"]["contract_amount"],
        figures["month"]["tech_amount"],
    ]


def test_scheduled_job_keeps_last_month_in_the_list(client, make_user):
    schedule = BEAT_SCHEDULE["registry-monthly-bulletin"]["schedule"]
    assert schedule.day_of_month == {1}
    bulletin_id = produce_monthly_bulletin()
    produce_monthly_bulletin()  # running twice keeps one bulletin per month
    year, month = previous_month(date.today())
    login(client, make_user("admin"))
    page = client.get("/admin/stats/bulletins").get_data(as_text=True)
    assert page.count(f'data-bulletin="{year}-{month:02d}"') == 1
    pdf = client.get(f"/admin/stats/bulletins/{bulletin_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    xlsx = client.get(f"/admin/stats/bulletins/{bulletin_id}.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    future = client.post("/admin/stats/bulletins", data={"month": "2999-01"})
    assert future.status_code == 422
