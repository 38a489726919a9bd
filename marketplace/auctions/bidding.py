"""Bidders and bids: registration, deposit and approval, and binding bids under the lot's lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_user
from marketplace.auctions import queries
from marketplace.auctions.models import Bid, Lot, LotBidder
from marketplace.auctions.services import MAX_TEXT, notify_lot, record
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.money import MoneyError, money_str, parse_money


def register_bidder(actor: User, lot_id: int, documents: str = "") -> LotBidder:
    """An enterprise registers its organisation for a lot (then pays the deposit offline)."""
    user = require_user(actor)
    lot = queries.lot_for_update(lot_id)
    if not queries.can_view(user, lot):
        raise PermissionDenied()
    if user.role not in queries.BUYER_ROLES:
        raise PermissionDenied(_("Only enterprise users can register to bid."))
    if user.org_id == lot.org_id:
        raise PermissionDenied(_("You cannot bid on your own organisation's lot."), code="own_lot")
    if not queries.registration_open(lot):
        raise InvalidTransition(_("Registration for this lot is not open."))
    if not user.org.verified:
        raise PermissionDenied(
            _("Your organisation must be verified before it can bid."), code="org_not_verified"
        )
    if queries.suspended(user.org_id):
        raise PermissionDenied(_("Your organisation is suspended from auctions."), code="suspended")
    if queries.bidder_for(user, lot) is not None:
        raise Conflict(
            _("Your organisation is already registered for this lot."), code="already_registered"
        )
    text = (documents or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(fields={"documents": _("Use at most %(n)d characters.", n=MAX_TEXT)})
    bidder = LotBidder(lot_id=lot.id, org_id=user.org_id, user_id=user.id, documents=text)
    db.session.add(bidder)
    db.session.flush()
    record(lot, user, "register", data={"bidder_id": bidder.id})
    notify_lot(lot, "lot_registration", org_ids=[], org=user.org.name)
    db.session.commit()
    return bidder


@dataclass(frozen=True)
class DepositData:
    receipt: str = ""
    amount: Decimal | None = None


def approve_bidder(actor: User, lot_id: int, bidder_id: int, deposit: DepositData) -> LotBidder:
    """The organiser records the deposit (receipt reference) and approves: a bidder number."""
    user = require_user(actor)
    lot = queries.lot_for_update(lot_id)
    if not queries.is_organiser(user, lot):
        raise PermissionDenied()
    bidder = db.session.get(LotBidder, bidder_id)
    if bidder is None or bidder.lot_id != lot.id:
        raise ValidationError(fields={"bidder_id": _("There is no such registration.")})
    if not queries.can_approve_bidders(user, lot) or (
        lot.mode == "listing" and lot.bidding_starts_at is not None
    ):
        raise InvalidTransition(_("Bidders can no longer be approved for this lot."))
    if bidder.status == "approved":
        raise Conflict(_("This bidder is already approved."), code="already_approved")
    errors: dict[str, str] = {}
    receipt = (deposit.receipt or "").strip()
    if not receipt or len(receipt) > 100:
        errors["receipt"] = _("Enter the deposit's receipt reference (at most 100 characters).")
    amount = None
    try:
        amount = parse_money(deposit.amount) if deposit.amount is not None else None
    except MoneyError as error:
        errors["amount"] = str(error)
    else:
        if amount is None:
            errors["amount"] = _("Enter the deposit received.")
        elif amount < lot.deposit:
            errors["amount"] = _(
                "The deposit for this lot is %(amount)s.", amount=money_str(lot.deposit)
            )
    if errors:
        raise ValidationError(fields=errors)
    number = (
        db.session.execute(
            sa.select(sa.func.max(LotBidder.number)).where(LotBidder.lot_id == lot.id)
        ).scalar()
        or 0
    ) + 1
    now = utcnow()
    bidder.deposit_status, bidder.deposit_amount = "received", amount
    bidder.deposit_receipt, bidder.deposit_received_at = receipt, now
    bidder.status, bidder.number = "approved", number
    bidder.approved_at, bidder.approved_by_id = now, user.id
    record(
        lot,
        user,
        "approve_bidder",
        data={
            "bidder_id": bidder.id,
            "number": number,
            "receipt": receipt,
            "deposit": money_str(amount),
        },
    )
    notify_lot(lot, "lot_bidder_approved", org_ids=[bidder.org_id], number=number)
    db.session.commit()
    return bidder


# -- bids --------------------------------------------------------------------------------------


def next_valid_amount(lot: Lot) -> Decimal:
    """The lowest bid accepted now: the start price, or the top bid plus one increment."""
    return lot.start_price if lot.top_amount is None else lot.top_amount + lot.increment


def open_bidding_if_due(lot: Lot, now: Any) -> None:
    """Registration → bidding once the start time has passed (the job does it too; a bid
    arriving first must not wait for it)."""
    if (
        lot.status == "registration"
        and lot.bidding_starts_at is not None
        and lot.bidding_starts_at <= now
    ):
        record(lot, None, "open_bidding", to="bidding")


def _approved_bidder(user: User, lot: Lot, now: datetime) -> LotBidder:
    """The caller's approved, unsuspended registration for ``lot``; PermissionDenied if none."""
    if not queries.can_view(user, lot):
        raise PermissionDenied()
    if user.org_id == lot.org_id:
        raise PermissionDenied(_("You cannot bid on your own organisation's lot."), code="own_lot")
    bidder = queries.bidder_for(user, lot)
    if user.role not in queries.BUYER_ROLES or bidder is None or bidder.status != "approved":
        raise PermissionDenied(_("Only approved bidders can bid on this lot."), code="not_approved")
    if queries.suspended(user.org_id, now):
        raise PermissionDenied(_("Your organisation is suspended from auctions."), code="suspended")
    return bidder


def place_bid(actor: User, lot_id: int, amount_value: Any) -> Bid:
    """A binding bid at top + k × increment (k ≥ 1; the first bid may be the start price).

    The lot row is locked first and the server clock read after, so bids are ordered by price
    and then by time exactly as they were accepted; a bid that lost the race for a step is
    refused at once with the new top. A bid in the last N minutes moves the close to N minutes
    after it.
    """
    user = require_user(actor)
    try:
        amount = parse_money(amount_value, allow_zero=False)
    except MoneyError as error:
        raise ValidationError(fields={"amount": str(error)}) from error
    if amount is None:
        raise ValidationError(fields={"amount": _("Enter your bid.")})
    lot = queries.lot_for_update(lot_id)
    now = utcnow()
    bidder = _approved_bidder(user, lot, now)
    open_bidding_if_due(lot, now)
    if lot.status != "bidding" or lot.closes_at is None:
        raise InvalidTransition(_("Bidding on this lot is not open."), code="bidding_not_open")
    if now >= lot.closes_at:
        raise Conflict(_("Bidding on this lot has closed."), code="bidding_closed")
    if lot.top_bidder_id == bidder.id:
        raise Conflict(_("You already hold the top bid."), code="already_top")
    lowest = next_valid_amount(lot)
    if amount < lowest:
        code = "outbid" if lot.top_amount is not None and amount <= lot.top_amount else "too_low"
        message = _(
            "The top bid is now %(top)s; the lowest valid bid is %(next)s.",
            top=money_str(lot.top_amount or lot.start_price),
            next=money_str(lowest),
        )
        raise Conflict(message, code=code, fields={"amount": message})
    if (amount - lowest) % lot.increment != 0:
        message = _(
            "Bids go up in steps of %(step)s from %(next)s.",
            step=money_str(lot.increment),
            next=money_str(lowest),
        )
        raise ValidationError(message, code="off_increment", fields={"amount": message})
    extension = timedelta(minutes=lot.extension_minutes)
    if lot.closes_at - now < extension:
        lot.closes_at = now + extension
    previous = lot.top_bidder_id
    bid = Bid(
        lot_id=lot.id, bidder_id=bidder.id, amount=amount, placed_at=now, closes_at=lot.closes_at
    )
    db.session.add(bid)
    lot.top_amount, lot.top_bidder_id = amount, bidder.id
    lot.bid_count += 1
    if previous is not None:
        previous_org = db.session.get(LotBidder, previous)
        if previous_org is not None:
            notify_lot(
                lot,
                "lot_outbid",
                org_ids=[previous_org.org_id],
                organiser=False,
                amount=money_str(amount),
            )
    db.session.commit()
    return bid
