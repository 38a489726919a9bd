"""A broker's yearly figures, from deals and contracts together (so neither package needs the
other's tables: contracts build on deals, and this read side on both)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace.contracts.models import Contract
from marketplace.deals.models import Deal, DealEvent
from marketplace.deals.queries import OPEN_STAGES
from marketplace.extensions import db
from marketplace.workdays import LOCAL_TZ


@dataclass(frozen=True)
class BrokerKpis:
    year: int
    open_deals: int
    contracts_signed: int
    tech_amount: Decimal
    median_days_to_sign: float | None


def _local_year(moment: datetime | None = None) -> int:
    return (moment or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ).year


def broker_kpis(broker_id: int | None, year: int | None = None) -> BrokerKpis:
    """Open deals, contracts signed this year, 技术交易额 brokered (registered contracts) and the
    median days from claim to signature. ``broker_id`` None: across all brokers."""
    year = year or _local_year()
    start, end = date(year, 1, 1), date(year, 12, 31)

    def mine(column: Any) -> Any:
        return column == broker_id if broker_id is not None else column.is_not(None)

    open_deals = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Deal)
        .where(mine(Deal.broker_id), Deal.stage.in_(OPEN_STAGES))
    ).scalar_one()
    signed = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Contract)
        .where(
            mine(Contract.broker_id),
            Contract.signed_on.between(start, end),
            Contract.status.in_(("draft", "submitted", "registered")),
        )
    ).scalar_one()
    # SUM over a Money column keeps the Money type, so it already comes back in yuan.
    tech_amount = db.session.execute(
        sa.select(sa.func.sum(Contract.tech_amount)).where(
            mine(Contract.broker_id),
            Contract.status == "registered",
            Contract.signed_on.between(start, end),
        )
    ).scalar_one() or Decimal("0.00")

    claimed_at = (
        sa.select(sa.func.min(DealEvent.created_at))
        .where(DealEvent.deal_id == Deal.id, DealEvent.kind.in_(("claim", "assign")))
        .correlate(Deal)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Deal.signed_at, claimed_at.label("claimed_at"), Deal.created_at).where(
            mine(Deal.broker_id), Deal.stage == "signed", Deal.signed_at.is_not(None)
        )
    ).all()
    days = []
    for signed_at, claimed, created in rows:
        if _local_year(signed_at) != year:
            continue
        begin = claimed or created
        if isinstance(begin, str):  # a raw SQLite timestamp from the subquery
            begin = datetime.fromisoformat(begin)
        if begin.tzinfo is None:
            begin = begin.replace(tzinfo=ZoneInfo("UTC"))
        if signed_at is not None:
            days.append(max((signed_at - begin).total_seconds() / 86400, 0.0))
    median = round(statistics.median(days), 1) if days else None
    return BrokerKpis(year, open_deals, signed, tech_amount, median)
