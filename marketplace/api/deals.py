"""Brokerage API: POST /interests, GET /deals, POST /deals, claim, release, PATCH /deals/<id>."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role
from marketplace.api.common import (
    PageArgs,
    create_once,
    errors,
    page_of,
    paginate,
    require_api_user,
    timestamp,
)
from marketplace.deals import queries, services
from marketplace.deals.models import DEAL_SOURCES, Deal
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.listings.serialise import PublicListingSchema
from marketplace.search.matching import display_score
from marketplace.serialise import timestamp_field
from marketplace.vocab import DEAL_FAILURE_REASONS, DEAL_STAGES, FIELDS

blp = Blueprint("api_deals", __name__, description="Brokerage: interests and deals")


class DealEventOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    from_stage = fields.String(required=True, allow_none=True)
    to_stage = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    actor_id = fields.Integer(required=True, allow_none=True)
    actor_name = fields.Function(
        lambda entry: entry.actor.display_name if entry.actor else None,
        required=True,
        allow_none=True,
        metadata={"type": "string"},
    )
    created_at = timestamp_field(required=True)


class DealOut(Schema):
    """A deal; ``score`` and ``reasons`` only for the brokerage side (null and empty for the
    parties); ``events`` (the timeline) on single-deal answers."""

    id = fields.Integer(required=True)
    stage = fields.String(required=True)
    source = fields.String(required=True)
    demand_id = fields.Integer(required=True, allow_none=True)
    achievement_id = fields.Integer(required=True)
    buyer_org_id = fields.Integer(required=True, allow_none=True)
    seller_org_id = fields.Integer(required=True)
    broker_id = fields.Integer(required=True, allow_none=True)
    failure_reason = fields.String(required=True, allow_none=True)
    score = fields.Integer(required=True, allow_none=True)
    reasons = fields.List(
        fields.Dict(),
        required=True,
        metadata={"description": 'Why it matched: {"code", …details} (brokerage side only)'},
    )
    signed_at = timestamp(required=True, allow_none=True)
    created_at = timestamp(required=True)
    updated_at = timestamp(required=True)
    demand = fields.Nested(PublicListingSchema, required=True, allow_none=True)
    achievement = fields.Nested(PublicListingSchema, required=True)
    events = fields.List(fields.Nested(DealEventOut))


DealPage = page_of(DealOut, "DealPage")


def deal_json(deal: Deal, viewer: User, *, events: bool = False) -> dict[str, Any]:
    """The deal as ``viewer`` may see it (to be dumped by ``DealOut``): the same rule as the
    web page (``queries.timeline_for``; parties get no notes, score or match reasons)."""
    internal = queries.sees_brokerage_record(viewer, deal)
    data: dict[str, Any] = {
        "id": deal.id,
        "stage": deal.stage,
        "source": deal.source,
        "demand_id": deal.demand_id,
        "achievement_id": deal.achievement_id,
        "buyer_org_id": deal.buyer_org_id,
        "seller_org_id": deal.seller_org_id,
        "broker_id": deal.broker_id,
        "failure_reason": deal.failure_reason,
        "score": display_score(deal.score) if internal else None,
        "reasons": list(deal.reasons or []) if internal else [],
        "signed_at": deal.signed_at.isoformat() if deal.signed_at else None,
        "created_at": deal.created_at.isoformat(),
        "updated_at": deal.updated_at.isoformat(),
        "demand": deal.demand,
        "achievement": deal.achievement,
    }
    if events:
        data["events"] = queries.timeline_for(viewer, deal)
    return data


class InterestArgs(Schema):
    achievement_id = fields.Integer(required=True, strict=True)
    demand_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    note = fields.String(load_default="", validate=validate.Length(max=services.MAX_NOTE))


class DealListArgs(PageArgs):
    scope = fields.String(load_default="all", validate=validate.OneOf(("all", "queue", "mine")))
    stage = fields.String(load_default=None, validate=validate.OneOf(DEAL_STAGES.codes))
    source = fields.String(load_default=None, validate=validate.OneOf(DEAL_SOURCES))
    field = fields.String(load_default=None, validate=validate.OneOf(FIELDS.codes))
    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"))


class NewDealArgs(Schema):
    achievement_id = fields.Integer(required=True, strict=True)
    demand_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    buyer_org_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    note = fields.String(load_default="", validate=validate.Length(max=services.MAX_NOTE))


class ClaimArgs(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=services.MAX_NOTE))


class DealPatchArgs(Schema):
    stage = fields.String(validate=validate.OneOf(DEAL_STAGES.codes))
    note = fields.String(validate=validate.Length(max=services.MAX_NOTE))
    note_kind = fields.String(load_default="note", validate=validate.OneOf(services.NOTE_KINDS))
    failure_reason = fields.String(
        allow_none=True, validate=validate.OneOf(DEAL_FAILURE_REASONS.codes)
    )
    broker_id = fields.Integer(strict=True)


@blp.route("/interests")
class InterestResource(MethodView):
    @blp.arguments(InterestArgs)
    @blp.response(201, DealOut, description="A new deal")
    @blp.alt_response(
        200, schema=DealOut, description="Interest added to an existing deal", success=True
    )
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Express interest in an achievement (enterprise users); creates or updates a deal."""
        user = require_api_user()
        outcome: dict[str, bool] = {"new_deal": False}

        def express() -> Any:
            deal, outcome["new_deal"] = services.express_interest(
                user, args["achievement_id"], args["demand_id"], args["note"]
            )
            return deal

        deal_id, _sent = create_once("interest", express)
        deal = db.session.get_one(Deal, deal_id)
        return deal_json(deal, user), 201 if outcome["new_deal"] else 200


@blp.route("/deals")
class DealsResource(MethodView):
    @blp.arguments(DealListArgs, location="query")
    @blp.response(200, DealPage)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Deals you may see: ``scope=queue`` the unclaimed suggestions and interests,
        ``mine`` the deals you are on (brokers, admins); for the parties, their deals."""
        user = require_api_user()
        query = queries.visible_deals(
            user,
            scope=args["scope"],
            stage=args["stage"],
            source=args["source"],
            field=args["field"],
            region=args["region"],
        )
        return paginate(query, args["page"], args["per_page"], lambda deal: deal_json(deal, user))

    @blp.arguments(NewDealArgs)
    @blp.response(201, DealOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Open a deal by hand (a broker is put on it)."""
        user = require_api_user()
        deal_id, _created = create_once(
            "deal",
            lambda: services.create_deal(
                user,
                args["achievement_id"],
                demand_id=args["demand_id"],
                buyer_org_id=args["buyer_org_id"],
                note=args["note"],
            ),
        )
        return deal_json(queries.get_deal_for(user, deal_id), user, events=True), 201


@blp.route("/deals/<int:deal_id>")
class DealResource(MethodView):
    @blp.response(200, DealOut)
    @errors(blp, 403, 404)
    def get(self, deal_id: int) -> dict[str, Any]:
        """One deal with its timeline (brokers on it or in the queue, admins; the parties
        without the broker's notes, as on the deal page)."""
        user = require_api_user()
        return deal_json(queries.get_deal_for(user, deal_id), user, events=True)

    @blp.arguments(DealPatchArgs)
    @blp.response(200, DealOut)
    @errors(blp, 403, 404, 409)
    def patch(self, args: dict[str, Any], deal_id: int) -> dict[str, Any]:
        """Move the deal to ``stage`` (with ``note``, and ``failure_reason`` when it fails), add a
        ``note`` alone (``note_kind`` ``note`` or ``contact``), or (admin) reassign
        ``broker_id``."""
        user = require_role(require_api_user(), "broker", "admin")
        if not {"stage", "note", "broker_id"} & args.keys():
            raise ValidationError(fields={"stage": _("Send a stage, a note or a broker.")})
        if "broker_id" in args and "stage" in args:
            raise ValidationError(
                fields={"broker_id": _("Reassign the deal and change its stage in two requests.")}
            )
        note = args.get("note", "")
        if "broker_id" in args:
            services.assign_deal(user, deal_id, args["broker_id"], note)
            note = ""
        if "stage" in args:
            stage = args["stage"]
            deal = queries.get_deal_for(user, deal_id)
            if stage == "claimed" and deal.stage == "suggested":
                services.claim_deal(user, deal_id, note)
            elif stage == "suggested" and deal.stage in queries.OPEN_STAGES:
                services.release_deal(user, deal_id, note)
            else:
                services.change_stage(
                    user, deal_id, services.StageChange(stage, note, args.get("failure_reason"))
                )
        elif note and "broker_id" not in args:
            services.add_note(user, deal_id, note, args["note_kind"])
        return deal_json(queries.get_deal_for(user, deal_id), user, events=True)


@blp.route("/deals/<int:deal_id>/claim")
class ClaimResource(MethodView):
    @blp.arguments(ClaimArgs)
    @blp.response(200, DealOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], deal_id: int) -> dict[str, Any]:
        """Take a suggested deal from the queue (brokers)."""
        user = require_api_user()
        deal = services.claim_deal(user, deal_id, args["note"])
        return deal_json(deal, user, events=True)


@blp.route("/deals/<int:deal_id>/release")
class ReleaseResource(MethodView):
    @blp.arguments(ClaimArgs)
    @blp.response(200, DealOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], deal_id: int) -> dict[str, Any]:
        """Give an open deal back to the queue (its broker, or an admin)."""
        user = require_api_user()
        deal = services.release_deal(user, deal_id, args["note"])
        return deal_json(deal, user, events=True)
