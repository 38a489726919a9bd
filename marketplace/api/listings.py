"""Achievements and demands over JSON: list, create, read, update, delete, submit, review, close,
and challenge applications. Thin: parse → the listing services → serialise."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, post_dump, validate

from marketplace.api.common import (
    MoneyField,
    PageArgs,
    api_user,
    create_once,
    errors,
    items_of,
    page_of,
    paginate,
    require_api_user,
    timestamp,
)
from marketplace.listings import challenges, queries, services
from marketplace.listings.models import ChallengeApplication, Listing
from marketplace.listings.serialise import (
    CONTACT_FIELDS,
    ApplicationSchema,
    ListingSchema,
    sees_contacts,
)
from marketplace.listings.validation import ListingInput

blp = Blueprint("api_listings", __name__, description="Achievements and demands")

PATHS = {"achievement": "achievements", "demand": "demands"}


class ListArgs(PageArgs):
    q = fields.String(load_default="")
    field = fields.String(load_default="")
    stage = fields.String(load_default="")
    maturity = fields.String(load_default="")
    ip_type = fields.String(load_default="")
    mode = fields.String(load_default="")
    region = fields.String(load_default="")
    min_amount = fields.String(load_default="")
    max_amount = fields.String(load_default="")
    challenge = fields.String(load_default="")
    sort = fields.String(load_default="newest")
    mine = fields.Boolean(
        load_default=False, metadata={"description": "Your organisation's listings, any status"}
    )
    status = fields.String(load_default="", metadata={"description": "With mine=true"})


class _ListingIn(Schema):
    title = fields.String()
    keywords = fields.List(fields.String())
    field = fields.String(allow_none=True)
    modes = fields.List(fields.String())
    region = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    posted_on = fields.String(allow_none=True)


class AchievementIn(_ListingIn):
    summary = fields.String()
    maturity = fields.Integer(allow_none=True, strict=True)
    ip_type = fields.String(allow_none=True)
    patent_numbers = fields.List(fields.String())
    price = MoneyField(allow_none=True)


class DemandIn(_ListingIn):
    description = fields.String()
    budget_min = MoneyField(allow_none=True)
    budget_max = MoneyField(allow_none=True)
    deadline = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    is_challenge = fields.Boolean()
    bounty = MoneyField(allow_none=True)
    applications_open_on = fields.String(allow_none=True)
    applications_close_on = fields.String(allow_none=True)


class AchievementPatch(AchievementIn):
    """The same fields as creation, each optional."""


class DemandPatch(DemandIn):
    """The same fields as creation, each optional."""


SCHEMAS = {"achievement": AchievementIn, "demand": DemandIn}
PATCH_SCHEMAS = {"achievement": AchievementPatch, "demand": DemandPatch}


class ReviewIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    reason = fields.String(load_default="")


class NoteIn(Schema):
    note = fields.String(load_default="")


class ApplicationIn(Schema):
    summary = fields.String(required=True)
    team = fields.String(required=True)
    plan = fields.String(required=True)
    requested_amount = MoneyField(allow_none=True, load_default=None)


class DecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(tuple(challenges.DECISIONS)))
    reason_code = fields.String(required=True)
    note = fields.String(load_default="")


class ListingOut(ListingSchema):
    """A listing as the caller reads it: contact details only when signed in."""

    @post_dump
    def _contacts_for_signed_in(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if not sees_contacts(api_user()):
            for name in CONTACT_FIELDS:
                data.pop(name, None)
        return data


ListingPage = page_of(ListingOut, "ListingPage")


class StatusEventOut(Schema):
    from_status = fields.String(required=True, allow_none=True)
    to_status = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    actor_id = fields.Integer(required=True, allow_none=True)
    created_at = timestamp(required=True)


StatusEvents = items_of(StatusEventOut, "ListingStatusEvents")
ChallengeApplications = items_of(
    ApplicationSchema,
    "ChallengeApplications",
    applications=fields.Integer(required=True),
    shortlisted=fields.Integer(required=True),
)


class MyApplicationOut(ApplicationSchema):
    """An application of the caller's organisation with its challenge's counts."""

    challenge_counts = fields.Method(
        "_counts",
        required=True,
        metadata={
            "type": "object",
            "required": ["applications", "shortlisted"],
            "properties": {"applications": {"type": "integer"}, "shortlisted": {"type": "integer"}},
        },
    )

    def _counts(self, application: ChallengeApplication) -> dict[str, int]:
        counts = challenges.challenge_counts(application.demand_id)
        return {"applications": counts.applications, "shortlisted": counts.shortlisted}


MyApplications = items_of(MyApplicationOut, "MyApplications")


def _register(kind: str) -> None:
    path = f"/{PATHS[kind]}"
    schema = SCHEMAS[kind]

    @blp.route(path, methods=["GET"], endpoint=f"{kind}_list")
    @blp.arguments(ListArgs, location="query", unknown="exclude")
    @blp.response(200, ListingPage)
    @errors(blp)
    def list_listings(args: dict[str, Any]) -> dict[str, Any]:
        """Published listings with filters and pagination; ``mine=true`` lists your
        organisation's listings in every status."""
        filters = queries.ListingFilters.from_args(
            {key: str(value) for key, value in args.items() if key not in ("page", "per_page")}
        )
        if args["mine"]:
            user = require_api_user()
            query = queries.org_listings(kind, user.org_id, filters)
        else:
            query = queries.public_listings(kind, filters)
        return paginate(query, args["page"], args["per_page"])

    @blp.route(path, methods=["POST"], endpoint=f"{kind}_create")
    @blp.arguments(schema)
    @blp.response(201, ListingOut)
    @errors(blp, 403, 409)
    def create(data: dict[str, Any]) -> Listing:
        """Create a draft (researchers: achievements; enterprise users: demands)."""
        user = require_api_user()
        listing_id, _created = create_once(
            kind, lambda: services.create_listing(user, kind, ListingInput.from_mapping(data, kind))
        )
        return services.get_listing_for(user, listing_id, kind)

    @blp.route(f"{path}/<int:listing_id>", methods=["GET"], endpoint=f"{kind}_get")
    @blp.response(200, ListingOut)
    @errors(blp, 403, 404)
    def read(listing_id: int) -> Listing:
        """A listing: anyone if published, otherwise its organisation or an administrator."""
        return services.get_listing_for(api_user(), listing_id, kind)

    @blp.route(f"{path}/<int:listing_id>", methods=["PATCH"], endpoint=f"{kind}_update")
    @blp.arguments(PATCH_SCHEMAS[kind](partial=True))
    @blp.response(200, ListingOut)
    @errors(blp, 403, 404, 409)
    def update(data: dict[str, Any], listing_id: int) -> Listing:
        """Change some fields; an owner's change to a published listing sends it back to
        review (it leaves the public site until approved again)."""
        return services.update_listing(
            require_api_user(), listing_id, ListingInput.from_mapping(data, kind), kind=kind
        )

    @blp.route(f"{path}/<int:listing_id>", methods=["DELETE"], endpoint=f"{kind}_delete")
    @blp.response(204)
    @errors(blp, 403, 404, 409)
    def delete(listing_id: int) -> None:
        """Delete a draft or rejected listing."""
        services.delete_listing(require_api_user(), listing_id, kind=kind)

    @blp.route(f"{path}/<int:listing_id>/submit", methods=["POST"], endpoint=f"{kind}_submit")
    @blp.arguments(NoteIn, required=False)
    @blp.response(200, ListingOut)
    @errors(blp, 403, 404, 409)
    def submit(data: dict[str, Any] | None, listing_id: int) -> Listing:
        """Owner organisation: draft or rejected → pending."""
        note = (data or {}).get("note", "")
        return services.submit_listing(require_api_user(), listing_id, kind=kind, note=note)

    @blp.route(f"{path}/<int:listing_id>/review", methods=["POST"], endpoint=f"{kind}_review")
    @blp.arguments(ReviewIn)
    @blp.response(200, ListingOut)
    @errors(blp, 403, 404, 409)
    def review(data: dict[str, Any], listing_id: int) -> Listing:
        """Administrator: approve or reject (with a reason) a pending listing."""
        return services.review_listing(
            require_api_user(), listing_id, data["decision"], data["reason"], kind=kind
        )

    @blp.route(f"{path}/<int:listing_id>/close", methods=["POST"], endpoint=f"{kind}_close")
    @blp.arguments(NoteIn, required=False)
    @blp.response(200, ListingOut)
    @errors(blp, 403, 404, 409)
    def close(data: dict[str, Any] | None, listing_id: int) -> Listing:
        """Owner organisation or administrator: published → closed."""
        return services.close_listing(
            require_api_user(), listing_id, (data or {}).get("note", ""), kind=kind
        )

    @blp.route(f"{path}/<int:listing_id>/events", methods=["GET"], endpoint=f"{kind}_events")
    @blp.response(200, StatusEvents)
    @errors(blp, 403, 404)
    def events(listing_id: int) -> dict[str, Any]:
        """Status history (owner organisation and administrators)."""
        user = require_api_user()
        listing = services.get_managed_listing(user, listing_id, kind)
        return {
            "items": [
                {
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "note": e.note,
                    "actor_id": e.actor_id,
                    "created_at": e.created_at.isoformat(),
                }
                for e in services.events_for(user, listing)
            ]
        }


for _kind in PATHS:
    _register(_kind)


@blp.route("/demands/<int:listing_id>/applications", methods=["GET"])
@blp.response(200, ChallengeApplications)
@errors(blp, 403, 404)
def list_applications(listing_id: int) -> dict[str, Any]:
    """Applications to a challenge (its organisation and administrators)."""
    items = challenges.applications_for_challenge(require_api_user(), listing_id)
    counts = challenges.challenge_counts(listing_id)
    return {"items": items, "applications": counts.applications, "shortlisted": counts.shortlisted}


@blp.route("/demands/<int:listing_id>/applications", methods=["POST"])
@blp.arguments(ApplicationIn)
@blp.response(201, ApplicationSchema)
@errors(blp, 403, 404, 409)
def apply(data: dict[str, Any], listing_id: int) -> ChallengeApplication:
    """Researchers: apply to an open challenge with a proposal."""
    return challenges.apply_to_challenge(
        require_api_user(), listing_id, challenges.ApplicationInput(**data)
    )


@blp.route("/applications", methods=["GET"])
@blp.response(200, MyApplications)
@errors(blp, 403)
def my_applications() -> dict[str, Any]:
    """Your organisation's applications with their status, reason and the challenge counts."""
    return {"items": challenges.my_applications(require_api_user())}


@blp.route("/applications/<int:application_id>/decision", methods=["POST"])
@blp.arguments(DecisionIn)
@blp.response(200, ApplicationSchema)
@errors(blp, 403, 404, 409)
def decide(data: dict[str, Any], application_id: int) -> ChallengeApplication:
    """The challenge's organisation: shortlist, accept or decline with a reason code."""
    return challenges.decide_application(
        require_api_user(), application_id, data["decision"], data["reason_code"], data["note"]
    )
