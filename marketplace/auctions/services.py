"""Lot use cases: create, edit (restarts the announcement), submit, review, withdraw, sessions."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import is_admin, require_role, require_user
from marketplace.auctions import queries
from marketplace.auctions.calendar import listing_period_end
from marketplace.auctions.models import Lot, LotEvent, LotSession
from marketplace.auctions.vocab import LOT_MODES, LOT_RIGHTS, LOT_STATUSES, SESSION_KINDS
from marketplace.database import utcnow
from marketplace.errors import InvalidTransition, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.listings.models import Achievement
from marketplace.money import MoneyError, money_str, parse_money
from marketplace.notifications.messages import register_coded_params
from marketplace.notifications.services import notify

register_coded_params("lot_status", status=LOT_STATUSES)

# SPEC §6.1: an auction is announced at least 7 days before bidding and the lot is on display
# (registration open) at least 2 days; 挂牌 runs at least 20 working days.
AUCTION_ANNOUNCEMENT = timedelta(days=7)
AUCTION_DISPLAY = timedelta(days=2)
LISTING_WORKING_DAYS = 20
# 挂牌 with two or more qualified buyers: online bidding between them the next day, for an hour.
LISTING_BIDDING_DELAY = timedelta(days=1)
LISTING_BIDDING_LENGTH = timedelta(hours=1)
MAX_TEXT = 4000


@dataclass(frozen=True)
class LotData:
    """What an owner enters for a lot; amounts already parsed to ``Decimal``."""

    achievement_id: int | None = None
    mode: str = "auction"
    rights: str = "transfer"
    start_price: Decimal | None = None
    reserve_price: Decimal | None = None
    increment: Decimal | None = None
    deposit: Decimal | None = None
    qualifications: str = ""
    extension_minutes: int = 5
    registration_opens_at: datetime | None = None
    bidding_starts_at: datetime | None = None
    bidding_ends_at: datetime | None = None
    session_id: int | None = None
    broker_id: int | None = None


def lot_data(lot: Lot) -> LotData:
    """The current values of ``lot`` as input, the base an API PATCH is merged onto."""
    return LotData(
        achievement_id=lot.achievement_id,
        mode=lot.mode,
        rights=lot.rights,
        start_price=lot.start_price,
        reserve_price=lot.reserve_price,
        increment=lot.increment,
        deposit=lot.deposit,
        qualifications=lot.qualifications,
        extension_minutes=lot.extension_minutes,
        registration_opens_at=lot.registration_opens_at,
        bidding_starts_at=lot.bidding_starts_at,
        bidding_ends_at=lot.bidding_ends_at,
        session_id=lot.session_id,
        broker_id=lot.broker_id,
    )


# -- validation --------------------------------------------------------------------------------


def _amount(
    value: Decimal | None,
    name: str,
    errors: dict[str, str],
    *,
    required: bool = True,
    allow_zero: bool = False,
) -> Decimal | None:
    if value is None:
        if required:
            errors[name] = _("Enter an amount in yuan.")
        return None
    try:
        return parse_money(value, allow_zero=allow_zero)
    except MoneyError as error:
        errors[name] = str(error)
        return None


def _check_timeline(data: LotData, errors: dict[str, str], now: datetime) -> None:
    """Auction times: bidding ≥ 7 days after the announcement, registration ≥ 2 days before."""
    if data.mode != "auction":
        return
    opens, starts, ends = data.registration_opens_at, data.bidding_starts_at, data.bidding_ends_at
    for name, value in (
        ("registration_opens_at", opens),
        ("bidding_starts_at", starts),
        ("bidding_ends_at", ends),
    ):
        if value is None:
            errors[name] = _("Enter the date and time.")
    if opens is None or starts is None or ends is None:
        return
    if starts < now + AUCTION_ANNOUNCEMENT:
        errors["bidding_starts_at"] = _(
            "Bidding may start no earlier than 7 days after the announcement."
        )
    if starts - opens < AUCTION_DISPLAY:
        errors["registration_opens_at"] = _(
            "Registration must open at least 2 days before bidding starts."
        )
    if ends <= starts:
        errors["bidding_ends_at"] = _("Bidding must end after it starts.")
    elif ends - starts > timedelta(days=30):
        errors["bidding_ends_at"] = _("Bidding may last at most 30 days.")


_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


def _names_a_buyer(text: str, seller_org_id: int | None) -> bool:
    """Qualifications that name another organisation on the platform, or carry a unified
    social credit code, single out a buyer (SPEC §6.1 forbids it)."""
    if not text:
        return False
    if _CREDIT_CODE.search(text.upper()):
        return True
    named = db.session.execute(
        sa.select(Organisation.id)
        .where(
            sa.func.length(Organisation.name) >= 4,
            sa.literal(text).contains(Organisation.name),
            Organisation.id != (seller_org_id or 0),
        )
        .limit(1)
    ).first()
    return named is not None


def _clean(data: LotData, user: User, lot: Lot | None) -> tuple[LotData, Achievement]:
    """Validate ``data`` whole; every rule the web form and the API share lives here."""
    errors: dict[str, str] = {}
    now = utcnow()
    achievement = db.session.get(Achievement, data.achievement_id) if data.achievement_id else None
    if (
        achievement is None
        or achievement.status != "published"
        or (user.role != "admin" and achievement.org_id != user.org_id)
    ):
        errors["achievement_id"] = _("Choose one of your published achievements.")
    if data.mode not in LOT_MODES:
        errors["mode"] = _("Choose listed transfer or online auction.")
    if data.rights not in LOT_RIGHTS:
        errors["rights"] = _("Choose the rights on offer.")
    start = _amount(data.start_price, "start_price", errors)
    increment = _amount(data.increment, "increment", errors)
    deposit = _amount(data.deposit, "deposit", errors, allow_zero=True)
    reserve = _amount(data.reserve_price, "reserve_price", errors, required=False)
    if start is not None and reserve is not None and reserve < start:
        errors["reserve_price"] = _("The reserve price cannot be below the start price.")
    if start is not None and increment is not None and increment > start:
        errors["increment"] = _("The increment cannot exceed the start price.")
    qualifications = (data.qualifications or "").strip()
    if len(qualifications) > MAX_TEXT:
        errors["qualifications"] = _("Use at most %(n)d characters.", n=MAX_TEXT)
    elif _names_a_buyer(qualifications, achievement.org_id if achievement else None):
        errors["qualifications"] = _(
            "Qualifications may not point at a single buyer: describe the kind of buyer, "
            "not an organisation."
        )
    if not isinstance(data.extension_minutes, int) or not 1 <= data.extension_minutes <= 60:
        errors["extension_minutes"] = _("Between 1 and 60 minutes.")
    session = None
    if data.session_id is not None:
        session = db.session.get(LotSession, data.session_id)
        if session is None:
            errors["session_id"] = _("There is no such session.")
        elif data.mode != "auction":
            errors["session_id"] = _("Only auctions are held in sessions.")
    if session is not None:
        # A session has one schedule: its lots take its times.
        data = dataclasses.replace(
            data,
            registration_opens_at=session.registration_opens_at,
            bidding_starts_at=session.bidding_starts_at,
            bidding_ends_at=session.bidding_ends_at,
        )
    if data.mode == "listing":
        data = dataclasses.replace(
            data, registration_opens_at=None, bidding_starts_at=None, bidding_ends_at=None
        )
    _check_timeline(data, errors, now)
    broker_id = data.broker_id
    if broker_id is not None:
        broker = db.session.get(User, broker_id)
        if broker is None or broker.role != "broker" or not broker.active:
            errors["broker_id"] = _("Choose a technology broker.")
    if errors:
        raise ValidationError(fields=errors)
    assert achievement is not None
    return dataclasses.replace(
        data,
        start_price=start,
        increment=increment,
        deposit=deposit,
        reserve_price=reserve,
        qualifications=qualifications,
    ), achievement


def _apply(lot: Lot, data: LotData, achievement: Achievement) -> None:
    lot.achievement_id = achievement.id
    lot.org_id = achievement.org_id
    lot.title = achievement.title
    lot.mode, lot.rights = data.mode, data.rights
    lot.start_price = data.start_price  # type: ignore[assignment]
    lot.reserve_price = data.reserve_price
    lot.increment = data.increment  # type: ignore[assignment]
    lot.deposit = data.deposit  # type: ignore[assignment]
    lot.qualifications = data.qualifications
    lot.extension_minutes = data.extension_minutes
    lot.registration_opens_at = data.registration_opens_at
    lot.bidding_starts_at = data.bidding_starts_at
    lot.bidding_ends_at = data.bidding_ends_at
    lot.closes_at = data.bidding_ends_at
    lot.session_id = data.session_id
    lot.broker_id = data.broker_id


# -- audit and notifications -------------------------------------------------------------------


def record(
    lot: Lot,
    actor: User | None,
    action: str,
    *,
    to: str | None = None,
    note: str = "",
    data: Any = None,
) -> None:
    """Append to the lot's audit trail; ``to`` moves the status and records before/after."""
    before = lot.status
    if to is not None:
        lot.status = to
    db.session.add(
        LotEvent(
            lot_id=lot.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=before if to else None,
            to_status=to,
            note=note,
            data=data,
        )
    )


def notify_lot(
    lot: Lot,
    kind: str = "lot_status",
    *,
    org_ids: list[int] | None = None,
    admins: bool = False,
    organiser: bool = True,
    **params: Any,
) -> None:
    """Tell the seller (or ``org_ids``), the lot's broker and optionally the admins."""
    notify(
        kind=kind,
        params={"title": lot.title, "status": lot.status, **params},
        org_ids=[lot.org_id] if org_ids is None else org_ids,
        user_ids=[lot.broker_id] if lot.broker_id and organiser else [],
        roles=["admin"] if admins else None,
        link=f"/lots/{lot.id}",
    )


def _snapshot(lot: Lot) -> dict[str, Any]:
    values = dataclasses.asdict(lot_data(lot))
    return {
        key: money_str(value)
        if isinstance(value, Decimal)
        else value.isoformat()
        if isinstance(value, datetime)
        else value
        for key, value in values.items()
    }


# -- use cases ---------------------------------------------------------------------------------


def create_lot(actor: User, data: LotData) -> Lot:
    """A draft lot for one of the caller's published achievements (or any, for an admin)."""
    user = require_role(actor, *queries.OWNER_ROLES, "admin")
    cleaned, achievement = _clean(data, user, None)
    lot = Lot(status="draft", created_by_id=user.id)
    _apply(lot, cleaned, achievement)
    db.session.add(lot)
    db.session.flush()
    record(lot, user, "create", to="draft", data=_snapshot(lot))
    db.session.commit()
    return lot


def update_lot(actor: User, lot_id: int, data: LotData) -> Lot:
    """Change a lot before bidding. A change to an announced lot restarts its announcement:
    it goes back to review, and its periods count again from the new approval."""
    user = require_user(actor)
    lot = queries.lot_for_update(lot_id)
    if not (queries.is_owner(user, lot) or is_admin(user)):
        raise PermissionDenied()
    if not queries.can_edit(user, lot):
        raise InvalidTransition(_("This lot can no longer be changed."))
    cleaned, achievement = _clean(data, user, lot)
    before = _snapshot(lot)
    _apply(lot, cleaned, achievement)
    after = _snapshot(lot)
    changed = {key: [before[key], after[key]] for key in after if before.get(key) != after[key]}
    if not changed:
        db.session.rollback()
        return lot
    if lot.status in ("announced", "registration"):
        lot.announced_at = None
        lot.listing_ends_at = None
        record(
            lot,
            user,
            "restart",
            to="pending",
            data=changed,
            note=_("Changed after the announcement: the announcement restarts after review."),
        )
        notify_lot(lot, org_ids=[lot.org_id, *_bidder_orgs(lot)], admins=True)
    else:
        record(lot, user, "edit", data=changed)
    db.session.commit()
    return lot


def _bidder_orgs(lot: Lot) -> list[int]:
    return [bidder.org_id for bidder in queries.bidders_for(lot)]


def submit_lot(actor: User, lot_id: int) -> Lot:
    """Draft → pending: ask the platform to review and announce the lot."""
    user = require_user(actor)
    lot = queries.lot_for_update(lot_id)
    if not (queries.is_owner(user, lot) or is_admin(user)):
        raise PermissionDenied()
    if lot.status != "draft":
        raise InvalidTransition(_("Only a draft lot can be submitted for announcement."))
    record(lot, user, "submit", to="pending")
    lot.reject_reason = None
    notify_lot(lot, admins=True)
    db.session.commit()
    return lot


def review_lot(actor: User, lot_id: int, decision: str, reason: str = "") -> Lot:
    """Admin review: approve (pending → announced, the periods start now) or reject (→ draft)."""
    user = require_role(actor, "admin")
    lot = queries.lot_for_update(lot_id)
    if lot.status != "pending":
        raise InvalidTransition(_("Only a lot awaiting review can be approved or rejected."))
    if decision == "reject":
        text = (reason or "").strip()
        if not text:
            raise ValidationError(fields={"reason": _("Give the reason.")})
        lot.reject_reason = text[:MAX_TEXT]
        record(lot, user, "reject", to="draft", note=lot.reject_reason)
    elif decision == "approve":
        now = utcnow()
        if lot.mode == "auction":
            errors: dict[str, str] = {}
            _check_timeline(lot_data(lot), errors, now)
            if errors:
                raise ValidationError(
                    _(
                        "The schedule no longer fits the announcement period; the owner must "
                        "move it."
                    ),
                    fields=errors,
                )
            lot.closes_at = lot.bidding_ends_at
        else:
            lot.registration_opens_at = now
            lot.listing_ends_at = listing_period_end(now, LISTING_WORKING_DAYS)
        lot.announced_at = now
        record(lot, user, "announce", to="announced")
    else:
        raise ValidationError(fields={"decision": _("Choose approve or reject.")})
    notify_lot(lot)
    db.session.commit()
    return lot


def withdraw_lot(actor: User, lot_id: int, reason: str = "") -> Lot:
    """Take a lot off the market before bidding; registered bidders' deposits are released."""
    user = require_user(actor)
    lot = queries.lot_for_update(lot_id)
    if not (queries.is_owner(user, lot) or is_admin(user)):
        raise PermissionDenied()
    if not queries.can_withdraw(user, lot):
        raise InvalidTransition(_("This lot can no longer be withdrawn."))
    now = utcnow()
    for bidder in queries.bidders_for(lot):
        if bidder.deposit_status == "received":
            bidder.deposit_status, bidder.deposit_settled_at = "released", now
    lot.closed_at = now
    record(lot, user, "withdraw", to="withdrawn", note=(reason or "").strip()[:MAX_TEXT])
    notify_lot(lot, org_ids=[lot.org_id, *_bidder_orgs(lot)])
    db.session.commit()
    return lot


@dataclass(frozen=True)
class SessionData:
    title: str = ""
    kind: str = "industry"
    description: str = ""
    registration_opens_at: datetime | None = None
    bidding_starts_at: datetime | None = None
    bidding_ends_at: datetime | None = None


def create_session(actor: User, data: SessionData) -> LotSession:
    """A 专场 with one schedule for its lots (admins)."""
    user = require_role(actor, "admin")
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title or len(title) > 200:
        errors["title"] = _("Enter a title of at most 200 characters.")
    if data.kind not in SESSION_KINDS:
        errors["kind"] = _("Choose the kind of session.")
    _check_timeline(
        LotData(
            mode="auction",
            registration_opens_at=data.registration_opens_at,
            bidding_starts_at=data.bidding_starts_at,
            bidding_ends_at=data.bidding_ends_at,
        ),
        errors,
        utcnow(),
    )
    if errors:
        raise ValidationError(fields=errors)
    session = LotSession(
        title=title,
        kind=data.kind,
        description=data.description.strip(),
        registration_opens_at=data.registration_opens_at,
        bidding_starts_at=data.bidding_starts_at,
        bidding_ends_at=data.bidding_ends_at,
        created_by_id=user.id,
    )
    db.session.add(session)
    db.session.commit()
    return session
