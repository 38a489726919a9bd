"""JSON shapes of lots, bids, bidders and results (shared by the API and the live page)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from marketplace.accounts.models import User
from marketplace.auctions import queries
from marketplace.auctions.bidding import next_valid_amount
from marketplace.auctions.models import Bid, Lot, LotBidder, LotEvent
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.money import money_str


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def rate_str(value: Decimal | None) -> str | None:
    """A rate as a decimal string with four places (0.3560 = 35.60 %)."""
    return None if value is None else format(value.quantize(Decimal("0.0001")), "f")


def bidder_number(bidder_id: int | None) -> int | None:
    if bidder_id is None:
        return None
    bidder = db.session.get(LotBidder, bidder_id)
    return bidder.number if bidder else None


def live_json(lot: Lot, user: User | None = None) -> dict[str, Any]:
    """What the bidding page polls: top bid, next valid amount, close and the server clock."""
    mine = queries.bidder_for(user, lot)
    return {
        "id": lot.id,
        "status": lot.status,
        "top_amount": money_str(lot.top_amount),
        "top_bidder_number": bidder_number(lot.top_bidder_id),
        "bid_count": lot.bid_count,
        "next_amount": money_str(next_valid_amount(lot)),
        "bidding_starts_at": _time(lot.bidding_starts_at),
        "closes_at": _time(lot.closes_at),
        "server_time": utcnow().isoformat(),
        "my_number": mine.number if mine else None,
        "my_status": mine.status if mine else None,
        "i_am_top": bool(mine is not None and lot.top_bidder_id == mine.id),
    }


def lot_json(lot: Lot, user: User | None = None) -> dict[str, Any]:
    """The SPEC §6.1 lot; the reserve amount only for the seller and the organiser."""
    data = {
        "id": lot.id,
        "title": lot.title,
        "achievement_id": lot.achievement_id,
        "org_id": lot.org_id,
        "org_name": lot.org.name,
        "session_id": lot.session_id,
        "broker_id": lot.broker_id,
        "mode": lot.mode,
        "rights": lot.rights,
        "start_price": money_str(lot.start_price),
        "increment": money_str(lot.increment),
        "deposit": money_str(lot.deposit),
        "has_reserve": lot.reserve_price is not None,
        "qualifications": lot.qualifications,
        "extension_minutes": lot.extension_minutes,
        "registration_opens_at": _time(lot.registration_opens_at),
        "bidding_ends_at": _time(lot.bidding_ends_at),
        "listing_ends_at": _time(lot.listing_ends_at),
        "announced_at": _time(lot.announced_at),
        "reject_reason": lot.reject_reason if queries.can_see_history(user, lot) else None,
        "sale_price": money_str(lot.sale_price),
        "premium_rate": rate_str(lot.premium_rate),
        "closed_at": _time(lot.closed_at),
        "created_at": lot.created_at.isoformat(),
        "updated_at": lot.updated_at.isoformat(),
    }
    if queries.can_see_reserve(user, lot):
        data["reserve_price"] = money_str(lot.reserve_price)
    data.update(live_json(lot, user))
    return data


def bid_json(bid: Bid) -> dict[str, Any]:
    """A bid as every visitor sees it: number, amount, time — never the bidder's name."""
    return {
        "amount": money_str(bid.amount),
        "bidder_number": bid.bidder.number,
        "placed_at": bid.placed_at.isoformat(),
        "closes_at": bid.closes_at.isoformat(),
    }


def bidder_json(bidder: LotBidder, *, names: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": bidder.id,
        "lot_id": bidder.lot_id,
        "number": bidder.number,
        "status": bidder.status,
        "deposit_status": bidder.deposit_status,
    }
    if names:
        data.update(
            {
                "org_id": bidder.org_id,
                "org_name": bidder.org.name,
                "documents": bidder.documents,
                "deposit_receipt": bidder.deposit_receipt,
                "deposit_amount": money_str(bidder.deposit_amount),
            }
        )
    return data


def result_json(lot: Lot) -> dict[str, Any]:
    """The public result notice (成交公告): price, premium, the buyer once sold."""
    winner = db.session.get(LotBidder, lot.winner_id) if lot.winner_id else None
    return {
        "lot_id": lot.id,
        "title": lot.title,
        "mode": lot.mode,
        "status": lot.status,
        "start_price": money_str(lot.start_price),
        "sale_price": money_str(lot.sale_price),
        "premium_rate": rate_str(lot.premium_rate),
        "bid_count": lot.bid_count,
        "bidders": queries.approved_count(lot),
        "winner_number": winner.number if winner else None,
        "buyer_org_name": winner.org.name if winner else None,
        "seller_org_name": lot.org.name,
        "closed_at": _time(lot.closed_at),
    }


def event_json(event: LotEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "data": event.data,
        "actor_id": event.actor_id,
        "created_at": event.created_at.isoformat(),
    }
