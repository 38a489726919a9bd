"""XLSX export of every table on the statistics dashboard (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from marketplace.stats.queries import Row, Summary, Totals

MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"
FORMULA_PREFIXES = ("=", "+", "-", "@")


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
           money_columns: Sequence[int] = (), rate_columns: Sequence[int] = ()) -> Worksheet:
    sheet = book.create_sheet(title=title[:31])
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # openpyxl writes a Decimal as the exact number (no float round trip).
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            # Organisation and broker names come from users: text that looks like a formula
            # ("=HYPERLINK(…)") is stored as text so a spreadsheet never evaluates it.
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"
    for column in money_columns:
        for cell in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell[0].number_format = MONEY_FORMAT
    for column in rate_columns:
        for cell in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell[0].number_format = RATE_FORMAT
    for index, title_text in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(title_text) + 4)
    sheet.freeze_panes = "A2"
    return sheet


def _measures(totals: Totals) -> list[Any]:
    return [totals.contracts, totals.contract_amount, totals.tech_amount]


def _measure_header() -> list[str]:
    return [pgettext("count", "Contracts"), _("Contract amount (yuan)"),
            _("Technology amount (yuan)")]


def _breakdown(book: Workbook, title: str, first: str, rows: list[Row]) -> None:
    _sheet(book, title, [first, _("Code"), *_measure_header()],
           [[row.label, row.code, *_measures(row.totals)] for row in rows], money_columns=(4, 5))


def _regions(book: Workbook, title: str, rows: list[Row]) -> None:
    header = [_("Region"), _("Code"), *_measure_header(),
              _("Counterpart in the same province (yuan)"),
              _("Counterpart outside the province (yuan)")]
    _sheet(book, title, header, [
        [row.label, row.code, *_measures(row.totals),
         (row.within_province or Totals()).contract_amount,
         (row.outside_province or Totals()).contract_amount] for row in rows],
        money_columns=(4, 5, 6, 7))


def summary_workbook(summary: Summary) -> bytes:
    """One sheet per dashboard table, amounts in yuan to the fen."""
    book = Workbook()
    book.remove(book.active)
    scope = f"{summary.year} · {summary.region_label}"
    headline = [
        [_("Scope"), scope, None, None],
        [_("Output (seller in the region)"), *_measures(summary.output)],
        [_("Intake (buyer in the region)"), *_measures(summary.intake)],
        [_("Both parties in the region (counted in both lines above)"),
         *_measures(summary.both_local)],
        [_("Contracts involving the region, each counted once"),
         *_measures(summary.once_only)],
        [_("Same months last year (output)"), *_measures(summary.change.previous)],
    ]
    _sheet(book, _("Overview"), [_("Figure"), *_measure_header()], headline,
           money_columns=(3, 4))
    if summary.target is not None:
        target = summary.target
        _sheet(book, _("Target"), [_("Item"), _("Value")], [
            [_("Target contract amount (yuan)"), target.contract_amount],
            [_("Target number of contracts"), target.contract_count],
            [_("Completion (amount)"), target.amount_rate],
            [_("Completion (count)"),
             target.count_rate],
            [_("Gap to target (yuan)"), target.gap],
            [_("Expected by today at a straight-line pace (yuan)"), target.expected_amount],
        ])
    _sheet(book, _("By month"), [_("Month"), *_measure_header()],
           [[row.label, *_measures(row.totals)] for row in summary.by_month],
           money_columns=(3, 4))
    _breakdown(book, _("By type"), _("Contract type"), summary.by_type)
    _breakdown(book, _("By field"), _("Technology field"), summary.by_field)
    _breakdown(book, _("By seller kind"), _("Seller kind"), summary.by_seller_kind)
    _breakdown(book, _("By buyer kind"), _("Buyer kind"), summary.by_buyer_kind)
    _regions(book, _("Output by region"), summary.by_seller_region)
    _regions(book, _("Intake by region"), summary.by_buyer_region)
    _sheet(book, _("Top brokers"), [_("Broker"), _("Organisation"), *_measure_header()],
           [[row.label, row.org, *_measures(row.totals)] for row in summary.top_brokers],
           money_columns=(4, 5))
    _sheet(book, _("Top institutions"), [_("Organisation"), _("Kind"), *_measure_header()],
           [[row.label, row.org, *_measures(row.totals)] for row in summary.top_institutions],
           money_columns=(4, 5))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
