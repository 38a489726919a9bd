"""Voucher sheets for the statistics XLSX export (amounts exact, in yuan)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook

from marketplace.vouchers.stats import Line, VoucherStats, voucher_stats
from marketplace.xlsx import write_sheet


def _header(first: str) -> list[str]:
    return [
        first,
        _("Issued (yuan)"),
        _("Issued (count)"),
        _("Used (yuan)"),
        _("Used (count)"),
        _("Redeemed, 创新券使用额 (yuan)"),
        _("Redeemed (count)"),
    ]


def _row(line: Line) -> list[Any]:
    m = line.measures
    return [
        line.label,
        m.issued,
        m.issued_count,
        m.used,
        m.used_count,
        m.redeemed,
        m.redeemed_count,
    ]


def add_voucher_sheets(book: Workbook, year: int, stats: VoucherStats | None = None) -> None:
    """Append the voucher overview and breakdowns of ``year`` to ``book``."""
    stats = stats or voucher_stats(year)
    t = stats.totals
    write_sheet(
        book,
        _("Vouchers"),
        [_("Figure"), _("Value")],
        [
            [_("Year"), stats.year],
            [_("Budget of the year's schemes (yuan)"), stats.budget],
            [_("Committed, not yet redeemed (yuan)"), stats.committed],
            [_("Issued (yuan)"), t.issued],
            [_("Used with providers (yuan)"), t.used],
            [_("Redeemed, 创新券使用额 (yuan)"), t.redeemed],
            [_("Usage rate (redeemed ÷ issued)"), stats.usage_rate],
            [_("Mean days from approval to redemption"), stats.days_to_redemption],
            [_("Cost of the services redeemed (yuan)"), stats.service_value],
            [_("Leverage (service cost ÷ voucher amount)"), stats.leverage],
        ],
        money_columns=(),
    )
    for title, first, lines in (
        (_("Vouchers by month"), _("Month"), stats.by_month),
        (_("Vouchers by region"), _("Region"), stats.by_region),
        (_("Vouchers by service"), _("Service"), stats.by_service),
        (_("Vouchers by provider"), _("Provider"), stats.by_provider),
    ):
        write_sheet(
            book, title, _header(first), [_row(line) for line in lines], money_columns=(2, 4, 6)
        )
