"""XLSX export of every table on the statistics dashboard (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext
from openpyxl import Workbook

from marketplace.stats.queries import Row, Summary, Totals
from marketplace.vouchers.export import add_voucher_sheets
from marketplace.xlsx import write_sheet


def _measures(totals: Totals) -> list[Any]:
    return [totals.contracts, totals.contract_amount, totals.tech_amount]


def _measure_header() -> list[str]:
    return [
        pgettext("count", "Contracts"),
        _("Contract amount (yuan)"),
        _("Technology amount (yuan)"),
    ]


def _breakdown(book: Workbook, title: str, first: str, rows: list[Row]) -> None:
    write_sheet(
        book,
        title,
        [first, _("Code"), *_measure_header()],
        [[row.label, row.code, *_measures(row.totals)] for row in rows],
        money_columns=(4, 5),
    )


def _regions(book: Workbook, title: str, rows: list[Row]) -> None:
    header = [
        _("Region"),
        _("Code"),
        *_measure_header(),
        _("Counterpart in the same province (yuan)"),
        _("Counterpart outside the province (yuan)"),
    ]
    write_sheet(
        book,
        title,
        header,
        [
            [
                row.label,
                row.code,
                *_measures(row.totals),
                (row.within_province or Totals()).contract_amount,
                (row.outside_province or Totals()).contract_amount,
            ]
            for row in rows
        ],
        money_columns=(4, 5, 6, 7),
    )


def summary_workbook(
    summary: Summary, extra_sheets: Sequence[Callable[[Workbook], None]] = ()
) -> bytes:
    """One sheet per dashboard table, amounts in yuan to the fen; ``extra_sheets`` add
    other features' tables (the auction KPIs)."""
    book = Workbook()
    book.remove(book.active)
    scope = f"{summary.year} · {summary.region_label}"
    headline = [
        [_("Scope"), scope, None, None],
        [_("Output (seller in the region)"), *_measures(summary.output)],
        [_("Intake (buyer in the region)"), *_measures(summary.intake)],
        [
            _("Both parties in the region (counted in both lines above)"),
            *_measures(summary.both_local),
        ],
        [_("Contracts involving the region, each counted once"), *_measures(summary.once_only)],
        [_("Same months last year (output)"), *_measures(summary.change.previous)],
    ]
    write_sheet(
        book, _("Overview"), [_("Figure"), *_measure_header()], headline, money_columns=(3, 4)
    )
    if summary.target is not None:
        target = summary.target
        write_sheet(
            book,
            _("Target"),
            [_("Item"), _("Value")],
            [
                [_("Target contract amount (yuan)"), target.contract_amount],
                [_("Target number of contracts"), target.contract_count],
                [_("Completion (amount)"), target.amount_rate],
                [_("Completion (count)"), target.count_rate],
                [_("Gap to target (yuan)"), target.gap],
                [_("Expected by today at a straight-line pace (yuan)"), target.expected_amount],
            ],
        )
    write_sheet(
        book,
        _("By month"),
        [_("Month"), *_measure_header()],
        [[row.label, *_measures(row.totals)] for row in summary.by_month],
        money_columns=(3, 4),
    )
    _breakdown(book, _("By type"), _("Contract type"), summary.by_type)
    _breakdown(book, _("By field"), _("Technology field"), summary.by_field)
    _breakdown(book, _("By seller kind"), _("Seller kind"), summary.by_seller_kind)
    _breakdown(book, _("By buyer kind"), _("Buyer kind"), summary.by_buyer_kind)
    _regions(book, _("Output by region"), summary.by_seller_region)
    _regions(book, _("Intake by region"), summary.by_buyer_region)
    write_sheet(
        book,
        _("Top brokers"),
        [_("Broker"), _("Organisation"), *_measure_header()],
        [[row.label, row.org, *_measures(row.totals)] for row in summary.top_brokers],
        money_columns=(4, 5),
    )
    write_sheet(
        book,
        _("Top institutions"),
        [_("Organisation"), _("Kind"), *_measure_header()],
        [[row.label, row.org, *_measures(row.totals)] for row in summary.top_institutions],
        money_columns=(4, 5),
    )
    for add_sheets in extra_sheets:
        add_sheets(book)
    add_voucher_sheets(book, summary.year)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
