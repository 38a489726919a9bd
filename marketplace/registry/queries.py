"""Read side of the registration office: the worklist, the contracts behind a figure, and the
VAT-exempt amounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from marketplace import vocab
from marketplace.contracts.models import Contract
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.money import from_fen
from marketplace.stats.queries import in_region
from marketplace.stats.rollup import COUNTED_STATUS, counted_tech_amount
from marketplace.workdays import LOCAL_TZ, working_days_between


@dataclass(frozen=True)
class WaitingContract:
    contract: Contract
    waiting_since: datetime
    days_waiting: int
    working_days: int
    overdue: bool


def worklist(target_working_days: int, today: date | None = None) -> list[WaitingContract]:
    """Contracts awaiting registration, oldest submission first, with how long they waited."""
    today = today or datetime.now(LOCAL_TZ).date()
    since = sa.func.coalesce(Contract.submitted_at, Contract.updated_at)
    rows = db.session.execute(
        sa.select(Contract)
        .where(Contract.status == "submitted")
        .options(
            selectinload(Contract.seller_org),
            selectinload(Contract.buyer_org),
            selectinload(Contract.broker),
            selectinload(Contract.signed_copy),
        )
        .order_by(since, Contract.id)
    ).scalars()
    items = []
    for contract in rows:
        waiting_since = contract.submitted_at or contract.updated_at
        day = waiting_since.astimezone(LOCAL_TZ).date()
        working = working_days_between(day, today)
        items.append(
            WaitingContract(
                contract,
                waiting_since,
                max((today - day).days, 0),
                working,
                working > target_working_days,
            )
        )
    return items


# -- the contracts behind a figure ------------------------------------------------------------


@dataclass(frozen=True)
class DrillFilter:
    """Which registered contracts a dashboard figure counts (every field optional)."""

    year: int
    month: int | None = None
    month_to: int | None = None
    type: str | None = None
    field: str | None = None
    seller_kind: str | None = None
    buyer_kind: str | None = None
    region: str | None = None  # 输出: seller region (prefix)
    buyer_region: str | None = None  # 吸纳: buyer region (prefix)
    broker_id: int | None = None
    seller_org_id: int | None = None
    tax_exempt: bool | None = None
    q: str | None = None

    def as_args(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if self.tax_exempt is not None:
            values["tax_exempt"] = "1" if self.tax_exempt else "0"
        return {name: value for name, value in values.items() if value not in (None, "")}


_VOCABS = {
    "type": vocab.CONTRACT_TYPES,
    "field": vocab.FIELDS,
    "seller_kind": vocab.ORG_KINDS,
    "buyer_kind": vocab.ORG_KINDS,
}


def parse_drill(args: dict[str, Any]) -> DrillFilter:
    """A filter from query-string values; bad values are refused with field messages."""
    errors: dict[str, str] = {}

    def number(name: str, low: int, high: int) -> int | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
            return None
        return int(raw)

    year = number("year", 1985, 2200) or datetime.now(LOCAL_TZ).year
    codes: dict[str, str | None] = {}
    for name, vocabulary in _VOCABS.items():
        value = (args.get(name) or "").strip() or None
        if value is not None and value not in vocabulary and value != "-":
            errors[name] = _("Choose one of the listed values.")
        codes[name] = value
    regions: dict[str, str | None] = {}
    for name in ("region", "buyer_region"):
        value = (args.get(name) or "").strip() or None
        if value is not None and not (value.isdigit() and len(value) == 6):
            errors[name] = _("A region is a six-digit code.")
        regions[name] = value
    exempt = (args.get("tax_exempt") or "").strip()
    if exempt not in ("", "0", "1"):
        errors["tax_exempt"] = _("Choose yes or no.")
    q = (args.get("q") or "").strip()[:100] or None
    month = number("month", 1, 12)
    month_to = number("month_to", 1, 12)
    broker_id = number("broker_id", 1, 2**31 - 1)
    seller_org_id = number("seller_org_id", 1, 2**31 - 1)
    if errors:
        raise ValidationError(fields=errors)
    return DrillFilter(
        year=year,
        month=month,
        month_to=month_to,
        q=q,
        broker_id=broker_id,
        seller_org_id=seller_org_id,
        tax_exempt=None if exempt == "" else exempt == "1",
        **codes,
        **regions,
    )


def drill_query(flt: DrillFilter) -> sa.Select:
    """Registered contracts matching ``flt``, newest signature first (as the rollup counts
    them: by signing date, not void)."""
    first = flt.month or 1
    last = flt.month_to or flt.month or 12
    start = date(flt.year, first, 1)
    end = date(flt.year + 1, 1, 1) if last == 12 else date(flt.year, last + 1, 1)
    query = sa.select(Contract).where(
        Contract.status == COUNTED_STATUS, Contract.signed_on >= start, Contract.signed_on < end
    )
    for name in _VOCABS:
        value = getattr(flt, name)
        if value == "-":  # the "unclassified" row of a breakdown
            query = query.where(
                sa.or_(getattr(Contract, name).is_(None), getattr(Contract, name) == "")
            )
        elif value:
            query = query.where(getattr(Contract, name) == value)
    if flt.region:
        query = query.where(in_region(Contract.seller_region, flt.region))
    if flt.buyer_region:
        query = query.where(in_region(Contract.buyer_region, flt.buyer_region))
    if flt.broker_id:
        query = query.where(Contract.broker_id == flt.broker_id)
    if flt.seller_org_id:
        query = query.where(Contract.seller_org_id == flt.seller_org_id)
    if flt.tax_exempt is not None:
        query = query.where(Contract.tax_exempt.is_(flt.tax_exempt))
    if flt.q:
        pattern = f"%{flt.q}%"
        query = query.where(
            sa.or_(Contract.title.ilike(pattern), Contract.registration_no.ilike(pattern))
        )
    return query.options(
        selectinload(Contract.seller_org),
        selectinload(Contract.buyer_org),
        selectinload(Contract.broker),
    ).order_by(Contract.signed_on.desc(), Contract.id.desc())


@dataclass(frozen=True)
class DrillTotals:
    contracts: int
    contract_amount: Decimal
    tech_amount: Decimal


def drill_totals(flt: DrillFilter) -> DrillTotals:
    """The sums of the filtered contracts: the figure the user clicked, recomputed."""
    inner = drill_query(flt).order_by(None).options().subquery()
    contract = sa.orm.aliased(Contract, inner)
    tech = sa.func.coalesce(contract.verified_tech_amount, contract.tech_amount)
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(sa.type_coerce(contract.contract_amount, sa.BigInteger)),
            sa.func.sum(sa.type_coerce(tech, sa.BigInteger)),
        )
    ).one()
    return DrillTotals(int(row[0] or 0), _yuan(row[1]), _yuan(row[2]))


def _yuan(fen: int | None) -> Decimal:
    # Sums are taken over the stored integer fen and turned into yuan once.
    return from_fen(fen)


# -- VAT exemption ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExemptRow:
    month: int
    type: str
    contracts: int
    exempt_amount: Decimal


def tax_exempt_by_month(year: int, region: str | None = None) -> list[ExemptRow]:
    """Technical income exempt from VAT (the verified technology amount of contracts flagged
    at registration), by signing month and contract type."""
    month = sa.cast(sa.extract("month", Contract.signed_on), sa.Integer)
    amount = sa.type_coerce(counted_tech_amount(), sa.BigInteger)
    rows = db.session.execute(
        sa.select(month, Contract.type, sa.func.count(), sa.func.sum(amount))
        .where(
            Contract.status == COUNTED_STATUS,
            Contract.tax_exempt.is_(True),
            Contract.signed_on >= date(year, 1, 1),
            Contract.signed_on < date(year + 1, 1, 1),
            in_region(Contract.seller_region, region),
        )
        .group_by(month, Contract.type)
        .order_by(month, Contract.type)
    ).all()
    return [ExemptRow(int(row[0]), row[1], int(row[2]), _yuan(row[3])) for row in rows]
