"""Timed steps and results: registration, bidding, close (sold / 流拍), 挂牌 end rules,
the deal and pre-filled contract of a sale, deposit releases and forfeits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_user
from marketplace.auctions import queries
from marketplace.auctions.bidding import open_bidding_if_due
from marketplace.auctions.models import AuctionSuspension, Lot, LotBidder
from marketplace.auctions.services import (
    LISTING_BIDDING_DELAY,
    LISTING_BIDDING_LENGTH,
    MAX_TEXT,
    notify_lot,
    record,
)
from marketplace.contracts.models import Contract, ContractHistory
from marketplace.database import utcnow
from marketplace.deals.models import Deal, DealEvent
from marketplace.errors import InvalidTransition, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.money import money_str
from marketplace.workdays import LOCAL_TZ

SUSPENSION = timedelta(days=365)

# The achievement's IP type decides the contract subtype of a transfer or licence.
_TRANSFER_SUBTYPES = {
    "invention_patent": "patent",
    "utility_model": "patent",
    "design": "patent",
    "software": "software",
    "trade_secret": "trade_secret",
    "ic_layout": "ic_layout",
    "plant_variety": "plant_variety",
}
_LICENSE_SUBTYPES = {
    "invention_patent": "patent",
    "utility_model": "patent",
    "design": "patent",
    "trade_secret": "trade_secret",
}


def advance_lot(lot_id: int, now: datetime | None = None) -> str:
    """Take every timed step that is due for one lot (idempotent); returns its status."""
    lot = queries.lot_for_update(lot_id)
    now = now or utcnow()
    if (
        lot.status == "announced"
        and lot.registration_opens_at is not None
        and lot.registration_opens_at <= now
    ):
        record(lot, None, "open_registration", to="registration")
        notify_lot(lot)
    if (
        lot.status == "registration"
        and lot.mode == "listing"
        and lot.bidding_starts_at is None
        and lot.listing_ends_at is not None
        and lot.listing_ends_at <= now
    ):
        _end_listing_period(lot, now)
    if lot.status == "registration":
        open_bidding_if_due(lot, now)
        if lot.status == "bidding":
            notify_lot(lot, org_ids=[lot.org_id, *_approved_orgs(lot)])
    if lot.status == "bidding" and lot.closes_at is not None and lot.closes_at <= now:
        _close(lot, now)
    db.session.commit()
    return lot.status


def advance_due_lots(now: datetime | None = None) -> int:
    """The scheduled job: advance every lot with a step due; one transaction per lot."""
    ids = queries.due_lot_ids(now)
    db.session.rollback()
    for lot_id in ids:
        advance_lot(lot_id, now)
    return len(ids) + release_registered_deposits()


def _approved(lot: Lot) -> list[LotBidder]:
    return [b for b in queries.bidders_for(lot) if b.status == "approved"]


def _approved_orgs(lot: Lot) -> list[int]:
    return [b.org_id for b in _approved(lot)]


def _end_listing_period(lot: Lot, now: datetime) -> None:
    """挂牌 end: nobody → unsold; one qualified buyer → agreement at the listed price;
    two or more → online bidding between them."""
    approved = _approved(lot)
    if not approved:
        _finish_unsold(
            lot, now, "no_buyer", _("No qualified buyer registered during the listing period.")
        )
    elif len(approved) == 1:
        _finish_sold(
            lot,
            now,
            approved[0],
            lot.start_price,
            _("One qualified buyer: agreement at the listed price."),
        )
    else:
        # From the moment the period is settled, so a late job never schedules a past window.
        lot.bidding_starts_at = now + LISTING_BIDDING_DELAY
        lot.bidding_ends_at = lot.bidding_starts_at + LISTING_BIDDING_LENGTH
        lot.closes_at = lot.bidding_ends_at
        record(
            lot,
            None,
            "schedule_bidding",
            note=_("Two or more qualified buyers: online bidding between them."),
            data={
                "bidding_starts_at": lot.bidding_starts_at.isoformat(),
                "bidding_ends_at": lot.bidding_ends_at.isoformat(),
            },
        )
        notify_lot(
            lot,
            "lot_bidding_scheduled",
            org_ids=[lot.org_id, *_approved_orgs(lot)],
            starts=lot.bidding_starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        )


def _close(lot: Lot, now: datetime) -> None:
    if lot.top_amount is None or lot.top_bidder_id is None:
        _finish_unsold(lot, now, "no_bids", _("No bids were placed."))
    elif lot.reserve_price is not None and lot.top_amount < lot.reserve_price:
        _finish_unsold(lot, now, "under_reserve", _("The top bid was under the reserve price."))
    else:
        winner = db.session.get(LotBidder, lot.top_bidder_id)
        assert winner is not None
        _finish_sold(lot, now, winner, lot.top_amount, _("Sold to the highest bid."))


def _release(bidders: list[LotBidder], now: datetime, keep: LotBidder | None = None) -> None:
    for bidder in bidders:
        if bidder is not keep and bidder.deposit_status == "received":
            bidder.deposit_status, bidder.deposit_settled_at = "released", now


def _finish_unsold(lot: Lot, now: datetime, reason: str, note: str) -> None:
    """流拍: every deposit goes back; ``reason`` is a stable code for reports."""
    lot.closed_at = now
    _release(queries.bidders_for(lot), now)
    record(lot, None, "close", to="unsold", note=note, data={"reason": reason})
    notify_lot(lot, org_ids=[lot.org_id, *_approved_orgs(lot)], admins=True)


def _finish_sold(lot: Lot, now: datetime, winner: LotBidder, price: Any, note: str) -> None:
    """Sold: losers' deposits released now, the winner's kept until its contract is registered;
    a deal and a pre-filled transfer/licence contract go to the broker (or the admins)."""
    lot.closed_at = now
    lot.sale_price = price
    lot.winner_id = winner.id
    _release(queries.bidders_for(lot), now, keep=winner)
    record(
        lot,
        None,
        "close",
        to="sold",
        note=note,
        data={"sale_price": money_str(price), "winner_number": winner.number},
    )
    deal = Deal(
        achievement_id=lot.achievement_id,
        seller_org_id=lot.org_id,
        buyer_org_id=winner.org_id,
        broker_id=lot.broker_id,
        stage="signed",
        source="manual",
        reasons=[],
        signed_at=now,
    )
    db.session.add(deal)
    db.session.flush()
    db.session.add(
        DealEvent(
            deal_id=deal.id,
            kind="stage",
            from_stage=None,
            to_stage="signed",
            note=_("Sold through lot #%(id)s at %(price)s.", id=lot.id, price=money_str(price)),
        )
    )
    contract = _prefilled_contract(lot, deal, winner, now)
    lot.deal_id, lot.contract_id = deal.id, contract.id
    notify_lot(
        lot,
        org_ids=[lot.org_id, *_approved_orgs(lot)],
        admins=lot.broker_id is None,
        price=money_str(price),
    )


def _prefilled_contract(lot: Lot, deal: Deal, winner: LotBidder, now: datetime) -> Contract:
    ip_type = lot.achievement.ip_type or ""
    if lot.rights == "transfer":
        type_, subtype = "transfer", _TRANSFER_SUBTYPES.get(ip_type, "other")
    else:
        type_, subtype = "license", _LICENSE_SUBTYPES.get(ip_type, "other")
    contract = Contract(
        title=lot.title,
        type=type_,
        subtype=subtype,
        seller_org_id=lot.org_id,
        buyer_org_id=winner.org_id,
        broker_id=lot.broker_id,
        deal_id=deal.id,
        field=lot.achievement.field,
        signed_on=now.astimezone(LOCAL_TZ).date(),
        contract_amount=lot.sale_price,
        tech_amount=lot.sale_price,
        status="draft",
    )
    db.session.add(contract)
    db.session.flush()
    db.session.add(
        ContractHistory(
            contract_id=contract.id,
            actor_id=None,
            action="create",
            field="status",
            before=None,
            after="draft",
            note=_("Pre-filled from lot #%(id)s.", id=lot.id),
        )
    )
    return contract


def release_registered_deposits() -> int:
    """The winner's deposit goes back once the sale's contract is registered."""
    rows = (
        db.session.execute(
            sa.select(LotBidder)
            .join(Lot, Lot.winner_id == LotBidder.id)
            .join(Contract, Contract.id == Lot.contract_id)
            .where(Contract.status == "registered", LotBidder.deposit_status == "received")
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for bidder in rows:
        bidder.deposit_status, bidder.deposit_settled_at = "released", now
        lot = db.session.get(Lot, bidder.lot_id)
        assert lot is not None
        record(lot, None, "release_deposit", data={"bidder_id": bidder.id})
    db.session.commit()
    return len(rows)


def mark_default(actor: User, lot_id: int, reason: str) -> Lot:
    """The winner did not sign or pay: its deposit is forfeited and it is suspended."""
    user = require_user(actor)
    lot = queries.lot_for_update(lot_id)
    if not queries.is_organiser(user, lot):
        raise PermissionDenied()
    if not queries.can_mark_default(user, lot):
        raise InvalidTransition(_("Only a sold lot's winner can be marked as defaulting."))
    text = (reason or "").strip()
    if not text:
        raise ValidationError(fields={"reason": _("Give the reason.")})
    winner = db.session.get(LotBidder, lot.winner_id)
    assert winner is not None
    now = utcnow()
    winner.deposit_status, winner.deposit_settled_at = "forfeited", now
    lot.defaulted_at = now
    db.session.add(
        AuctionSuspension(
            org_id=winner.org_id, lot_id=lot.id, reason=text[:MAX_TEXT], until=now + SUSPENSION
        )
    )
    record(lot, user, "default", note=text[:MAX_TEXT], data={"bidder_id": winner.id})
    notify_lot(lot, "lot_default", org_ids=[lot.org_id, winner.org_id])
    db.session.commit()
    return lot
