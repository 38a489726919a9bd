"""Web pages of evaluations: request, panel formation, reviews, the report."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.errors import DomainError, NotFound
from marketplace.experts import evaluations, queries
from marketplace.experts.forms import EvaluationForm, PanelForm, RateForm, ReviewForm
from marketplace.experts.models import Evaluation
from marketplace.experts.permissions import (
    can_form_panel,
    can_rate_reviews,
    can_read_report,
    can_review,
    is_requesting_side,
)
from marketplace.experts.report_pdf import report_pdf as render_report_pdf
from marketplace.experts.vocab import DIMENSIONS
from marketplace.extensions import db
from marketplace.formtools import apply_errors, submit_once
from marketplace.pagination import page_arg

bp = Blueprint("evaluations", __name__)

PER_PAGE = 30


@bp.app_template_global()
def evaluation_badge(achievement_id: int) -> Evaluation | None:
    """The completed evaluation behind an achievement's public badge, if any."""
    return evaluations.badge_for(achievement_id)


@bp.route("/evaluations")
@login_required
def index() -> ResponseReturnValue:
    page = page_arg()
    pagination = db.paginate(
        queries.evaluations_for(current_user), page=page, per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "evaluations/list.html", pagination=pagination, page=page, per_page=PER_PAGE
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


def _exclusion_choices() -> list[tuple[int, str]]:
    experts = db.session.execute(queries.expert_query(status=None)).scalars()
    return [(0, "—")] + [
        (expert.id, f"{expert.user.display_name} · {expert.unit.name}")
        for expert in experts
        if expert.status != "removed"
    ]


@bp.route("/evaluations/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    achievement_id, application_id = _int_arg("achievement_id"), _int_arg("application_id")
    form = EvaluationForm()
    choices = _exclusion_choices()
    for index in (1, 2, 3):
        getattr(form, f"exclude_{index}").choices = choices
    if form.validate_on_submit():
        exclusions = [
            (getattr(form, f"exclude_{i}").data, getattr(form, f"reason_{i}").data)
            for i in (1, 2, 3)
            if getattr(form, f"exclude_{i}").data
        ]
        data = evaluations.EvaluationRequest(
            purpose=form.purpose.data,
            achievement_id=achievement_id,
            application_id=application_id,
            panel_size=form.panel_size.data,
            note=form.note.data or "",
            exclusions=exclusions,
        )
        try:
            evaluation_id = submit_once(
                current_user.id,
                form,
                "evaluation",
                lambda: evaluations.request_evaluation(current_user, data),
                saved=_("Evaluation requested. The bureau will form a panel."),
                repeated=_("This form had already been sent; here is the evaluation it requested."),
            )
        except DomainError as error:
            apply_errors(
                form, error, aliases={"exclusions": "exclude_1", "achievement_id": "purpose"}
            )
        else:
            return redirect(url_for("evaluations.detail", evaluation_id=evaluation_id))
    return render_template("evaluations/new.html", form=form), (422 if form.errors else 200)


def _render(
    evaluation: Evaluation,
    *,
    panel_form: PanelForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    proposed: list[evaluations.Candidate] = []
    screened: list[evaluations.Candidate] = []
    if can_form_panel(current_user, evaluation):
        proposed, screened = evaluations.candidates(current_user, evaluation.id)
    return render_template(
        "evaluations/detail.html",
        evaluation=evaluation,
        proposed=proposed,
        screened=screened,
        panel_form=panel_form or PanelForm(formdata=None),
        review_form=review_form or ReviewForm(formdata=None),
        rate_form=RateForm(formdata=None),
        report=evaluations.report(evaluation)
        if can_read_report(current_user, evaluation)
        else None,
        dimensions=DIMENSIONS,
        history=queries.evaluation_history(evaluation),
        may_form_panel=can_form_panel(current_user, evaluation),
        may_review=can_review(current_user, evaluation),
        may_rate=can_rate_reviews(current_user, evaluation),
        sees_exclusions=can_form_panel(current_user, evaluation)
        or is_requesting_side(current_user, evaluation),
    ), status


@bp.route("/evaluations/<int:evaluation_id>")
@login_required
def detail(evaluation_id: int) -> ResponseReturnValue:
    return _render(evaluations.get_evaluation(current_user, evaluation_id))


@bp.route("/evaluations/<int:evaluation_id>/panel", methods=["POST"])
@login_required
def form_panel(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluations.get_evaluation(current_user, evaluation_id)
    form = PanelForm()
    if form.validate_on_submit():
        try:
            evaluations.form_panel(current_user, evaluation.id, list(form.expert_ids.data or []))
        except DomainError as error:
            apply_errors(form, error)
            if error.fields:
                flash(error.message, "danger")
        else:
            flash(_("The panel was formed; its experts were notified."), "success")
            return redirect(url_for("evaluations.detail", evaluation_id=evaluation.id))
    return _render(evaluation, panel_form=form, status=422)


@bp.route("/evaluations/<int:evaluation_id>/review", methods=["POST"])
@login_required
def review(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluations.get_evaluation(current_user, evaluation_id)
    form = ReviewForm()
    if form.validate_on_submit():
        scores = {term.code: getattr(form, term.code).data for term in DIMENSIONS}
        try:
            evaluations.submit_review(current_user, evaluation.id, scores, form.comment.data)
        except DomainError as error:
            apply_errors(form, error)
        else:
            flash(_("Your review was submitted."), "success")
            return redirect(url_for("evaluations.detail", evaluation_id=evaluation.id))
    return _render(evaluation, review_form=form, status=422)


@bp.route("/evaluations/<int:evaluation_id>/report.pdf")
@login_required
def report_pdf(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluations.get_evaluation(current_user, evaluation_id)
    report = evaluations.report(evaluation) if can_read_report(current_user, evaluation) else None
    if report is None:
        raise NotFound(_("The report is ready once every panel member has reviewed."))
    return Response(
        render_report_pdf(report),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="evaluation-{evaluation.id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/evaluations/reviews/<int:review_id>/rate", methods=["POST"])
@login_required
def rate(review_id: int) -> ResponseReturnValue:
    form = RateForm()
    rating = form.rating.data if form.validate_on_submit() else None
    try:
        review = evaluations.rate_review(current_user, review_id, rating)
    except DomainError as error:
        flash(error.fields.get("rating", error.message), "danger")
        return redirect(url_for("evaluations.index"))
    flash(_("Rating saved."), "success")
    return redirect(url_for("evaluations.detail", evaluation_id=review.evaluation_id))
