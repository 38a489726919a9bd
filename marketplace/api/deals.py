"""Brokerage API: POST /interests, GET /deals, POST /deals, claim, release, PATCH /deals/<id>."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.accounts.permissions import require_role
from marketplace.api.common import PageArgs, api_user, paginate, require_api_user
from marketplace.deals import queries, services
from marketplace.deals.models import DEAL_SOURCES, Deal, DealEvent
from marketplace.errors import ValidationError
from marketplace.listings.serialise import listing_json
from marketplace.vocab import DEAL_FAILURE_REASONS, DEAL_STAGES, FIELDS

blp = Blueprint("api_deals", __name__, description="Brokerage: interests and deals")


def event_json(event: DealEvent) -> dict[str, Any]:
    return {
        "id": event.id, "kind": event.kind, "from_stage": event.from_stage,
        "to_stage": event.to_stage, "note": event.note,
        "actor_id": event.actor_id,
        "actor_name": event.actor.display_name if event.actor else None,
        "created_at": event.created_at.isoformat(),
    }


def deal_json(deal: Deal, *, events: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": deal.id, "stage": deal.stage, "source": deal.source,
        "demand_id": deal.demand_id, "achievement_id": deal.achievement_id,
        "buyer_org_id": deal.buyer_org_id, "seller_org_id": deal.seller_org_id,
        "broker_id": deal.broker_id, "failure_reason": deal.failure_reason,
        "score": deal.score, "reasons": list(deal.reasons or []),
        "signed_at": deal.signed_at.isoformat() if deal.signed_at else None,
        "created_at": deal.created_at.isoformat(), "updated_at": deal.updated_at.isoformat(),
        "demand": listing_json(deal.demand) if deal.demand else None,
        "achievement": listing_json(deal.achievement),
    }
    if events:
        data["events"] = [event_json(event) for event in queries.timeline(deal)]
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
    failure_reason = fields.String(allow_none=True,
                                   validate=validate.OneOf(DEAL_FAILURE_REASONS.codes))
    broker_id = fields.Integer(strict=True)


@blp.route("/interests")
class InterestResource(MethodView):
    @blp.arguments(InterestArgs)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Express interest in an achievement (enterprise users); creates or updates a deal."""
        deal, created = services.express_interest(require_api_user(), args["achievement_id"],
                                                  args["demand_id"], args["note"])
        return deal_json(deal), 201 if created else 200


@blp.route("/deals")
class DealsResource(MethodView):
    @blp.arguments(DealListArgs, location="query")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Deals you may see: ``scope=queue`` the unclaimed suggestions and interests,
        ``mine`` the deals you are on (brokers, admins)."""
        user = require_role(api_user(), "broker", "admin")
        query = queries.visible_deals(user, scope=args["scope"], stage=args["stage"],
                                      source=args["source"], field=args["field"],
                                      region=args["region"])
        return paginate(query, args["page"], args["per_page"], deal_json)

    @blp.arguments(NewDealArgs)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Open a deal by hand (a broker is put on it)."""
        deal = services.create_deal(require_api_user(), args["achievement_id"],
                                    demand_id=args["demand_id"],
                                    buyer_org_id=args["buyer_org_id"], note=args["note"])
        return deal_json(deal, events=True), 201


@blp.route("/deals/<int:deal_id>")
class DealResource(MethodView):
    def get(self, deal_id: int) -> dict[str, Any]:
        """One deal with its timeline (brokers on it or in the queue, admins)."""
        user = require_role(api_user(), "broker", "admin")
        return deal_json(queries.get_deal_for(user, deal_id), events=True)

    @blp.arguments(DealPatchArgs)
    def patch(self, args: dict[str, Any], deal_id: int) -> dict[str, Any]:
        """Move the deal to ``stage`` (with ``note``, and ``failure_reason`` when it fails), add a
        ``note`` alone (``note_kind`` ``note`` or ``contact``), or (admin) reassign
        ``broker_id``."""
        user = require_role(require_api_user(), "broker", "admin")
        if not {"stage", "note", "broker_id"} & args.keys():
            raise ValidationError(fields={"stage": _("Send a stage, a note or a broker.")})
        if "broker_id" in args and "stage" in args:
            raise ValidationError(fields={"broker_id": _(
                "Reassign the deal and change its stage in two requests.")})
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
                services.change_stage(user, deal_id, services.StageChange(
                    stage, note, args.get("failure_reason")))
        elif note and "broker_id" not in args:
            services.add_note(user, deal_id, note, args["note_kind"])
        return deal_json(queries.get_deal_for(user, deal_id), events=True)


@blp.route("/deals/<int:deal_id>/claim")
class ClaimResource(MethodView):
    @blp.arguments(ClaimArgs)
    def post(self, args: dict[str, Any], deal_id: int) -> dict[str, Any]:
        """Take a suggested deal from the queue (brokers)."""
        deal = services.claim_deal(require_api_user(), deal_id, args["note"])
        return deal_json(deal, events=True)


@blp.route("/deals/<int:deal_id>/release")
class ReleaseResource(MethodView):
    @blp.arguments(ClaimArgs)
    def post(self, args: dict[str, Any], deal_id: int) -> dict[str, Any]:
        """Give an open deal back to the queue (its broker, or an admin)."""
        deal = services.release_deal(require_api_user(), deal_id, args["note"])
        return deal_json(deal, events=True)
