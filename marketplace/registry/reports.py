"""Reports a bureau sends: a month, quarter or year with 累计 (year to date) and 同比, by type.

Figures come from the statistics rollup (输出: contracts by their seller's region, by signing
date, registered and not void, technology amount as verified), the same cells the dashboard
shows and ``marketplace stats check`` proves against the contracts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace import vocab
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.stats.models import StatsCell
from marketplace.stats.queries import Totals, in_region

PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    """Months ``first``–``last`` of ``year``: a month, a quarter or the whole year."""

    kind: str
    year: int
    number: int  # the month (1–12), the quarter (1–4), or 1 for the year

    @property
    def first(self) -> int:
        return {"month": self.number, "quarter": 3 * self.number - 2, "year": 1}[self.kind]

    @property
    def last(self) -> int:
        return {"month": self.number, "quarter": 3 * self.number, "year": 12}[self.kind]

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return _("%(year)s Q%(n)s", year=self.year, n=self.number)
        return str(self.year)


def parse_period(kind: str | None, year: object, number: object) -> Period:
    """A period from query-string values, refused with field messages when malformed."""
    errors: dict[str, str] = {}
    kind = kind or "month"
    if kind not in PERIODS:
        errors["period"] = _("Choose month, quarter or year.")
    try:
        year_value = int(str(year))
        if not 1985 <= year_value <= 2200:
            raise ValueError
    except ValueError:
        errors["year"] = _("Enter a year between 1985 and 2200.")
        year_value = 0
    limit = {"month": 12, "quarter": 4, "year": 1}.get(kind, 12)
    try:
        number_value = 1 if kind == "year" else int(str(number))
        if not 1 <= number_value <= limit:
            raise ValueError
    except ValueError:
        errors["number"] = _("Choose a month (1–12) or quarter (1–4).")
        number_value = 1
    if errors:
        raise ValidationError(fields=errors)
    return Period(kind, year_value, number_value)


@dataclass(frozen=True)
class Comparison:
    """One line of a report: this period, 累计 and the same spans a year earlier."""

    code: str
    label: str
    period: Totals
    ytd: Totals
    period_last_year: Totals
    ytd_last_year: Totals

    @property
    def period_change(self) -> Decimal | None:
        return change(self.period.contract_amount, self.period_last_year.contract_amount)

    @property
    def ytd_change(self) -> Decimal | None:
        return change(self.ytd.contract_amount, self.ytd_last_year.contract_amount)

    @property
    def tech_change(self) -> Decimal | None:
        return change(self.period.tech_amount, self.period_last_year.tech_amount)


def change(new: Decimal, old: Decimal) -> Decimal | None:
    """同比: the relative change, or None when last year had nothing to compare with."""
    if not old:
        return None
    return ((new - old) / old).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Report:
    period: Period
    region: str | None
    total: Comparison
    by_type: list[Comparison]
    by_field: list[Comparison]


def monthly_cells(
    years: tuple[int, ...], dim: str, region: str | None
) -> dict[tuple[int, int, str], Totals]:
    """Monthly 输出 cells of ``dim`` for ``years`` summed over the regions in scope."""
    query = (
        sa.select(
            StatsCell.year,
            StatsCell.month,
            StatsCell.value,
            sa.func.sum(StatsCell.contracts),
            sa.func.sum(StatsCell.contract_amount),
            sa.func.sum(StatsCell.tech_amount),
        )
        .where(
            StatsCell.side == "seller",
            StatsCell.dim == dim,
            StatsCell.year.in_(years),
            StatsCell.month > 0,
            in_region(StatsCell.region, region),
        )
        .group_by(StatsCell.year, StatsCell.month, StatsCell.value)
    )
    return {
        (int(row[0]), int(row[1]), row[2]): Totals(
            int(row[3] or 0), row[4] or Decimal(0), row[5] or Decimal(0)
        )
        for row in db.session.execute(query)
    }


def _span(
    cells: dict[tuple[int, int, str], Totals], year: int, first: int, last: int, value: str
) -> Totals:
    return sum(
        (
            totals
            for (y, m, v), totals in cells.items()
            if y == year and first <= m <= last and v == value
        ),
        Totals(),
    )


def _comparisons(
    period: Period, dim: str, region: str | None, vocabulary: vocab.Vocabulary | None
) -> list[Comparison]:
    cells = monthly_cells((period.year - 1, period.year), dim, region)
    values = sorted({value for (_y, _m, value) in cells})
    rows = []
    for value in values:
        label = vocabulary.label(value, _("Unclassified")) if vocabulary else ""
        rows.append(
            Comparison(
                value,
                label,
                _span(cells, period.year, period.first, period.last, value),
                _span(cells, period.year, 1, period.last, value),
                _span(cells, period.year - 1, period.first, period.last, value),
                _span(cells, period.year - 1, 1, period.last, value),
            )
        )
    return [row for row in rows if row.ytd.contracts or row.ytd_last_year.contracts]


def build_report(period: Period, region: str | None = None) -> Report:
    """The period's figures with 累计 and 同比, in total and by contract type and field."""
    totals = _comparisons(period, "all", region, None)
    empty = Comparison("", "", Totals(), Totals(), Totals(), Totals())
    total = totals[0] if totals else empty
    by_type = _comparisons(period, "type", region, vocab.CONTRACT_TYPES)
    by_field = _comparisons(period, "field", region, vocab.FIELDS)
    by_type.sort(key=lambda row: row.ytd.contract_amount, reverse=True)
    by_field.sort(key=lambda row: row.ytd.contract_amount, reverse=True)
    return Report(period, region, total, by_type, by_field)
