"""Expert library and evaluations: GET|POST /experts, GET|POST /evaluations, panel, reviews."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.accounts.permissions import require_role
from marketplace.api.common import (
    PageArgs,
    api_user,
    errors,
    output,
    page_of,
    paginate,
    require_api_user,
    timestamp,
)
from marketplace.experts import evaluations, queries, services
from marketplace.experts.models import Evaluation, Expert, Review
from marketplace.experts.permissions import can_form_panel, can_read_report, is_requesting_side
from marketplace.experts.vocab import (
    DIMENSIONS,
    EVALUATION_PURPOSES,
    EXPERT_STATUSES,
    EXPERT_TIERS,
    EXPERT_TITLES,
)
from marketplace.serialise import ListOrEmpty, date_field, timestamp_field
from marketplace.vocab import FIELDS

blp = Blueprint("api_experts", __name__, description="Expert library and evaluations")


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    user = api_user()
    data: dict[str, Any] = {
        "id": evaluation.id,
        "achievement_id": evaluation.achievement_id,
        "application_id": evaluation.application_id,
        "org_id": evaluation.org_id,
        "purpose": evaluation.purpose,
        "field": evaluation.field,
        "panel_size": evaluation.panel_size,
        "status": evaluation.status,
        "note": evaluation.note,
        "created_at": evaluation.created_at.isoformat(),
        "completed_at": evaluation.completed_at.isoformat() if evaluation.completed_at else None,
        "panel": [
            {"expert_id": m.expert_id, "name": m.expert.user.display_name}
            for m in evaluation.members
        ],
    }
    if can_form_panel(user, evaluation) or is_requesting_side(user, evaluation):
        data["exclusions"] = [
            {"expert_id": e.expert_id, "reason": e.reason} for e in evaluation.exclusions
        ]
    report = evaluations.report(evaluation) if can_read_report(user, evaluation) else None
    if report is not None:
        data["report"] = {
            "overall": report.overall,
            "averages": report.averages,
            "reviews": report.reviews,
        }
    return data


class TieOut(Schema):
    org_id = fields.Integer(required=True)
    org = fields.Function(lambda tie: tie.org.name, required=True, metadata={"type": "string"})
    relation = fields.String(required=True)
    started_on = date_field(required=True)
    ended_on = date_field(required=True, allow_none=True)


@output()
class ExpertOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.Function(lambda expert: expert.user.display_name, metadata={"type": "string"})
    unit_org_id = fields.Integer()
    unit = fields.Function(lambda expert: expert.unit.name, metadata={"type": "string"})
    title = fields.String()
    fields_ = ListOrEmpty(fields.String(), data_key="fields", attribute="fields")
    tier = fields.String()
    status = fields.String()
    speciality = fields.String(allow_none=True)
    ties = fields.List(fields.Nested(TieOut))


@output()
class ReviewOut(Schema):
    id = fields.Integer()
    expert_id = fields.Integer()
    expert = fields.Function(
        lambda review: review.expert.user.display_name, metadata={"type": "string"}
    )
    scores = fields.Function(
        lambda review: {code: getattr(review, code) for code in DIMENSIONS.codes},
        metadata={
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "Dimension code → score 0–100",
        },
    )
    comment = fields.String()
    submitted_at = timestamp_field()
    rating = fields.Integer(allow_none=True)


class PanelMemberOut(Schema):
    expert_id = fields.Integer(required=True)
    name = fields.String(required=True)


class ExclusionOut(Schema):
    expert_id = fields.Integer(required=True)
    reason = fields.String(required=True)


class EvaluationReportOut(Schema):
    overall = fields.Float(required=True)
    averages = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    reviews = fields.List(fields.Nested(ReviewOut), required=True)


@output("exclusions", "report")
class EvaluationOut(Schema):
    """An evaluation; ``exclusions`` for the requesting side and administrators, ``report``
    once complete for those who may read it."""

    id = fields.Integer()
    achievement_id = fields.Integer(allow_none=True)
    application_id = fields.Integer(allow_none=True)
    org_id = fields.Integer()
    purpose = fields.String()
    field = fields.String(allow_none=True)
    panel_size = fields.Integer()
    status = fields.String()
    note = fields.String(allow_none=True)
    created_at = timestamp()
    completed_at = timestamp(allow_none=True)
    panel = fields.List(fields.Nested(PanelMemberOut))
    exclusions = fields.List(fields.Nested(ExclusionOut))
    report = fields.Nested(EvaluationReportOut)


class ProposedOut(Schema):
    expert_id = fields.Integer(required=True)
    name = fields.String(required=True)
    field_match = fields.Boolean(required=True)
    open_panels = fields.Integer(required=True)


class ConflictOut(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    detail = fields.String(required=True, allow_none=True)


class ScreenedOut(Schema):
    expert_id = fields.Integer(required=True)
    name = fields.String(required=True)
    conflicts = fields.List(fields.Nested(ConflictOut), required=True)


class CandidatesOut(Schema):
    proposed = fields.List(fields.Nested(ProposedOut), required=True)
    screened_out = fields.List(fields.Nested(ScreenedOut), required=True)


ExpertPage = page_of(ExpertOut, "ExpertPage")
EvaluationPage = page_of(EvaluationOut, "EvaluationPage")


class ExpertListArgs(PageArgs):
    field = fields.String(load_default=None, validate=validate.OneOf(FIELDS.codes))
    status = fields.String(load_default=None, validate=validate.OneOf(EXPERT_STATUSES.codes))
    q = fields.String(load_default=None, validate=validate.Length(max=100))


class NewExpertArgs(Schema):
    user_id = fields.Integer(required=True, strict=True)
    title = fields.String(required=True, validate=validate.OneOf(EXPERT_TITLES.codes))
    fields_ = fields.List(
        fields.String(validate=validate.OneOf(FIELDS.codes)),
        required=True,
        data_key="fields",
        validate=validate.Length(min=1, max=11),
    )
    tier = fields.String(load_default="general", validate=validate.OneOf(EXPERT_TIERS.codes))
    unit_org_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    speciality = fields.String(load_default="", validate=validate.Length(max=services.MAX_TEXT))


class ExclusionArgs(Schema):
    expert_id = fields.Integer(required=True, strict=True)
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=evaluations.MAX_REASON)
    )


class NewEvaluationArgs(Schema):
    achievement_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    application_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    purpose = fields.String(required=True, validate=validate.OneOf(EVALUATION_PURPOSES.codes))
    panel_size = fields.Integer(load_default=3, strict=True, validate=validate.Range(1, 15))
    note = fields.String(load_default="", validate=validate.Length(max=evaluations.MAX_COMMENT))
    exclusions = fields.List(
        fields.Nested(ExclusionArgs),
        load_default=list,
        validate=validate.Length(max=evaluations.MAX_EXCLUSIONS),
    )


class PanelArgs(Schema):
    expert_ids = fields.List(
        fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=15)
    )


class EvaluationReviewArgs(Schema):
    maturity = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    innovation = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    advancement = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    economic_value = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    potential = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    comment = fields.String(
        required=True, validate=validate.Length(min=1, max=evaluations.MAX_COMMENT)
    )


@blp.route("/experts")
class ExpertsResource(MethodView):
    @blp.arguments(ExpertListArgs, location="query")
    @blp.response(200, ExpertPage)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The expert library, searchable by field, status and name (admins)."""
        require_role(api_user(), "admin")
        query = queries.expert_query(args["field"], args["q"], args["status"])
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(NewExpertArgs)
    @blp.response(201, ExpertOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[Expert, int]:
        """Add a user to the library (admins)."""
        expert = services.create_expert(
            require_api_user(),
            services.ExpertInput(
                user_id=args["user_id"],
                title=args["title"],
                fields=args["fields_"],
                tier=args["tier"],
                unit_org_id=args["unit_org_id"],
                speciality=args["speciality"],
            ),
        )
        return expert, 201


@blp.route("/evaluations")
class EvaluationsResource(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, EvaluationPage)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Evaluations you may see: your organisation's, your challenges' applications', the
        panels you sit on; admins see all."""
        query = queries.evaluations_for(require_api_user())
        return paginate(query, args["page"], args["per_page"], evaluation_json)

    @blp.arguments(NewEvaluationArgs)
    @blp.response(201, EvaluationOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Request an evaluation of your achievement, or of an application to your challenge,
        with up to three excluded experts (each with a reason)."""
        request = evaluations.EvaluationRequest(
            purpose=args["purpose"],
            achievement_id=args["achievement_id"],
            application_id=args["application_id"],
            panel_size=args["panel_size"],
            note=args["note"],
            exclusions=[(e["expert_id"], e["reason"]) for e in args["exclusions"]],
        )
        evaluation = evaluations.request_evaluation(require_api_user(), request)
        return evaluation_json(evaluation), 201


@blp.route("/evaluations/<int:evaluation_id>")
class EvaluationResource(MethodView):
    @blp.response(200, EvaluationOut)
    @errors(blp, 403, 404)
    def get(self, evaluation_id: int) -> dict[str, Any]:
        """One evaluation; the report once complete, for those who may read it."""
        return evaluation_json(evaluations.get_evaluation(require_api_user(), evaluation_id))


@blp.route("/evaluations/<int:evaluation_id>/panel")
class PanelResource(MethodView):
    @blp.response(200, CandidatesOut)
    @errors(blp, 403, 404)
    def get(self, evaluation_id: int) -> dict[str, Any]:
        """Proposed experts (no conflicts, same field first) and those screened out, with why
        (admins)."""
        proposed, screened = evaluations.candidates(require_api_user(), evaluation_id)
        return {
            "proposed": [
                {
                    "expert_id": c.expert.id,
                    "name": c.expert.user.display_name,
                    "field_match": c.field_match,
                    "open_panels": c.open_panels,
                }
                for c in proposed
            ],
            "screened_out": [
                {
                    "expert_id": c.expert.id,
                    "name": c.expert.user.display_name,
                    "conflicts": [
                        {"code": x.code, "label": x.label, "detail": x.detail} for x in c.conflicts
                    ],
                }
                for c in screened
            ],
        }

    @blp.arguments(PanelArgs)
    @blp.response(200, EvaluationOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], evaluation_id: int) -> dict[str, Any]:
        """Seat experts on the panel (admins); a conflicted expert is refused with the reasons."""
        evaluation = evaluations.form_panel(require_api_user(), evaluation_id, args["expert_ids"])
        return evaluation_json(evaluation)


@blp.route("/evaluations/<int:evaluation_id>/reviews")
class ReviewsResource(MethodView):
    @blp.arguments(EvaluationReviewArgs)
    @blp.response(201, ReviewOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], evaluation_id: int) -> tuple[Review, int]:
        """Submit your review as a panel member: five scores (0–100) and a comment."""
        comment = args.pop("comment")
        review = evaluations.submit_review(require_api_user(), evaluation_id, args, comment)
        return review, 201
