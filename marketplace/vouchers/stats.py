"""Voucher figures (SPEC §6.2 KPIs): issued, used and redeemed (创新券使用额) by month, region,
service type and provider; usage rate, days to redemption, leverage — and their reconciliation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_role
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.instruments.queries import money_sum
from marketplace.vocab import region_name
from marketplace.vouchers.models import Voucher, VoucherScheme
from marketplace.vouchers.schemes import local_today
from marketplace.vouchers.vocab import COMMITTED_STATUSES, SERVICE_TYPES, USED_STATUSES
from marketplace.workdays import LOCAL_TZ

ZERO = Decimal("0.00")


@dataclass
class Measures:
    issued: Decimal = ZERO
    issued_count: int = 0
    used: Decimal = ZERO
    used_count: int = 0
    redeemed: Decimal = ZERO
    redeemed_count: int = 0


@dataclass
class Line:
    code: str
    label: str
    measures: Measures = field(default_factory=Measures)


@dataclass
class VoucherStats:
    year: int
    totals: Measures
    by_month: list[Line]
    by_region: list[Line]
    by_service: list[Line]
    by_provider: list[Line]
    usage_rate: Decimal | None  # redeemed ÷ issued
    days_to_redemption: Decimal | None  # mean days from approval to redemption
    leverage: Decimal | None  # cost of the services redeemed ÷ voucher amount redeemed
    service_value: Decimal
    budget: Decimal
    committed: Decimal


def _month(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(LOCAL_TZ).strftime("%Y-%m")


def _ratio(numerator: Decimal, denominator: Decimal, places: str = "0.0001") -> Decimal | None:
    if not denominator:
        return None
    return (numerator / denominator).quantize(Decimal(places))


def _add(lines: dict[str, Line], code: str, label: str, measure: str, amount: Decimal) -> None:
    line = lines.setdefault(code, Line(code, label))
    setattr(line.measures, measure, getattr(line.measures, measure) + amount)
    count = f"{measure}_count"
    setattr(line.measures, count, getattr(line.measures, count) + 1)


def voucher_stats(year: int) -> VoucherStats:
    """Figures over the vouchers of the schemes of ``year``. Each measure is dated by its own
    event: issued by approval, used by the order with a provider, redeemed by redemption."""
    orgs = sa.orm.aliased(Organisation)
    providers = sa.orm.aliased(Organisation)
    rows = db.session.execute(
        sa.select(Voucher, orgs.region, providers.name)
        .join(VoucherScheme, VoucherScheme.id == Voucher.scheme_id)
        .join(orgs, orgs.id == Voucher.org_id)
        .outerjoin(providers, providers.id == Voucher.provider_org_id)
        .where(VoucherScheme.year == year, Voucher.approved_at.is_not(None))
        .order_by(Voucher.id)
    ).all()
    totals = Measures()
    months: dict[str, Line] = {}
    regions: dict[str, Line] = {}
    services: dict[str, Line] = {}
    provider_lines: dict[str, Line] = {}
    days: list[Decimal] = []
    service_value = ZERO
    for voucher, region, provider_name in rows:
        region_code = region or ""
        region_label = region_name(region) if region else "—"
        measures: list[tuple[str, Decimal, datetime | None]] = [
            ("issued", voucher.approved_amount or ZERO, voucher.approved_at)
        ]
        if voucher.status in USED_STATUSES and voucher.order_amount is not None:
            measures.append(("used", voucher.order_amount, voucher.ordered_at))
        if voucher.status == "redeemed" and voucher.redeemed_amount is not None:
            measures.append(("redeemed", voucher.redeemed_amount, voucher.redeemed_at))
            service_value += voucher.actual_cost or ZERO
            if voucher.redeemed_at and voucher.approved_at:
                seconds = (voucher.redeemed_at - voucher.approved_at).total_seconds()
                days.append(Decimal(seconds) / 86400)
        for measure, amount, moment in measures:
            setattr(totals, measure, getattr(totals, measure) + amount)
            setattr(totals, f"{measure}_count", getattr(totals, f"{measure}_count") + 1)
            month = _month(moment) or "—"
            _add(months, month, month, measure, amount)
            _add(regions, region_code, region_label, measure, amount)
            _add(
                services,
                voucher.service_type,
                SERVICE_TYPES.label(voucher.service_type),
                measure,
                amount,
            )
            if measure != "issued" and voucher.provider_org_id is not None:
                _add(
                    provider_lines,
                    str(voucher.provider_org_id),
                    provider_name or "",
                    measure,
                    amount,
                )
    budget, committed = db.session.execute(
        sa.select(money_sum(VoucherScheme.budget), money_sum(VoucherScheme.committed)).where(
            VoucherScheme.year == year
        )
    ).one()
    mean_days = (sum(days, Decimal(0)) / len(days)).quantize(Decimal("0.1")) if days else None
    return VoucherStats(
        year=year,
        totals=totals,
        by_month=[months[key] for key in sorted(months)],
        by_region=sorted(regions.values(), key=lambda line: (-line.measures.issued, line.code)),
        by_service=[services[code] for code in SERVICE_TYPES.codes if code in services],
        by_provider=sorted(
            provider_lines.values(),
            key=lambda line: (-line.measures.redeemed, -line.measures.used, line.label),
        ),
        usage_rate=_ratio(totals.redeemed, totals.issued),
        days_to_redemption=mean_days,
        leverage=_ratio(service_value, totals.redeemed, "0.01"),
        service_value=service_value,
        budget=budget,
        committed=committed,
    )


def parse_year(value: Any) -> int:
    if value in (None, ""):
        return local_today().year
    try:
        year = int(str(value))
    except ValueError:
        year = 0
    if not 2000 <= year <= 2200:
        raise ValidationError(
            fields={"year": _("Enter a year between %(a)d and %(b)d.", a=2000, b=2200)}
        )
    return year


def get_voucher_stats(actor: User, year: Any) -> VoucherStats:
    """The figures for admins (SPEC: ``GET /api/v1/stats/vouchers`` is admin only)."""
    require_role(actor, "admin")
    return voucher_stats(parse_year(year))


# -- reconciliation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    what: str
    expected: Any
    found: Any

    def describe(self) -> str:
        return f"vouchers: {self.what}: expected {self.expected}, found {self.found}"


def check_vouchers() -> list[Difference]:
    """Compare each scheme's running totals with its vouchers, the budget rule, and each
    year's statistics (totals and every breakdown) with direct sums over the vouchers."""
    differences: list[Difference] = []
    committed: dict[int, Decimal] = {
        scheme_id: amount
        for scheme_id, amount in db.session.execute(
            sa.select(Voucher.scheme_id, money_sum(Voucher.approved_amount))
            .where(Voucher.status.in_(COMMITTED_STATUSES))
            .group_by(Voucher.scheme_id)
        )
    }
    redeemed: dict[int, Decimal] = {
        scheme_id: amount
        for scheme_id, amount in db.session.execute(
            sa.select(Voucher.scheme_id, money_sum(Voucher.redeemed_amount))
            .where(Voucher.status == "redeemed")
            .group_by(Voucher.scheme_id)
        )
    }
    years: set[int] = set()
    for scheme in db.session.execute(sa.select(VoucherScheme).order_by(VoucherScheme.id)).scalars():
        years.add(scheme.year)
        if scheme.committed != committed.get(scheme.id, ZERO):
            differences.append(
                Difference(
                    f"scheme {scheme.id} committed",
                    committed.get(scheme.id, ZERO),
                    scheme.committed,
                )
            )
        if scheme.redeemed != redeemed.get(scheme.id, ZERO):
            differences.append(
                Difference(
                    f"scheme {scheme.id} redeemed", redeemed.get(scheme.id, ZERO), scheme.redeemed
                )
            )
        if scheme.committed + scheme.redeemed > scheme.budget:
            differences.append(
                Difference(
                    f"scheme {scheme.id} within budget",
                    scheme.budget,
                    scheme.committed + scheme.redeemed,
                )
            )
    for year in sorted(years):
        differences.extend(_check_year(year))
    return differences


def _check_year(year: int) -> list[Difference]:
    stats = voucher_stats(year)
    scope = (
        sa.select(Voucher)
        .join(VoucherScheme, VoucherScheme.id == Voucher.scheme_id)
        .where(VoucherScheme.year == year)
        .subquery()
    )
    issued, used, redeemed = db.session.execute(
        sa.select(
            money_sum(sa.case((scope.c.approved_at.is_not(None), scope.c.approved_amount))),
            money_sum(sa.case((scope.c.status.in_(USED_STATUSES), scope.c.order_amount))),
            money_sum(sa.case((scope.c.status == "redeemed", scope.c.redeemed_amount))),
        )
    ).one()
    differences: list[Difference] = []
    for name, direct in (("issued", issued), ("used", used), ("redeemed", redeemed)):
        shown = getattr(stats.totals, name)
        if shown != direct:
            differences.append(Difference(f"{year} {name} total", direct, shown))
        for breakdown in ("by_month", "by_region", "by_service"):
            summed = sum((getattr(line.measures, name) for line in getattr(stats, breakdown)), ZERO)
            if summed != direct:
                differences.append(Difference(f"{year} {name} {breakdown}", direct, summed))
    return differences
