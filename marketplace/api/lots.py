"""Lots API (SPEC §6.1): lots, announcement, bidders, bids, results, sessions."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.accounts.permissions import is_admin
from marketplace.api.common import (
    MoneyField,
    PageArgs,
    api_user,
    create_once,
    decimal_string,
    errors,
    items_of,
    output,
    page_of,
    paginate,
    require_api_user,
    timestamp,
)
from marketplace.auctions import bidding, queries, services, settlement
from marketplace.auctions.models import Bid, LotSession
from marketplace.auctions.serialise import (
    bid_json,
    bidder_json,
    event_json,
    lot_json,
    result_json,
)
from marketplace.auctions.vocab import LOT_MODES, LOT_RIGHTS, LOT_STATUSES, SESSION_KINDS
from marketplace.errors import Conflict, NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.serialise import timestamp_field
from marketplace.workdays import LOCAL_TZ

blp = Blueprint("api_lots", __name__, description="Listed transfer and auctions (挂牌 · 竞价)")


def _when(**kwargs: Any) -> fields.AwareDateTime:
    # Times without a zone are Beijing time, as people enter them.
    return fields.AwareDateTime(default_timezone=LOCAL_TZ, allow_none=True, **kwargs)


@output("reserve_price")
class LotOut(Schema):
    """A lot (SPEC §6.1) with its live state; ``reserve_price`` only for the seller and the
    organiser (others see ``has_reserve``), ``reject_reason`` null for those who may not
    read the history."""

    id = fields.Integer()
    title = fields.String()
    achievement_id = fields.Integer()
    org_id = fields.Integer()
    org_name = fields.String()
    session_id = fields.Integer(allow_none=True)
    broker_id = fields.Integer(allow_none=True)
    mode = fields.String()
    rights = fields.String()
    start_price = decimal_string(allow_none=True)
    increment = decimal_string(allow_none=True)
    deposit = decimal_string(allow_none=True)
    has_reserve = fields.Boolean()
    reserve_price = decimal_string(allow_none=True)
    qualifications = fields.String(allow_none=True)
    extension_minutes = fields.Integer(allow_none=True)
    registration_opens_at = timestamp(allow_none=True)
    bidding_ends_at = timestamp(allow_none=True)
    listing_ends_at = timestamp(allow_none=True)
    announced_at = timestamp(allow_none=True)
    reject_reason = fields.String(allow_none=True)
    sale_price = decimal_string(allow_none=True)
    premium_rate = decimal_string(allow_none=True)
    closed_at = timestamp(allow_none=True)
    created_at = timestamp()
    updated_at = timestamp()
    # The live part (also what the bidding page polls).
    status = fields.String()
    top_amount = decimal_string(allow_none=True)
    top_bidder_number = fields.Integer(allow_none=True)
    bid_count = fields.Integer()
    next_amount = decimal_string(allow_none=True)
    bidding_starts_at = timestamp(allow_none=True)
    closes_at = timestamp(allow_none=True)
    server_time = timestamp()
    my_number = fields.Integer(allow_none=True)
    my_status = fields.String(allow_none=True)
    i_am_top = fields.Boolean()


@output()
class BidOut(Schema):
    """A bid as every visitor sees it: number, amount, time; never the bidder's name."""

    amount = decimal_string()
    bidder_number = fields.Integer(allow_none=True)
    placed_at = timestamp()
    closes_at = timestamp()


@output("org_id", "org_name", "documents", "deposit_receipt", "deposit_amount")
class BidderOut(Schema):
    """A registered bidder; its organisation, documents and deposit for the organiser."""

    id = fields.Integer()
    lot_id = fields.Integer()
    number = fields.Integer(allow_none=True)
    status = fields.String()
    deposit_status = fields.String(allow_none=True)
    org_id = fields.Integer()
    org_name = fields.String()
    documents = fields.String(allow_none=True)
    deposit_receipt = fields.String(allow_none=True)
    deposit_amount = decimal_string(allow_none=True)


@output()
class ResultOut(Schema):
    lot_id = fields.Integer()
    title = fields.String()
    mode = fields.String()
    status = fields.String()
    start_price = decimal_string(allow_none=True)
    sale_price = decimal_string(allow_none=True)
    premium_rate = decimal_string(allow_none=True)
    bid_count = fields.Integer()
    bidders = fields.Integer()
    winner_number = fields.Integer(allow_none=True)
    buyer_org_name = fields.String(allow_none=True)
    seller_org_name = fields.String()
    closed_at = timestamp(allow_none=True)


@output()
class LotEventOut(Schema):
    id = fields.Integer()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    data = fields.Raw(allow_none=True, metadata={"description": "Details of the action"})
    actor_id = fields.Integer(allow_none=True)
    created_at = timestamp()


@output()
class SessionOut(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    description = fields.String(allow_none=True)
    registration_opens_at = timestamp_field()
    bidding_starts_at = timestamp_field()
    bidding_ends_at = timestamp_field()
    lot_ids = fields.Function(
        lambda session: [lot.id for lot in session.lots],
        metadata={"type": "array", "items": {"type": "integer"}},
    )


class PlacedBidOut(Schema):
    bid = fields.Nested(BidOut, required=True)
    lot = fields.Nested(LotOut, required=True)


LotPage = page_of(LotOut, "LotPage")
BidPage = page_of(BidOut, "BidPage")
Bidders = items_of(BidderOut, "LotBidders", total=fields.Integer(required=True))
LotHistory = items_of(LotEventOut, "LotHistory", total=fields.Integer(required=True))
Sessions = items_of(SessionOut, "LotSessions", total=fields.Integer(required=True))


class LotInput(Schema):
    achievement_id = fields.Integer(strict=True)
    mode = fields.String(validate=validate.OneOf(LOT_MODES.codes))
    rights = fields.String(validate=validate.OneOf(LOT_RIGHTS.codes))
    start_price = MoneyField(allow_none=True)
    reserve_price = MoneyField(allow_none=True)
    increment = MoneyField(allow_none=True)
    deposit = MoneyField(allow_none=True)
    qualifications = fields.String(validate=validate.Length(max=services.MAX_TEXT))
    extension_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=60))
    registration_opens_at = _when()
    bidding_starts_at = _when()
    bidding_ends_at = _when()
    session_id = fields.Integer(strict=True, allow_none=True)
    broker_id = fields.Integer(strict=True, allow_none=True)


class LotListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(LOT_STATUSES.codes))
    mode = fields.String(load_default=None, validate=validate.OneOf(LOT_MODES.codes))
    session_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    mine = fields.Boolean(load_default=False)


class AnnounceInput(Schema):
    decision = fields.String(load_default="approve", validate=validate.OneOf(("approve", "reject")))
    reason = fields.String(load_default="", validate=validate.Length(max=services.MAX_TEXT))


class RegisterInput(Schema):
    documents = fields.String(load_default="", validate=validate.Length(max=services.MAX_TEXT))


class BidderApproveInput(Schema):
    deposit_receipt = fields.String(load_default="", validate=validate.Length(max=100))
    deposit_amount = MoneyField(load_default=None, allow_none=True)


class BidInput(Schema):
    amount = fields.Raw(required=True)


class LotReasonInput(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=services.MAX_TEXT))


class SessionInput(Schema):
    title = fields.String(required=True, validate=validate.Length(max=200))
    kind = fields.String(required=True, validate=validate.OneOf(SESSION_KINDS.codes))
    description = fields.String(load_default="", validate=validate.Length(max=services.MAX_TEXT))
    registration_opens_at = _when(required=True)
    bidding_starts_at = _when(required=True)
    bidding_ends_at = _when(required=True)


def _data(args: dict[str, Any], base: services.LotData | None = None) -> services.LotData:
    return dataclasses.replace(base or services.LotData(), **args)


@blp.route("/lots")
class LotsResource(MethodView):
    @blp.arguments(LotListArgs, location="query")
    @blp.response(200, LotPage)
    @errors(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Lots you may see: announced and closed ones publicly, your own drafts, all (admins)."""
        user = api_user()
        query = queries.visible_lots(
            user,
            status=args["status"],
            mode=args["mode"],
            session_id=args["session_id"],
            mine=args["mine"],
        )
        return paginate(query, args["page"], args["per_page"], lambda lot: lot_json(lot, user))

    @blp.arguments(LotInput)
    @blp.response(201, LotOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Offer one of your organisation's published achievements as a draft lot."""
        user = require_api_user()
        lot_id, _created = create_once("lot", lambda: services.create_lot(user, _data(args)))
        return lot_json(queries.get_lot_for(user, lot_id), user), 201


@blp.route("/lots/<int:lot_id>")
class LotResource(MethodView):
    @blp.response(200, LotOut)
    @errors(blp, 404)
    def get(self, lot_id: int) -> dict[str, Any]:
        """One lot with its live top bid, next valid amount, close and the server's clock."""
        user = api_user()
        return lot_json(queries.get_lot_for(user, lot_id), user)

    @blp.arguments(LotInput)
    @blp.response(200, LotOut)
    @errors(blp, 403, 404, 409)
    def patch(self, args: dict[str, Any], lot_id: int) -> dict[str, Any]:
        """Change a lot before bidding; on an announced lot the announcement restarts."""
        user = require_api_user()
        lot = queries.get_lot_for(user, lot_id)
        if not (queries.is_owner(user, lot) or is_admin(user)):
            raise PermissionDenied()
        lot = services.update_lot(user, lot_id, _data(args, services.lot_data(lot)))
        return lot_json(lot, user)


@blp.route("/lots/<int:lot_id>/announce")
class AnnounceResource(MethodView):
    @blp.arguments(AnnounceInput)
    @blp.response(200, LotOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], lot_id: int) -> dict[str, Any]:
        """Owner: submit a draft for review. Admin: approve (announce) or reject a pending lot."""
        user = require_api_user()
        lot = queries.get_lot_for(user, lot_id)
        if lot.status == "draft":
            lot = services.submit_lot(user, lot_id)
            if not is_admin(user):
                return lot_json(lot, user)
        lot = services.review_lot(user, lot_id, args["decision"], args["reason"])
        return lot_json(lot, user)


@blp.route("/lots/<int:lot_id>/withdraw")
class WithdrawResource(MethodView):
    @blp.arguments(LotReasonInput)
    @blp.response(200, LotOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], lot_id: int) -> dict[str, Any]:
        """Withdraw a lot before bidding (owner, admin)."""
        user = require_api_user()
        return lot_json(services.withdraw_lot(user, lot_id, args["reason"]), user)


@blp.route("/lots/<int:lot_id>/bidders")
class BiddersResource(MethodView):
    @blp.response(200, Bidders)
    @errors(blp, 403, 404)
    def get(self, lot_id: int) -> dict[str, Any]:
        """Registered bidders with names and deposits (the organiser); others get numbers."""
        user = require_api_user()
        lot = queries.get_lot_for(user, lot_id)
        names = queries.can_see_bidder_names(user, lot)
        if not names:
            raise PermissionDenied()
        rows = queries.bidders_for(lot)
        return {"items": [bidder_json(b, names=True) for b in rows], "total": len(rows)}

    @blp.arguments(RegisterInput)
    @blp.response(201, BidderOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], lot_id: int) -> tuple[dict[str, Any], int]:
        """Register your organisation to bid (then pay the deposit to the organiser)."""
        user = require_api_user()
        bidder = bidding.register_bidder(user, lot_id, args["documents"])
        return bidder_json(bidder, names=False), 201


@blp.route("/lots/<int:lot_id>/bidders/<int:bidder_id>/approve")
class ApproveBidderResource(MethodView):
    @blp.arguments(BidderApproveInput)
    @blp.response(200, BidderOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], lot_id: int, bidder_id: int) -> dict[str, Any]:
        """Record the deposit (receipt reference) and approve: the bidder gets its number."""
        user = require_api_user()
        bidder = bidding.approve_bidder(
            user,
            lot_id,
            bidder_id,
            bidding.DepositData(receipt=args["deposit_receipt"], amount=args["deposit_amount"]),
        )
        return bidder_json(bidder, names=True)


@blp.route("/lots/<int:lot_id>/bids")
class BidsResource(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, BidPage)
    @errors(blp, 404)
    def get(self, args: dict[str, Any], lot_id: int) -> dict[str, Any]:
        """The bids, highest first, by bidder number (names are never shown)."""
        lot = queries.get_lot_for(api_user(), lot_id)
        query = sa.select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.amount.desc())
        return paginate(query, args["page"], args["per_page"], bid_json)

    @blp.arguments(BidInput)
    @blp.response(201, PlacedBidOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], lot_id: int) -> tuple[dict[str, Any], int]:
        """A binding bid ``{"amount"}``: top + k × increment; 409 with the new top if outbid."""
        user = require_api_user()
        bid = bidding.place_bid(user, lot_id, args["amount"])
        lot = queries.get_lot_for(user, lot_id)
        return {"bid": bid_json(bid), "lot": lot_json(lot, user)}, 201


@blp.route("/lots/<int:lot_id>/result")
class ResultResource(MethodView):
    @blp.response(200, ResultOut)
    @errors(blp, 404, 409)
    def get(self, lot_id: int) -> dict[str, Any]:
        """The result notice (成交公告) of a closed lot: sale price and premium."""
        lot = queries.get_lot_for(api_user(), lot_id)
        if lot.status not in ("sold", "unsold"):
            raise Conflict("The lot has no result yet.", code="no_result")
        return result_json(lot)


@blp.route("/lots/<int:lot_id>/default")
class DefaultResource(MethodView):
    @blp.arguments(LotReasonInput)
    @blp.response(200, LotOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], lot_id: int) -> dict[str, Any]:
        """The winner defaulted: deposit forfeited, organisation suspended (organiser)."""
        user = require_api_user()
        return lot_json(settlement.mark_default(user, lot_id, args["reason"]), user)


@blp.route("/lots/<int:lot_id>/history")
class LotHistoryResource(MethodView):
    @blp.response(200, LotHistory)
    @errors(blp, 403, 404)
    def get(self, lot_id: int) -> dict[str, Any]:
        """The lot's audit trail (seller, organiser, admins)."""
        user = require_api_user()
        lot = queries.get_lot_for(user, lot_id)
        if not queries.can_see_history(user, lot):
            raise PermissionDenied()
        rows = queries.history_for(lot)
        return {"items": [event_json(row) for row in rows], "total": len(rows)}


@blp.route("/lot-sessions")
class SessionsResource(MethodView):
    @blp.response(200, Sessions)
    @errors(blp)
    def get(self) -> dict[str, Any]:
        """Sessions (专场)."""
        rows = list(
            db.session.execute(
                sa.select(LotSession).order_by(LotSession.bidding_starts_at.desc())
            ).scalars()
        )
        return {"items": rows, "total": len(rows)}

    @blp.arguments(SessionInput)
    @blp.response(201, SessionOut)
    @errors(blp, 403, 409)
    def post(self, args: dict[str, Any]) -> tuple[LotSession, int]:
        """A session with one schedule for its lots (admins)."""
        user = require_api_user()
        session_id, _created = create_once(
            "lot_session", lambda: services.create_session(user, services.SessionData(**args))
        )
        return db.session.get_one(LotSession, session_id), 201


@blp.route("/lot-sessions/<int:session_id>")
class SessionResource(MethodView):
    @blp.response(200, SessionOut)
    @errors(blp, 404)
    def get(self, session_id: int) -> LotSession:
        """One session (专场) with its lots."""
        session = db.session.get(LotSession, session_id)
        if session is None:
            raise NotFound()
        return session
