"""Read side of deals: visibility, the broker's queue and board, KPIs and timelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_user
from marketplace.deals.models import Deal, DealEvent
from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import Demand, Listing

OPEN_STAGES = ("claimed", "contacting", "negotiating")
BOARD_STAGES = ("claimed", "contacting", "negotiating", "signed", "failed")


def is_party(user: User, deal: Deal) -> bool:
    return user.org_id in (deal.seller_org_id, deal.buyer_org_id)


def can_view(user: User, deal: Deal) -> bool:
    """Admins see all; brokers the queue and their own deals; parties their deal's timeline."""
    if user.role == "admin":
        return True
    if user.role == "broker" and (
        deal.broker_id == user.id or (deal.broker_id is None and deal.stage == "suggested")
    ):
        return True
    return is_party(user, deal)


def can_work(user: User, deal: Deal) -> bool:
    return user.role == "admin" or (user.role == "broker" and deal.broker_id == user.id)


def works_deals(user: User) -> bool:
    """Brokers and administrators work on deals (the broker workspace is theirs)."""
    return getattr(user, "role", None) in ("broker", "admin")


def can_claim(user: User, deal: Deal) -> bool:
    """A broker may claim a suggested deal nobody has claimed (services.claim_deal)."""
    return (
        getattr(user, "role", None) == "broker"
        and deal.broker_id is None
        and deal.stage == "suggested"
    )


def can_release(user: User, deal: Deal) -> bool:
    """The broker on an open deal, or an administrator, may give it back to the queue."""
    return can_work(user, deal) and deal.broker_id is not None and deal.stage in OPEN_STAGES


def can_assign(user: User, deal: Deal) -> bool:
    """An administrator may (re)assign a broker while the deal is not closed."""
    return getattr(user, "role", None) == "admin" and deal.stage in ("suggested", *OPEN_STAGES)


def can_record_contract(user: User, deal: Deal) -> bool:
    """The contract is recorded by whoever works the deal, once it is being negotiated."""
    return can_work(user, deal) and deal.stage in ("negotiating", "signed")


def get_deal_for(actor: User, deal_id: int) -> Deal:
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
        sa.select(Deal)
        .where(Deal.id == deal_id)
        .with_for_update(of=Deal)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if deal is None:
        raise NotFound()
    return deal


def timeline(deal: Deal) -> list[DealEvent]:
    """Every event of the deal: the brokerage's own record (see ``timeline_for``)."""
    return list(
        db.session.execute(
            sa.select(DealEvent)
            .where(DealEvent.deal_id == deal.id)
            .order_by(DealEvent.created_at, DealEvent.id)
        ).scalars()
    )


# The one rule for what a deal's parties see of it (web page and API alike). Brokers and
# administrators work the deal: they see everything. The parties (seller and buyer) see its
# milestones — stage changes, claim, release, reassignment, expressions of interest — with
# who and when; they do not see the broker's working record: notes and logged contacts, the
# text a broker or administrator writes on a milestone (it may quote the other party or the
# broker's negotiating position), or the matching score and reasons. Text a party wrote itself
# (an interest message, addressed to the other side) stays visible to both parties.
PARTY_EVENT_KINDS = ("stage", "claim", "release", "assign", "interest")


def sees_brokerage_record(user: User, deal: Deal) -> bool:
    """Whether ``user`` (who may view ``deal``) sees its notes, contacts and match reasons."""
    del deal  # the same for every deal a broker or administrator may open
    return bool(user.role in ("broker", "admin"))


@dataclass(frozen=True)
class TimelineEntry:
    """One timeline line as ``viewer`` may see it (a copy: the stored event is never edited)."""

    id: int
    kind: str
    from_stage: str | None
    to_stage: str | None
    note: str
    actor_id: int | None
    actor: User | None
    created_at: datetime


def timeline_for(viewer: User, deal: Deal) -> list[TimelineEntry]:
    """The deal's timeline filtered by the visibility rule above."""
    internal = sees_brokerage_record(viewer, deal)
    parties = {deal.seller_org_id, deal.buyer_org_id} - {None}
    entries = []
    for event in timeline(deal):
        if not internal and event.kind not in PARTY_EVENT_KINDS:
            continue
        written_by_party = (
            event.actor is not None
            and event.actor.role not in ("broker", "admin")
            and event.actor.org_id in parties
        )
        note = event.note if internal or written_by_party else ""
        entries.append(
            TimelineEntry(
                event.id,
                event.kind,
                event.from_stage,
                event.to_stage,
                note or "",
                event.actor_id,
                event.actor,
                event.created_at,
            )
        )
    return entries


def _region_condition(column: Any, region: str) -> Any:
    # A province code (ending 0000) selects every city in it.
    if region.endswith("0000"):
        return column.like(region[:2] + "%")
    return column == region


def filtered_deals(
    query: sa.Select,
    *,
    field: str | None = None,
    region: str | None = None,
    stage: str | None = None,
    source: str | None = None,
) -> sa.Select:
    if field:
        achievement = aliased(Listing)
        query = query.join(achievement, achievement.id == Deal.achievement_id).where(
            achievement.field == field
        )
    if region:
        seller, buyer = aliased(Organisation), aliased(Organisation)
        query = (
            query.join(seller, seller.id == Deal.seller_org_id)
            .outerjoin(buyer, buyer.id == Deal.buyer_org_id)
            .where(
                sa.or_(
                    _region_condition(seller.region, region),
                    _region_condition(buyer.region, region),
                )
            )
        )
    if stage:
        query = query.where(Deal.stage == stage)
    if source:
        query = query.where(Deal.source == source)
    return query


def visible_deals(actor: User, *, scope: str = "all", **filters: Any) -> sa.Select:
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
        query = query.where(
            sa.or_(Deal.seller_org_id == user.org_id, Deal.buyer_org_id == user.org_id)
        )
    query = filtered_deals(query, **filters)
    if scope == "queue":
        # Interests first (a buyer is waiting), then the strongest suggestions.
        return query.order_by(
            sa.case((Deal.source == "interest", 0), else_=1),
            Deal.score.desc().nulls_last(),
            Deal.id.desc(),
        )
    return query.order_by(Deal.updated_at.desc(), Deal.id.desc())


def board(actor: User, *, recent_closed: int = 10) -> dict[str, list[Deal]]:
    """The broker's deals by stage (admins: every broker's); closed stages show the latest few."""
    user = require_user(actor)
    columns: dict[str, list[Deal]] = {}
    for stage in BOARD_STAGES:
        query = sa.select(Deal).where(Deal.stage == stage)
        query = (
            query.where(Deal.broker_id == user.id)
            if user.role != "admin"
            else query.where(Deal.broker_id.is_not(None))
        )
        query = query.order_by(Deal.updated_at.desc(), Deal.id.desc())
        query = query.limit(recent_closed) if stage in ("signed", "failed") else query.limit(200)
        columns[stage] = list(db.session.execute(query).scalars())
    return columns


def interest_state(user: User, listing: Listing) -> dict[str, Any]:
    """What the express-interest button shows ``user`` on ``listing``'s page."""
    state: dict[str, Any] = {"show": False, "demands": [], "deal": None}
    if user is None or not getattr(user, "is_authenticated", False):
        return state
    if (
        user.role != "enterprise"
        or user.org_id == listing.org_id
        or listing.kind != "achievement"
        or listing.status != "published"
    ):
        return state
    state["show"] = True
    state["demands"] = list(
        db.session.execute(
            sa.select(Demand)
            .where(Demand.org_id == user.org_id, Demand.status == "published")
            .order_by(Demand.title)
        ).scalars()
    )
    deal = db.session.execute(
        sa.select(Deal)
        .where(Deal.achievement_id == listing.id, Deal.buyer_org_id == user.org_id)
        .order_by(Deal.id.desc())
        .limit(1)
    ).scalar()
    state["deal"] = deal
    state["interest_at"] = interest_expressed_at(deal) if deal is not None else None
    return state


def interest_expressed_at(deal: Deal) -> datetime | None:
    """When someone of the buyer organisation first expressed interest in ``deal``, or None.

    A deal may exist because the matcher suggested the pair or a broker opened it; only an
    event written by a member of the buyer organisation means the buyer asked for it.
    """
    return db.session.execute(
        sa.select(sa.func.min(DealEvent.created_at))
        .join(User, User.id == DealEvent.actor_id)
        .where(
            DealEvent.deal_id == deal.id,
            User.org_id == deal.buyer_org_id,
            DealEvent.kind.in_(("interest", "stage")),
        )
    ).scalar()
