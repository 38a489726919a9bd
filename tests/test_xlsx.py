"""XLSX exports keep amounts exact and never let text from users run as a formula."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from marketplace.auctions.kpis import AuctionKpis, LotRow, add_kpi_sheets
from marketplace.xlsx import write_sheet

FORMULA = '=HYPERLINK("http://evil.example","点我")'


def _reload(book: Workbook) -> Workbook:
    buffer = io.BytesIO()
    book.save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue()))


def test_write_sheet_keeps_formulas_as_text_and_amounts_exact(app):
    book = Workbook()
    write_sheet(
        book, "表", ["名称", "金额"], [[FORMULA, Decimal("1234567.89")]], money_columns=(2,)
    )
    sheet = _reload(book)["表"]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == FORMULA
    assert sheet["B2"].value == 1234567.89 and sheet["B2"].number_format == "#,##0.00"


def test_auction_lot_titles_from_users_stay_text(app):
    row = LotRow(
        lot_id=1,
        title=FORMULA,
        session="-专场",
        status="sold",
        start_price=Decimal("100000.00"),
        sale_price=Decimal("125000.00"),
        premium_rate=Decimal("0.25"),
        bidders=2,
        registered=False,
    )
    kpis = AuctionKpis(
        year=2026,
        lots=1,
        sold=1,
        unsold=0,
        unsold_rate=Decimal(0),
        premium_rate=Decimal("0.25"),
        mean_premium_rate=Decimal("0.25"),
        bidders_per_lot=Decimal(2),
        registered_share=Decimal(0),
        by_lot=[row],
        by_session=[],
    )
    book = Workbook()
    add_kpi_sheets(book, kpis)
    lots = _reload(book).worksheets[-1]
    assert lots["B2"].data_type == "s" and lots["B2"].value == FORMULA
    assert lots["C2"].data_type == "s"
