"""Read side of deals: visibility, the broker's queue and board, KPIs and timelines."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from marketplace.accounts.models import Organisation
from marketplace.accounts.permissions import require_user
from marketplace.contracts.models import Contract
from marketplace.deals.models import Deal, DealEvent
from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import Listing

OPEN_STAGES = ("claimed", "contacting", "negotiating")
BOARD_STAGES = ("claimed", "contacting", "negotiating", "signed", "failed")
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def is_party(user: Any, deal: Deal) -> bool:
    return user.org_id in (deal.seller_org_id, deal.buyer_org_id)


def can_view(user: Any, deal: Deal) -> bool:
    """Admins see all; brokers the queue and their own deals; parties their deal's timeline."""
    if user.role == "admin":
        return True
    if user.role == "broker" and (deal.broker_id == user.id
                                  or (deal.broker_id is None and deal.stage == "suggested")):
        return True
    return is_party(user, deal)


def can_work(user: Any, deal: Deal) -> bool:
    return user.role == "admin" or (user.role == "broker" and deal.broker_id == user.id)


def get_deal_for(actor: Any, deal_id: int) -> Deal:
    user = require_user(actor)
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        raise NotFound()
    if not can_view(user, deal):
        raise PermissionDenied()
    return deal


def deal_for_update(deal_id: int) -> Deal:
    """The deal row, locked on PostgreSQL so two brokers cannot claim it at once."""
    deal = db.session.execute(
        sa.select(Deal).where(Deal.id == deal_id).with_for_update(of=Deal)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if deal is None:
        raise NotFound()
    return deal


def timeline(deal: Deal) -> list[DealEvent]:
    return list(db.session.execute(
        sa.select(DealEvent).where(DealEvent.deal_id == deal.id)
        .order_by(DealEvent.created_at, DealEvent.id)).scalars())


def _region_condition(column: Any, region: str) -> Any:
    # A province code (ending 0000) selects every city in it.
    if region.endswith("0000"):
        return column.like(region[:2] + "%")
    return column == region


def filtered_deals(query: sa.Select, *, field: str | None = None, region: str | None = None,
                   stage: str | None = None, source: str | None = None) -> sa.Select:
    if field:
        achievement = aliased(Listing)
        query = query.join(achievement, achievement.id == Deal.achievement_id).where(
            achievement.field == field)
    if region:
        seller, buyer = aliased(Organisation), aliased(Organisation)
        query = (query.join(seller, seller.id == Deal.seller_org_id)
                 .outerjoin(buyer, buyer.id == Deal.buyer_org_id)
                 .where(sa.or_(_region_condition(seller.region, region),
                               _region_condition(buyer.region, region))))
    if stage:
        query = query.where(Deal.stage == stage)
    if source:
        query = query.where(Deal.source == source)
    return query


def visible_deals(actor: Any, *, scope: str = "all", **filters: Any) -> sa.Select:
    """Deals ``actor`` may see. ``scope``: ``queue`` (unclaimed suggestions and interests),
    ``mine`` (deals the broker is on), ``all`` (both, or everything for an admin)."""
    user = require_user(actor)
    query = sa.select(Deal)
    queue = sa.and_(Deal.broker_id.is_(None), Deal.stage == "suggested")
    if scope == "queue":
        query = query.where(queue)
    elif scope == "mine":
        query = query.where(Deal.broker_id == user.id)
    if user.role == "broker":
        query = query.where(sa.or_(Deal.broker_id == user.id, queue))
    elif user.role != "admin":
        query = query.where(sa.or_(Deal.seller_org_id == user.org_id,
                                   Deal.buyer_org_id == user.org_id))
    query = filtered_deals(query, **filters)
    if scope == "queue":
        # Interests first (a buyer is waiting), then the strongest suggestions.
        return query.order_by(sa.case((Deal.source == "interest", 0), else_=1),
                              Deal.score.desc().nulls_last(), Deal.id.desc())
    return query.order_by(Deal.updated_at.desc(), Deal.id.desc())


def board(actor: Any, *, recent_closed: int = 10) -> dict[str, list[Deal]]:
    """The broker's deals by stage (admins: every broker's); closed stages show the latest few."""
    user = require_user(actor)
    columns: dict[str, list[Deal]] = {}
    for stage in BOARD_STAGES:
        query = sa.select(Deal).where(Deal.stage == stage)
        query = query.where(Deal.broker_id == user.id) if user.role != "admin" else \
            query.where(Deal.broker_id.is_not(None))
        query = query.order_by(Deal.updated_at.desc(), Deal.id.desc())
        query = query.limit(recent_closed) if stage in ("signed", "failed") else query.limit(200)
        columns[stage] = list(db.session.execute(query).scalars())
    return columns


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
        sa.select(sa.func.count()).select_from(Deal)
        .where(mine(Deal.broker_id), Deal.stage.in_(OPEN_STAGES))).scalar_one()
    signed = db.session.execute(
        sa.select(sa.func.count()).select_from(Contract)
        .where(mine(Contract.broker_id), Contract.signed_on.between(start, end),
               Contract.status.in_(("draft", "submitted", "registered")))).scalar_one()
    tech_total = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Contract.tech_amount), 0))
        .where(mine(Contract.broker_id), Contract.status == "registered",
               Contract.signed_on.between(start, end))).scalar_one()
    # Money is stored as integer fen; a SUM comes back raw, so convert here.
    tech_amount = (Decimal(int(tech_total)) / 100).quantize(Decimal("0.01"))

    claimed_at = (sa.select(sa.func.min(DealEvent.created_at))
                  .where(DealEvent.deal_id == Deal.id, DealEvent.kind.in_(("claim", "assign")))
                  .correlate(Deal).scalar_subquery())
    rows = db.session.execute(
        sa.select(Deal.signed_at, claimed_at.label("claimed_at"), Deal.created_at)
        .where(mine(Deal.broker_id), Deal.stage == "signed", Deal.signed_at.is_not(None))
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


def interest_state(user: Any, listing: Listing) -> dict[str, Any]:
    """What the express-interest button shows ``user`` on ``listing``'s page."""
    from marketplace.listings.models import Demand

    state: dict[str, Any] = {"show": False, "demands": [], "deal": None}
    if user is None or not getattr(user, "is_authenticated", False):
        return state
    if user.role != "enterprise" or user.org_id == listing.org_id or \
            listing.kind != "achievement" or listing.status != "published":
        return state
    state["show"] = True
    state["demands"] = list(db.session.execute(
        sa.select(Demand).where(Demand.org_id == user.org_id, Demand.status == "published")
        .order_by(Demand.title)).scalars())
    state["deal"] = db.session.execute(
        sa.select(Deal).where(Deal.achievement_id == listing.id,
                              Deal.buyer_org_id == user.org_id)
        .order_by(Deal.id.desc()).limit(1)).scalar()
    return state
