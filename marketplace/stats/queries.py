"""Read side of the statistics: the summary behind the dashboard, the API and the XLSX export.

Region figures follow the registration practice of technology markets: a region's headline
figures are its **输出** (contracts whose seller is in the region — where they are registered).
**吸纳** (buyer in the region) is reported beside it, never added to it silently: a contract with
both parties in the region counts in both, so the page shows the overlap and a once-only total.
Everything is by signing date (``signed_on``) over registered, non-void contracts.
"""

from __future__ import annotations

import calendar
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from marketplace import vocab
from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.stats.models import MONTHLY_DIMS, SIDES, StatsCell, StatsTarget
from marketplace.stats.rollup import last_computed

ZERO = Decimal("0.00")
TOP_N = 10


@dataclass(frozen=True)
class Totals:
    contracts: int = 0
    contract_amount: Decimal = ZERO
    tech_amount: Decimal = ZERO

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.contracts + other.contracts,
            self.contract_amount + other.contract_amount,
            self.tech_amount + other.tech_amount,
        )

    def __sub__(self, other: Totals) -> Totals:
        return Totals(
            self.contracts - other.contracts,
            self.contract_amount - other.contract_amount,
            self.tech_amount - other.tech_amount,
        )

    @property
    def tech_share(self) -> Decimal | None:
        """技术交易额 as a share of 成交额."""
        if not self.contract_amount:
            return None
        return (self.tech_amount / self.contract_amount).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: a code, its label and its totals (plus extra columns)."""

    code: str
    label: str
    totals: Totals
    within_province: Totals | None = None
    outside_province: Totals | None = None
    org: str = ""


@dataclass(frozen=True)
class Change:
    """Year-on-year change of the headline figures over the same months."""

    months: int
    previous: Totals
    contracts: Decimal | None
    contract_amount: Decimal | None
    tech_amount: Decimal | None


@dataclass(frozen=True)
class TargetProgress:
    target_id: int
    contract_amount: Decimal
    contract_count: int | None
    amount_rate: Decimal
    count_rate: Decimal | None
    gap: Decimal
    count_gap: int | None
    pace_fraction: Decimal
    expected_amount: Decimal
    on_track: bool
    as_of: date


@dataclass
class Summary:
    year: int
    region: str | None
    region_label: str
    output: Totals
    intake: Totals
    both_local: Totals
    change: Change
    by_month: list[Row] = field(default_factory=list)
    by_type: list[Row] = field(default_factory=list)
    by_field: list[Row] = field(default_factory=list)
    by_seller_kind: list[Row] = field(default_factory=list)
    by_buyer_kind: list[Row] = field(default_factory=list)
    by_seller_region: list[Row] = field(default_factory=list)
    by_buyer_region: list[Row] = field(default_factory=list)
    top_brokers: list[Row] = field(default_factory=list)
    top_institutions: list[Row] = field(default_factory=list)
    target: TargetProgress | None = None
    computed_at: datetime | None = None
    full_recompute_at: datetime | None = None

    @property
    def once_only(self) -> Totals:
        """Contracts with at least one party in the region, each counted once."""
        return self.output + self.intake - self.both_local


# -- helpers ------------------------------------------------------------------------------------


def region_prefix(region: str | None) -> str | None:
    """The code prefix that selects a region and everything under it (33 for 330000)."""
    if not region:
        return None
    if region.endswith("0000"):
        return region[:2]
    if region.endswith("00"):
        return region[:4]
    return region


def in_region(column: Any, region: str | None) -> Any:
    prefix = region_prefix(region)
    return sa.true() if prefix is None else column.like(prefix + "%")


def _measures() -> list[Any]:
    return [
        sa.func.sum(StatsCell.contracts),
        sa.func.sum(StatsCell.contract_amount),
        sa.func.sum(StatsCell.tech_amount),
    ]


def _totals(row: Any, offset: int = 0) -> Totals:
    return Totals(int(row[offset] or 0), row[offset + 1] or ZERO, row[offset + 2] or ZERO)


def _cells(side: str, dim: str, year: int, region: str | None) -> list[Any]:
    return [
        StatsCell.side == side,
        StatsCell.dim == dim,
        StatsCell.year == year,
        in_region(StatsCell.region, region),
    ]


def _grouped(
    side: str,
    dim: str,
    year: int,
    region: str | None,
    by: Any,
    order_by_amount: bool = False,
    limit: int | None = None,
    exclude_blank: bool = False,
) -> list[tuple[Any, Totals]]:
    query = sa.select(by, *_measures()).where(*_cells(side, dim, year, region)).group_by(by)
    if exclude_blank:
        query = query.where(StatsCell.value != "")
    if order_by_amount:
        query = query.order_by(sa.func.sum(StatsCell.contract_amount).desc(), by)
    else:
        query = query.order_by(by)
    if limit:
        query = query.limit(limit)
    return [(row[0], _totals(row, 1)) for row in db.session.execute(query)]


def _rate(new: Decimal | int, old: Decimal | int) -> Decimal | None:
    if not old:
        return None
    return ((Decimal(new) - Decimal(old)) / Decimal(old)).quantize(Decimal("0.0001"))


def _vocab_rows(pairs: dict[str, Totals], vocabulary: vocab.Vocabulary, blank: Any) -> list[Row]:
    found = dict(pairs)
    rows = [
        Row(code, vocabulary.label(code), found.pop(code))
        for code in vocabulary.codes
        if code in found
    ]
    rows.sort(key=lambda row: row.totals.contract_amount, reverse=True)
    for code, totals in found.items():  # unclassified, or a code no longer in the vocabulary
        rows.append(Row(code, str(blank) if code == "" else code, totals))
    return rows


def _region_label(code: str) -> str:
    return vocab.region_name(code) if code else str(_l("Region not recorded"))


def _add(table: dict[Any, Totals], key: Any, totals: Totals) -> None:
    table[key] = table.get(key, Totals()) + totals


def _monthly(year: int, region: str | None) -> dict[tuple[int, str, int, str], Totals]:
    """Every monthly 输出 cell of the year and the year before, summed over the scope's
    regions: one query for the headline, the months and the breakdowns."""
    query = (
        sa.select(StatsCell.year, StatsCell.dim, StatsCell.month, StatsCell.value, *_measures())
        .where(
            StatsCell.side == "seller",
            StatsCell.dim.in_(MONTHLY_DIMS),
            StatsCell.year.in_((year - 1, year)),
            in_region(StatsCell.region, region),
        )
        .group_by(StatsCell.year, StatsCell.dim, StatsCell.month, StatsCell.value)
    )
    return {
        (row.year, row.dim, row.month, row.value): _totals(row, 4)
        for row in db.session.execute(query)
    }


def _region_rows(year: int, region: str | None) -> tuple[list[Row], list[Row], Totals]:
    """输出 and 吸纳 per region with the counterpart inside/outside the same province, and the
    contracts with both parties in the scope (two queries)."""
    totals: dict[tuple[str, str], Totals] = {}
    for row in db.session.execute(
        sa.select(StatsCell.side, StatsCell.region, *_measures())
        # side is the first key column: naming both sides lets the primary key serve.
        .where(
            StatsCell.side.in_(SIDES),
            StatsCell.dim == "all",
            StatsCell.year == year,
            in_region(StatsCell.region, region),
        )
        .group_by(StatsCell.side, StatsCell.region)
    ):
        totals[(row.side, row.region)] = _totals(row, 2)
    within: dict[tuple[str, str], Totals] = {}
    outside: dict[tuple[str, str], Totals] = {}
    both = Totals()
    prefix = region_prefix(region)
    for row in db.session.execute(
        sa.select(StatsCell.side, StatsCell.region, StatsCell.value, *_measures())
        .where(
            StatsCell.side.in_(SIDES),
            StatsCell.dim == "counterpart",
            StatsCell.year == year,
            in_region(StatsCell.region, region),
        )
        .group_by(StatsCell.side, StatsCell.region, StatsCell.value)
    ):
        amount = _totals(row, 3)
        same_province = bool(row.region) and row.value[:2] == row.region[:2]
        _add(within if same_province else outside, (row.side, row.region), amount)
        if row.side == "seller" and (prefix is None or row.value.startswith(prefix)):
            both = both + amount
    tables: dict[str, list[Row]] = {"seller": [], "buyer": []}
    for (side, code), total in totals.items():
        tables[side].append(
            Row(
                code,
                _region_label(code),
                total,
                within.get((side, code), Totals()),
                outside.get((side, code), Totals()),
            )
        )
    for rows in tables.values():
        rows.sort(key=lambda row: row.totals.contract_amount, reverse=True)
    return tables["seller"], tables["buyer"], both


def pace_fraction(year: int, today: date) -> Decimal:
    """Share of the year elapsed by ``today`` (straight-line pace towards an annual target)."""
    if year < today.year:
        return Decimal(1)
    if year > today.year:
        return Decimal(0)
    days = 366 if calendar.isleap(year) else 365
    elapsed = (today - date(year, 1, 1)).days + 1
    return (Decimal(elapsed) / Decimal(days)).quantize(Decimal("0.0001"))


def target_progress(
    target: StatsTarget | None, output: Totals, today: date
) -> TargetProgress | None:
    if target is None:
        return None
    fraction = pace_fraction(target.year, today)
    expected = (target.contract_amount * fraction).quantize(Decimal("0.01"))
    count_rate = _ratio(output.contracts, target.contract_count) if target.contract_count else None
    count_gap = max(target.contract_count - output.contracts, 0) if target.contract_count else None
    return TargetProgress(
        target_id=target.id,
        contract_amount=target.contract_amount,
        contract_count=target.contract_count,
        amount_rate=_ratio(output.contract_amount, target.contract_amount),
        count_rate=count_rate,
        gap=max(target.contract_amount - output.contract_amount, ZERO),
        count_gap=count_gap,
        pace_fraction=fraction,
        expected_amount=expected,
        on_track=output.contract_amount >= expected,
        as_of=today,
    )


def _ratio(value: Decimal | int, whole: Decimal | int) -> Decimal:
    return (Decimal(value) / Decimal(whole)).quantize(Decimal("0.0001"))


def find_target(year: int, region: str | None) -> StatsTarget | None:
    return db.session.execute(
        sa.select(StatsTarget).where(StatsTarget.year == year, StatsTarget.region == (region or ""))
    ).scalar_one_or_none()


def _top_brokers(year: int, region: str | None) -> list[Row]:
    pairs = _grouped(
        "seller",
        "broker",
        year,
        region,
        StatsCell.value,
        order_by_amount=True,
        limit=TOP_N,
        exclude_blank=True,
    )
    ids = [int(code) for code, _ in pairs]
    users = (
        {
            user.id: user
            for user in db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars()
        }
        if ids
        else {}
    )
    rows = []
    for code, totals in pairs:
        user = users.get(int(code))
        rows.append(
            Row(
                code,
                user.display_name if user else f"#{code}",
                totals,
                org=user.org.name if user else "",
            )
        )
    return rows


def _top_institutions(year: int, region: str | None) -> list[Row]:
    pairs = _grouped(
        "seller",
        "org",
        year,
        region,
        StatsCell.value,
        order_by_amount=True,
        limit=TOP_N,
        exclude_blank=True,
    )
    ids = [int(code) for code, _ in pairs]
    orgs = (
        {
            org.id: org
            for org in db.session.execute(
                sa.select(Organisation).where(Organisation.id.in_(ids))
            ).scalars()
        }
        if ids
        else {}
    )
    rows = []
    for code, totals in pairs:
        org = orgs.get(int(code))
        rows.append(
            Row(
                code,
                org.name if org else f"#{code}",
                totals,
                org=vocab.ORG_KINDS.label(org.kind) if org else "",
            )
        )
    return rows


# -- the summary --------------------------------------------------------------------------------


def build_summary(year: int, region: str | None, today: date | None = None) -> Summary:
    """Every figure of the dashboard for one year and region (``None`` = the whole platform).

    The rollup part is cached per rollup version (``stats_state.computed_at``), date and
    language, so repeated views cost two small queries until a contract changes the figures.
    """
    today = today or date.today()
    computed_at, full_at = last_computed()
    key = (str(db.engine.url), year, region or None, today, computed_at, str(get_locale()))
    summary = _CACHE.get(key) if current_app.config.get("STATS_SUMMARY_CACHE", True) else None
    if summary is None:
        summary = _compute_summary(year, region or None, today)
        summary.computed_at, summary.full_recompute_at = computed_at, full_at
        _CACHE.put(key, summary)
    # Targets change without touching the rollup, so progress is always computed afresh.
    return replace(
        summary, target=target_progress(find_target(year, region), summary.output, today)
    )


def _compute_summary(year: int, region: str | None, today: date) -> Summary:
    cells = _monthly(year, region)
    months = today.month if year == today.year else 12

    def pick(y: int, dim: str, upto: int = 12) -> dict[str, Totals]:
        found: dict[str, Totals] = {}
        for (cell_year, cell_dim, month, value), totals in cells.items():
            if cell_year == y and cell_dim == dim and month <= upto:
                _add(found, value, totals)
        return found

    output = pick(year, "all").get("", Totals())
    current = pick(year, "all", months).get("", Totals())
    previous = pick(year - 1, "all", months).get("", Totals())
    change = Change(
        months,
        previous,
        _rate(current.contracts, previous.contracts),
        _rate(current.contract_amount, previous.contract_amount),
        _rate(current.tech_amount, previous.tech_amount),
    )
    by_month = [
        Row(str(month), f"{year}-{month:02d}", cells.get((year, "all", month, ""), Totals()))
        for month in range(1, 13)
    ]
    by_seller_region, by_buyer_region, both = _region_rows(year, region)
    intake = sum((row.totals for row in by_buyer_region), Totals())
    unclassified = _l("Unclassified")
    return Summary(
        year=year,
        region=region,
        region_label=vocab.region_name(region) if region else str(_l("Whole platform")),
        output=output,
        intake=intake,
        both_local=both if region else output,
        change=change,
        by_month=by_month,
        by_type=_vocab_rows(pick(year, "type"), vocab.CONTRACT_TYPES, unclassified),
        by_field=_vocab_rows(pick(year, "field"), vocab.FIELDS, unclassified),
        by_seller_kind=_vocab_rows(pick(year, "seller_kind"), vocab.ORG_KINDS, unclassified),
        by_buyer_kind=_vocab_rows(pick(year, "buyer_kind"), vocab.ORG_KINDS, unclassified),
        by_seller_region=by_seller_region,
        by_buyer_region=by_buyer_region,
        top_brokers=_top_brokers(year, region),
        top_institutions=_top_institutions(year, region),
    )


class _SummaryCache:
    """A small per-process LRU of computed summaries (keys include the rollup version)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.items: OrderedDict[tuple[Any, ...], Summary] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Summary | None:
        with self.lock:
            summary = self.items.get(key)
            if summary is not None:
                self.items.move_to_end(key)
            return summary

    def put(self, key: tuple[Any, ...], summary: Summary) -> None:
        with self.lock:
            self.items[key] = summary
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_CACHE = _SummaryCache()


def available_years(today: date | None = None) -> list[int]:
    """Years that have figures, plus the current year, newest first."""
    today = today or date.today()
    years = set(
        db.session.execute(
            sa.select(StatsCell.year)
            .where(StatsCell.side == "seller", StatsCell.dim == "all")
            .distinct()
        ).scalars()
    )
    years.add(today.year)
    return sorted(years, reverse=True)
