"""The ranking rule: measures per broker or agency from registered contracts, weighted.

Only registered contracts count (void ones drop out, as in the statistics), by signing year,
and only the broker *named on the contract* gets the credit: a broker who worked the deal but
is not on the contract earns nothing for it. Agencies are credited through their brokers.

Each measure is scaled against the best in the year (best = 1), then weighted; the speed
measure is inverted (fewest days is best). Weights live in one place, ``WEIGHTS``, and are
shown beside every list so the ranking can be recomputed by hand.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Organisation, User
from marketplace.contracts.models import Contract
from marketplace.deals.models import Deal, DealEvent
from marketplace.extensions import db
from marketplace.stats.rollup import counted_tech_amount
from marketplace.workdays import LOCAL_TZ

Subject = Literal["brokers", "agencies"]
SUBJECTS: tuple[Subject, ...] = ("brokers", "agencies")
TOP_N = 10
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Weight:
    code: str
    label: object  # a lazy translated string
    weight: Decimal


# The bureau's published rule: value brokered counts most, then volume, reach, success, speed.
WEIGHTS: tuple[Weight, ...] = (
    Weight("tech_amount", _l("Technology amount (技术交易额)"), Decimal("0.35")),
    Weight("contracts", _l("Registered contracts"), Decimal("0.25")),
    Weight("enterprises", _l("Enterprises served"), Decimal("0.15")),
    Weight("success_rate", _l("Success rate of closed deals"), Decimal("0.15")),
    Weight("speed", _l("Median days from claim to signature (fewer is better)"), Decimal("0.10")),
)


@dataclass(frozen=True)
class Measures:
    """The raw measures of one broker or agency for one year."""

    subject_id: int
    contracts: int
    contract_amount: Decimal
    tech_amount: Decimal
    enterprises: int
    deals_signed: int
    deals_failed: int
    median_days: Decimal | None

    @property
    def success_rate(self) -> Decimal | None:
        closed = self.deals_signed + self.deals_failed
        if not closed:
            return None
        return (Decimal(self.deals_signed) / closed).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class RankedEntry:
    rank: int
    subject_id: int
    name: str
    org_name: str
    measures: Measures
    score: Decimal  # 0–100, two decimals


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _registered_in(year: int) -> sa.ColumnElement[bool]:
    start, end = year_bounds(year)
    return sa.and_(
        Contract.status == "registered",
        Contract.signed_on.between(start, end),
        Contract.broker_id.is_not(None),
    )


def _group_column(subject: Subject) -> Any:
    """The id credited for a contract: its broker, or the organisation the broker belongs to."""
    return Contract.broker_id if subject == "brokers" else User.org_id


def _base(subject: Subject, *columns: Any) -> sa.Select:
    query = sa.select(*columns).select_from(Contract)
    if subject == "agencies":
        query = (
            query.join(User, User.id == Contract.broker_id)
            .join(Organisation, Organisation.id == User.org_id)
            .where(Organisation.kind == "agency")
        )
    return query


def _contract_totals(subject: Subject, year: int) -> dict[int, tuple[int, Decimal, Decimal]]:
    group = _group_column(subject)
    rows = db.session.execute(
        _base(
            subject,
            group.label("subject"),
            sa.func.count(Contract.id),
            sa.func.sum(Contract.contract_amount),
            sa.func.sum(counted_tech_amount()),
        )
        .where(_registered_in(year))
        .group_by(group)
    ).all()
    # SUM over a Money column comes back through the Money type: already yuan. 技术交易额 is the
    # registrar's verified (核定) amount where there is one, as in the statistics.
    return {
        int(subject_id): (int(count), amount or ZERO, tech or ZERO)
        for subject_id, count, amount, tech in rows
    }


def _enterprises(subject: Subject, year: int) -> dict[int, int]:
    """Distinct enterprises among the parties of each subject's contracts (kinds as registered)."""
    group = _group_column(subject)
    sides = []
    for org_column, kind_column in (
        (Contract.seller_org_id, Contract.seller_kind),
        (Contract.buyer_org_id, Contract.buyer_kind),
    ):
        sides.append(
            _base(subject, group.label("subject"), org_column.label("org")).where(
                _registered_in(year), kind_column == "enterprise"
            )
        )
    parties = sa.union(*sides).subquery()
    rows = db.session.execute(
        sa.select(parties.c.subject, sa.func.count(sa.distinct(parties.c.org))).group_by(
            parties.c.subject
        )
    ).all()
    return {int(subject_id): int(count) for subject_id, count in rows}


def _deal_outcomes(subject: Subject, year: int) -> dict[int, tuple[int, int]]:
    """Deals each subject closed in the year: (signed, failed), by the date of the closing event."""
    start, end = year_bounds(year)
    closing = (
        sa.select(
            DealEvent.deal_id,
            DealEvent.to_stage,
            sa.func.max(DealEvent.created_at).label("closed_at"),
        )
        .where(DealEvent.kind == "stage", DealEvent.to_stage.in_(("signed", "failed")))
        .group_by(DealEvent.deal_id, DealEvent.to_stage)
        .subquery()
    )
    group = Deal.broker_id if subject == "brokers" else User.org_id
    query = (
        sa.select(group.label("subject"), Deal.stage, closing.c.closed_at)
        .select_from(Deal)
        .join(closing, sa.and_(closing.c.deal_id == Deal.id, closing.c.to_stage == Deal.stage))
        .where(Deal.broker_id.is_not(None))
    )
    if subject == "agencies":
        query = (
            query.join(User, User.id == Deal.broker_id)
            .join(Organisation, Organisation.id == User.org_id)
            .where(Organisation.kind == "agency")
        )
    outcomes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for subject_id, stage, closed_at in db.session.execute(query):
        if not _within(closed_at, start, end):
            continue
        outcomes[int(subject_id)][0 if stage == "signed" else 1] += 1
    return {key: (value[0], value[1]) for key, value in outcomes.items()}


def _local_date(moment: datetime | str) -> date:
    """The date in China of a stored UTC moment (SQLite returns aggregates of them as text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).date()


def _within(moment: datetime | str | None, start: date, end: date) -> bool:
    return moment is not None and start <= _local_date(moment) <= end


def _median_days(subject: Subject, year: int) -> dict[int, Decimal]:
    """Median days from the deal's first claim (or assignment) to the contract's signing date."""
    claimed = (
        sa.select(DealEvent.deal_id, sa.func.min(DealEvent.created_at).label("claimed_at"))
        .where(DealEvent.kind.in_(("claim", "assign")))
        .group_by(DealEvent.deal_id)
        .subquery()
    )
    group = _group_column(subject)
    rows = db.session.execute(
        _base(subject, group.label("subject"), Contract.signed_on, claimed.c.claimed_at)
        .join(claimed, claimed.c.deal_id == Contract.deal_id)
        .where(_registered_in(year))
    ).all()
    days: dict[int, list[int]] = defaultdict(list)
    for subject_id, signed_on, claimed_at in rows:
        days[int(subject_id)].append(max((signed_on - _local_date(claimed_at)).days, 0))
    return {
        key: Decimal(str(statistics.median(values))).quantize(Decimal("0.1"))
        for key, values in days.items()
    }


def measures(subject: Subject, year: int) -> list[Measures]:
    """Every broker (or agency) with at least one registered contract signed in ``year``."""
    totals = _contract_totals(subject, year)
    enterprises = _enterprises(subject, year)
    outcomes = _deal_outcomes(subject, year)
    medians = _median_days(subject, year)
    return [
        Measures(
            subject_id=key,
            contracts=count,
            contract_amount=amount,
            tech_amount=tech,
            enterprises=enterprises.get(key, 0),
            deals_signed=outcomes.get(key, (0, 0))[0],
            deals_failed=outcomes.get(key, (0, 0))[1],
            median_days=medians.get(key),
        )
        for key, (count, amount, tech) in totals.items()
    ]


def _scaled(value: Decimal | None, best: Decimal | None) -> Decimal:
    if value is None or not best:
        return Decimal(0)
    return value / best


def score(row: Measures, everyone: list[Measures]) -> Decimal:
    """The weighted score, 0–100: each measure as a share of the year's best."""
    best_tech = max((m.tech_amount for m in everyone), default=ZERO)
    best_count = max((m.contracts for m in everyone), default=0)
    best_enterprises = max((m.enterprises for m in everyone), default=0)
    rates = [m.success_rate for m in everyone if m.success_rate is not None]
    medians = [m.median_days for m in everyone if m.median_days is not None]
    # Speed: the fastest median over one's own; a median of 0 days is best (clamped to 1 day).
    fastest = max(min(medians), Decimal(1)) if medians else None
    speed = (
        fastest / max(row.median_days, Decimal(1))
        if fastest is not None and row.median_days is not None
        else Decimal(0)
    )
    parts = {
        "tech_amount": _scaled(row.tech_amount, best_tech),
        "contracts": _scaled(Decimal(row.contracts), Decimal(best_count)),
        "enterprises": _scaled(Decimal(row.enterprises), Decimal(best_enterprises)),
        "success_rate": _scaled(row.success_rate, max(rates) if rates else None),
        "speed": speed,
    }
    total = sum((w.weight * parts[w.code] for w in WEIGHTS), Decimal(0)) * 100
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ranking(subject: Subject, year: int, limit: int | None = None) -> list[RankedEntry]:
    """The ranked list for a year: highest score first; ties by 技术交易额, then contracts."""
    everyone = measures(subject, year)
    scored = [(score(row, everyone), row) for row in everyone]
    scored.sort(
        key=lambda pair: (-pair[0], -pair[1].tech_amount, -pair[1].contracts, pair[1].subject_id)
    )
    if limit is not None:
        scored = scored[:limit]
    names = _names(subject, [row.subject_id for _, row in scored])
    return [
        RankedEntry(
            rank=index,
            subject_id=row.subject_id,
            name=names.get(row.subject_id, (f"#{row.subject_id}", ""))[0],
            org_name=names.get(row.subject_id, ("", ""))[1],
            measures=row,
            score=value,
        )
        for index, (value, row) in enumerate(scored, start=1)
    ]


def _names(subject: Subject, ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    if subject == "brokers":
        users = db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars()
        return {user.id: (user.display_name, user.org.name if user.org else "") for user in users}
    orgs = db.session.execute(sa.select(Organisation).where(Organisation.id.in_(ids))).scalars()
    return {org.id: (org.name, "") for org in orgs}


def ranking_years() -> list[int]:
    """Years with registered, brokered contracts, newest first."""
    rows = db.session.execute(
        sa.select(sa.extract("year", Contract.signed_on))
        .distinct()
        .where(Contract.status == "registered", Contract.broker_id.is_not(None))
    ).scalars()
    return sorted((int(year) for year in rows if year is not None), reverse=True)
