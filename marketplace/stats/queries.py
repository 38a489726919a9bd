"""Read side of the statistics: the summary behind the dashboard, the API and the XLSX export.

Region figures follow the registration practice of technology markets: a region's headline
figures are its **输出** (contracts whose seller is in the region — where they are registered).
**吸纳** (buyer in the region) is reported beside it, never added to it silently: a contract with
both parties in the region counts in both, so the page shows the overlap and a once-only total.
Everything is by signing date (``signed_on``) over registered, non-void contracts.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import vocab
from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.stats.models import StatsCell, StatsTarget
from marketplace.stats.rollup import last_computed

ZERO = Decimal("0.00")
TOP_N = 10


@dataclass(frozen=True)
class Totals:
    contracts: int = 0
    contract_amount: Decimal = ZERO
    tech_amount: Decimal = ZERO

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.contracts + other.contracts,
                      self.contract_amount + other.contract_amount,
                      self.tech_amount + other.tech_amount)

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.contracts - other.contracts,
                      self.contract_amount - other.contract_amount,
                      self.tech_amount - other.tech_amount)

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
    return [sa.func.sum(StatsCell.contracts), sa.func.sum(StatsCell.contract_amount),
            sa.func.sum(StatsCell.tech_amount)]


def _totals(row: Any, offset: int = 0) -> Totals:
    return Totals(int(row[offset] or 0), row[offset + 1] or ZERO, row[offset + 2] or ZERO)


def _cells(side: str, dim: str, year: int, region: str | None) -> list[Any]:
    return [StatsCell.side == side, StatsCell.dim == dim, StatsCell.year == year,
            in_region(StatsCell.region, region)]


def _total(side: str, year: int, region: str | None, months: int = 12) -> Totals:
    row = db.session.execute(sa.select(*_measures()).where(
        *_cells(side, "all", year, region), StatsCell.month <= months)).one()
    return _totals(row)


def _grouped(side: str, dim: str, year: int, region: str | None, by: Any,
             order_by_amount: bool = False, limit: int | None = None,
             exclude_blank: bool = False) -> list[tuple[Any, Totals]]:
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


def _vocab_rows(pairs: list[tuple[Any, Totals]], vocabulary: vocab.Vocabulary,
                blank: Any) -> list[Row]:
    found = dict(pairs)
    rows = [Row(code, vocabulary.label(code), found.pop(code)) for code in vocabulary.codes
            if code in found]
    rows.sort(key=lambda row: row.totals.contract_amount, reverse=True)
    for code, totals in found.items():  # unclassified, or a code no longer in the vocabulary
        rows.append(Row(code, str(blank) if code == "" else code, totals))
    return rows


def _region_label(code: str) -> str:
    return vocab.region_name(code) if code else str(_l("Region not recorded"))


def _region_rows(side: str, year: int, region: str | None) -> list[Row]:
    totals = _grouped(side, "all", year, region, StatsCell.region)
    flows: dict[str, tuple[Totals, Totals]] = {}
    query = sa.select(StatsCell.region, StatsCell.value, *_measures()).where(
        *_cells(side, "counterpart", year, region)).group_by(StatsCell.region, StatsCell.value)
    for row in db.session.execute(query):
        within, outside = flows.get(row.region, (Totals(), Totals()))
        amount = _totals(row, 2)
        if row.region and row.value[:2] == row.region[:2]:
            within = within + amount
        else:
            outside = outside + amount
        flows[row.region] = (within, outside)
    rows = [Row(code, _region_label(code), total, *flows.get(code, (Totals(), Totals())))
            for code, total in totals]
    rows.sort(key=lambda row: row.totals.contract_amount, reverse=True)
    return rows


def pace_fraction(year: int, today: date) -> Decimal:
    """Share of the year elapsed by ``today`` (straight-line pace towards an annual target)."""
    if year < today.year:
        return Decimal(1)
    if year > today.year:
        return Decimal(0)
    days = 366 if calendar.isleap(year) else 365
    elapsed = (today - date(year, 1, 1)).days + 1
    return (Decimal(elapsed) / Decimal(days)).quantize(Decimal("0.0001"))


def target_progress(target: StatsTarget | None, output: Totals, today: date
                    ) -> TargetProgress | None:
    if target is None:
        return None
    fraction = pace_fraction(target.year, today)
    expected = (target.contract_amount * fraction).quantize(Decimal("0.01"))
    count_rate = (_ratio(output.contracts, target.contract_count)
                  if target.contract_count else None)
    count_gap = (max(target.contract_count - output.contracts, 0)
                 if target.contract_count else None)
    return TargetProgress(
        target_id=target.id, contract_amount=target.contract_amount,
        contract_count=target.contract_count,
        amount_rate=_ratio(output.contract_amount, target.contract_amount),
        count_rate=count_rate, gap=max(target.contract_amount - output.contract_amount, ZERO),
        count_gap=count_gap, pace_fraction=fraction, expected_amount=expected,
        on_track=output.contract_amount >= expected, as_of=today)


def _ratio(value: Decimal | int, whole: Decimal | int) -> Decimal:
    return (Decimal(value) / Decimal(whole)).quantize(Decimal("0.0001"))


def find_target(year: int, region: str | None) -> StatsTarget | None:
    return db.session.execute(sa.select(StatsTarget).where(
        StatsTarget.year == year, StatsTarget.region == (region or ""))).scalar_one_or_none()


def _top_brokers(year: int, region: str | None) -> list[Row]:
    pairs = _grouped("seller", "broker", year, region, StatsCell.value, order_by_amount=True,
                     limit=TOP_N, exclude_blank=True)
    ids = [int(code) for code, _ in pairs]
    users = {user.id: user for user in db.session.execute(
        sa.select(User).where(User.id.in_(ids))).scalars()} if ids else {}
    rows = []
    for code, totals in pairs:
        user = users.get(int(code))
        rows.append(Row(code, user.display_name if user else f"#{code}", totals,
                        org=user.org.name if user else ""))
    return rows


def _top_institutions(year: int, region: str | None) -> list[Row]:
    pairs = _grouped("seller", "org", year, region, StatsCell.value, order_by_amount=True,
                     limit=TOP_N, exclude_blank=True)
    ids = [int(code) for code, _ in pairs]
    orgs = {org.id: org for org in db.session.execute(
        sa.select(Organisation).where(Organisation.id.in_(ids))).scalars()} if ids else {}
    rows = []
    for code, totals in pairs:
        org = orgs.get(int(code))
        rows.append(Row(code, org.name if org else f"#{code}", totals,
                        org=vocab.ORG_KINDS.label(org.kind) if org else ""))
    return rows


# -- the summary --------------------------------------------------------------------------------

def build_summary(year: int, region: str | None, today: date | None = None) -> Summary:
    """Every figure of the dashboard for one year and region (``None`` = the whole platform)."""
    today = today or date.today()
    output = _total("seller", year, region)
    intake = _total("buyer", year, region)
    if region:
        row = db.session.execute(sa.select(*_measures()).where(
            *_cells("seller", "counterpart", year, region),
            in_region(StatsCell.value, region))).one()
        both = _totals(row)
    else:
        both = output
    months = today.month if year == today.year else 12
    current = _total("seller", year, region, months) if months < 12 else output
    previous = _total("seller", year - 1, region, months)
    change = Change(months, previous, _rate(current.contracts, previous.contracts),
                    _rate(current.contract_amount, previous.contract_amount),
                    _rate(current.tech_amount, previous.tech_amount))
    by_month_pairs = dict(_grouped("seller", "all", year, region, StatsCell.month))
    by_month = [Row(str(month), f"{year}-{month:02d}", by_month_pairs.get(month, Totals()))
                for month in range(1, 13)]
    unclassified = _l("Unclassified")
    computed_at, full_at = last_computed()
    return Summary(
        year=year, region=region or None,
        region_label=vocab.region_name(region) if region else str(_l("Whole platform")),
        output=output, intake=intake, both_local=both, change=change, by_month=by_month,
        by_type=_vocab_rows(_grouped("seller", "type", year, region, StatsCell.value),
                            vocab.CONTRACT_TYPES, unclassified),
        by_field=_vocab_rows(_grouped("seller", "field", year, region, StatsCell.value),
                             vocab.FIELDS, unclassified),
        by_seller_kind=_vocab_rows(
            _grouped("seller", "seller_kind", year, region, StatsCell.value), vocab.ORG_KINDS,
            unclassified),
        by_buyer_kind=_vocab_rows(
            _grouped("seller", "buyer_kind", year, region, StatsCell.value), vocab.ORG_KINDS,
            unclassified),
        by_seller_region=_region_rows("seller", year, region),
        by_buyer_region=_region_rows("buyer", year, region),
        top_brokers=_top_brokers(year, region),
        top_institutions=_top_institutions(year, region),
        target=target_progress(find_target(year, region), output, today),
        computed_at=computed_at, full_recompute_at=full_at,
    )


def available_years(today: date | None = None) -> list[int]:
    """Years that have figures, plus the current year, newest first."""
    today = today or date.today()
    years = set(db.session.execute(sa.select(StatsCell.year).where(
        StatsCell.side == "seller", StatsCell.dim == "all").distinct()).scalars())
    years.add(today.year)
    return sorted(years, reverse=True)
