"""XLSX export of a ranking, with the weights on a sheet of their own."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from flask_babel import pgettext
from openpyxl import Workbook

from marketplace.rankings.queries import WEIGHTS, RankedEntry, Subject
from marketplace.xlsx import write_sheet


def ranking_workbook(subject: Subject, year: int, entries: list[RankedEntry]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    name = _("Broker") if subject == "brokers" else _("Agency")
    header = [
        _("Rank"),
        name,
        _("Organisation"),
        pgettext("ranking", "Score"),
        _("Registered contracts"),
        _("Contract amount (yuan)"),
        _("Technology amount (yuan)"),
        _("Enterprises served"),
        _("Success rate of closed deals"),
        _("Median days from claim to signature"),
    ]
    rows = [
        [
            entry.rank,
            entry.name,
            entry.org_name,
            entry.score,
            entry.measures.contracts,
            entry.measures.contract_amount,
            entry.measures.tech_amount,
            entry.measures.enterprises,
            entry.measures.success_rate,
            entry.measures.median_days,
        ]
        for entry in entries
    ]
    write_sheet(book, f"{year}", header, rows, money_columns=(6, 7), rate_columns=(9,))
    write_sheet(
        book,
        _("Weights"),
        [_("Measure"), _("Weight")],
        [[str(weight.label), weight.weight] for weight in WEIGHTS],
        rate_columns=(2,),
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
