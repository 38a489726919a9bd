"""Read side of lots: permission predicates, visibility, the public book of bids, bidders."""

from __future__ import annotations

from datetime import datetime
from typing import TypeGuard

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_user
from marketplace.auctions.models import AuctionSuspension, Bid, Lot, LotBidder, LotEvent
from marketplace.database import utcnow
from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db

PUBLIC_STATUSES = ("announced", "registration", "bidding", "sold", "unsold")
EDITABLE_STATUSES = ("draft", "pending", "announced", "registration")
OWNER_ROLES = ("researcher", "enterprise")
BUYER_ROLES = ("enterprise",)


def _signed_in(user: User | None) -> TypeGuard[User]:
    return bool(user is not None and getattr(user, "is_authenticated", False))


# -- predicates (also exposed to templates) ----------------------------------------------------


def is_owner(user: User | None, lot: Lot) -> bool:
    """A user of the organisation that owns the achievement on offer."""
    return _signed_in(user) and user.role in OWNER_ROLES and user.org_id == lot.org_id


def is_organiser(user: User | None, lot: Lot) -> bool:
    """Admins, and the broker the lot is entrusted to: they record deposits and approve bidders."""
    return is_admin(user) or (
        _signed_in(user) and user.role == "broker" and lot.broker_id == user.id
    )


def can_offer(user: User) -> bool:
    """Who may offer an achievement as a lot (services.create_lot)."""
    return getattr(user, "role", None) in (*OWNER_ROLES, "admin")


def can_view(user: User, lot: Lot) -> bool:
    if lot.status in PUBLIC_STATUSES:
        return True
    return is_owner(user, lot) or is_organiser(user, lot)


def can_edit(user: User | None, lot: Lot) -> bool:
    """Owner or admin, before bidding; a change to an announced lot restarts its announcement."""
    return (is_owner(user, lot) or is_admin(user)) and lot.status in EDITABLE_STATUSES


def can_submit(user: User | None, lot: Lot) -> bool:
    return (is_owner(user, lot) or is_admin(user)) and lot.status == "draft"


def can_review(user: User | None, lot: Lot) -> bool:
    return is_admin(user) and lot.status == "pending"


def can_withdraw(user: User | None, lot: Lot) -> bool:
    return (is_owner(user, lot) or is_admin(user)) and lot.status in EDITABLE_STATUSES


def can_see_reserve(user: User | None, lot: Lot) -> bool:
    """The reserve is secret to bidders: only the seller and the organiser know it."""
    return is_owner(user, lot) or is_organiser(user, lot)


def can_see_bidder_names(user: User | None, lot: Lot) -> bool:
    return is_organiser(user, lot)


def registration_open(lot: Lot, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if lot.status != "registration":
        return False
    if lot.mode == "listing":
        return lot.listing_ends_at is not None and now < lot.listing_ends_at
    return lot.bidding_starts_at is not None and now < lot.bidding_starts_at


def can_register(user: User | None, lot: Lot) -> bool:
    """An enterprise user of another organisation, while registration is open."""
    return (
        _signed_in(user)
        and user.role in BUYER_ROLES
        and user.org_id != lot.org_id
        and registration_open(lot)
    )


def can_approve_bidders(user: User | None, lot: Lot) -> bool:
    return is_organiser(user, lot) and lot.status in ("announced", "registration")


def bidding_open(lot: Lot, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        lot.status in ("registration", "bidding")
        and lot.bidding_starts_at is not None
        and lot.closes_at is not None
        and lot.bidding_starts_at <= now < lot.closes_at
    )


def can_bid(user: User, lot: Lot, bidder: LotBidder | None) -> bool:
    return (
        _signed_in(user)
        and user.role in BUYER_ROLES
        and bidder is not None
        and bidder.status == "approved"
        and bidding_open(lot)
    )


def can_mark_default(user: User | None, lot: Lot) -> bool:
    return is_organiser(user, lot) and lot.status == "sold" and lot.defaulted_at is None


def can_see_confirmation(user: User, lot: Lot, bidder: LotBidder | None) -> bool:
    """The 成交确认书: the winner, the seller and the organiser."""
    if lot.status != "sold":
        return False
    winner = bidder is not None and bidder.id == lot.winner_id
    return winner or is_owner(user, lot) or is_organiser(user, lot)


def can_see_history(user: User | None, lot: Lot) -> bool:
    return is_owner(user, lot) or is_organiser(user, lot)


# -- loading -----------------------------------------------------------------------------------


def get_lot_for(actor: User, lot_id: int) -> Lot:
    """The lot if ``actor`` (possibly anonymous) may see it."""
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound()
    if not can_view(actor, lot):
        if not _signed_in(actor):
            require_user(actor)
        raise PermissionDenied()
    return lot


def lot_for_update(lot_id: int) -> Lot:
    """The lot, row-locked until commit (PostgreSQL ``FOR UPDATE``; SQLite holds the write lock
    from the request's ``BEGIN IMMEDIATE``), so bids and transitions on it run one at a time."""
    lot = db.session.execute(
        sa.select(Lot)
        .where(Lot.id == lot_id)
        .with_for_update(of=Lot)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if lot is None:
        raise NotFound()
    return lot


def bidder_for(user: User | None, lot: Lot) -> LotBidder | None:
    """The caller's organisation's registration for ``lot``, if any."""
    if not _signed_in(user):
        return None
    return db.session.execute(
        sa.select(LotBidder).where(LotBidder.lot_id == lot.id, LotBidder.org_id == user.org_id)
    ).scalar_one_or_none()


def suspended(org_id: int, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        db.session.execute(
            sa.select(AuctionSuspension.id)
            .where(AuctionSuspension.org_id == org_id, AuctionSuspension.until > now)
            .limit(1)
        ).first()
        is not None
    )


def visible_lots(
    actor: User,
    *,
    status: str | None = None,
    mode: str | None = None,
    session_id: int | None = None,
    mine: bool = False,
) -> sa.Select:
    """Lots ``actor`` may see: public ones, plus their own and (admins) every lot."""
    query = sa.select(Lot)
    if is_admin(actor):
        pass
    elif _signed_in(actor):
        own: list[sa.ColumnElement[bool]] = [Lot.status.in_(PUBLIC_STATUSES)]
        if actor.role in OWNER_ROLES:
            own.append(Lot.org_id == actor.org_id)
        if actor.role == "broker":
            own.append(Lot.broker_id == actor.id)
        query = query.where(sa.or_(*own))
    else:
        query = query.where(Lot.status.in_(PUBLIC_STATUSES))
    if mine and _signed_in(actor):
        if actor.role == "broker":
            query = query.where(Lot.broker_id == actor.id)
        else:
            registered = sa.select(LotBidder.lot_id).where(LotBidder.org_id == actor.org_id)
            query = query.where(sa.or_(Lot.org_id == actor.org_id, Lot.id.in_(registered)))
    if status:
        query = query.where(Lot.status == status)
    if mode:
        query = query.where(Lot.mode == mode)
    if session_id:
        query = query.where(Lot.session_id == session_id)
    return query.order_by(Lot.updated_at.desc(), Lot.id.desc())


def bids_for(lot: Lot, limit: int | None = None) -> list[Bid]:
    """The book, newest first: amount, time and bidder number (never a name)."""
    query = sa.select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.amount.desc())
    if limit:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def bidders_for(lot: Lot) -> list[LotBidder]:
    return list(
        db.session.execute(
            sa.select(LotBidder).where(LotBidder.lot_id == lot.id).order_by(LotBidder.id)
        ).scalars()
    )


def approved_count(lot: Lot) -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(LotBidder)
        .where(LotBidder.lot_id == lot.id, LotBidder.status == "approved")
    ).scalar_one()


def history_for(lot: Lot) -> list[LotEvent]:
    return list(
        db.session.execute(
            sa.select(LotEvent).where(LotEvent.lot_id == lot.id).order_by(LotEvent.id)
        ).scalars()
    )


def due_lot_ids(now: datetime | None = None) -> list[int]:
    """Lots whose next timed step (registration, bidding, close, 挂牌 end) is due."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Lot.id)
        .where(
            sa.or_(
                sa.and_(Lot.status == "announced", Lot.registration_opens_at <= now),
                sa.and_(Lot.status == "registration", Lot.bidding_starts_at <= now),
                sa.and_(
                    Lot.status == "registration",
                    Lot.mode == "listing",
                    Lot.bidding_starts_at.is_(None),
                    Lot.listing_ends_at <= now,
                ),
                sa.and_(Lot.status == "bidding", Lot.closes_at <= now),
            )
        )
        .order_by(Lot.id)
    ).scalars()
    return list(rows)
