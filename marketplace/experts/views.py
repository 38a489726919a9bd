"""Web pages of the expert library (admin curation, an expert's own page)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_role
from marketplace.errors import DomainError, NotFound, PermissionDenied
from marketplace.experts import queries, services, vocab
from marketplace.experts.forms import ExpertForm, StatusForm, TieForm
from marketplace.experts.models import Expert
from marketplace.experts.permissions import (
    can_declare_ties,
    can_manage_experts,
    can_read_report,
    can_view_expert,
)
from marketplace.extensions import db
from marketplace.formtools import apply_errors, submit_once
from marketplace.pagination import page_arg
from marketplace.vocab import FIELDS

bp = Blueprint("experts", __name__)


@bp.record_once
def _template_vocabularies(state: BlueprintSetupState) -> None:
    # Pages of both blueprints show these codes through their labels.
    state.app.jinja_env.globals.update(
        expert_titles=vocab.EXPERT_TITLES,
        expert_tiers=vocab.EXPERT_TIERS,
        expert_statuses=vocab.EXPERT_STATUSES,
        expert_event_kinds=vocab.EXPERT_EVENT_KINDS,
        evaluation_purposes=vocab.EVALUATION_PURPOSES,
        evaluation_statuses=vocab.EVALUATION_STATUSES,
        evaluation_event_kinds=vocab.EVALUATION_EVENT_KINDS,
        can_read_evaluation_report=can_read_report,
    )


PER_PAGE = 30


def _expert_or_404(expert_id: int) -> Expert:
    expert = db.session.get(Expert, expert_id)
    if expert is None or not can_view_expert(current_user, expert):
        raise NotFound(_("No such expert."))
    return expert


@bp.app_template_global()
def expert_profile_of(user: User) -> Expert | None:
    """The signed-in user's own library entry, for the navigation."""
    return queries.expert_of(user)


@bp.route("/experts")
@login_required
def library() -> ResponseReturnValue:
    require_role(current_user, "admin")
    field = request.args.get("field") or None
    status = request.args.get("status") or None
    text = (request.args.get("q") or "").strip()[:100] or None
    field = field if field in FIELDS else None
    status = status if status in vocab.EXPERT_STATUSES else None
    page = page_arg()
    pagination = db.paginate(
        queries.expert_query(field, text, status), page=page, per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "experts/library.html",
        pagination=pagination,
        field=field,
        status=status,
        q=text or "",
        page=page,
        per_page=PER_PAGE,
    )


@bp.route("/experts/me")
@login_required
def my_profile() -> ResponseReturnValue:
    expert = queries.expert_of(current_user)
    if expert is None:
        abort(404)
    return redirect(url_for("experts.profile", expert_id=expert.id))


def _input(form: ExpertForm, user_id: int | None) -> services.ExpertInput:
    return services.ExpertInput(
        user_id=user_id,
        title=form.title.data,
        tier=form.tier.data,
        fields=list(form.fields.data or []),
        speciality=form.speciality.data or "",
    )


@bp.route("/experts/new", methods=["GET", "POST"])
@login_required
def new_expert() -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = ExpertForm()
    if form.validate_on_submit():
        user_id = db.session.execute(
            sa.select(User.id).where(User.email == (form.email.data or "").strip().lower())
        ).scalar_one_or_none()
        try:
            expert_id = submit_once(
                current_user.id,
                form,
                "expert",
                lambda: services.create_expert(current_user, _input(form, user_id)),
                saved=_("Added to the expert library."),
                repeated=_("This form had already been sent; here is the expert it added."),
            )
        except DomainError as error:
            apply_errors(form, error, aliases={"user_id": "email"})
        else:
            return redirect(url_for("experts.profile", expert_id=expert_id))
    return render_template("experts/form.html", form=form, expert=None), (
        422 if form.errors else 200
    )


@bp.route("/experts/<int:expert_id>/edit", methods=["GET", "POST"])
@login_required
def edit_expert(expert_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    expert = _expert_or_404(expert_id)
    form = ExpertForm(obj=expert, email=expert.user.email)
    if form.validate_on_submit():
        try:
            services.update_expert(current_user, expert.id, _input(form, expert.user_id))
        except DomainError as error:
            apply_errors(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("experts.profile", expert_id=expert.id))
    return render_template("experts/form.html", form=form, expert=expert), (
        422 if form.errors else 200
    )


@bp.route("/experts/<int:expert_id>")
@login_required
def profile(expert_id: int) -> ResponseReturnValue:
    expert = _expert_or_404(expert_id)
    return _render_profile(expert, TieForm(formdata=None), StatusForm(formdata=None))


def _render_profile(
    expert: Expert, tie_form: TieForm, status_form: StatusForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "experts/profile.html",
        expert=expert,
        reviews=queries.expert_reviews(expert),
        history=queries.expert_history(expert),
        explain=queries.explain,
        tie_form=tie_form,
        status_form=status_form,
        may_manage=can_manage_experts(current_user),
        may_declare=can_declare_ties(current_user, expert),
    ), status


@bp.route("/experts/<int:expert_id>/ties", methods=["POST"])
@login_required
def declare_tie(expert_id: int) -> ResponseReturnValue:
    expert = _expert_or_404(expert_id)
    if not can_declare_ties(current_user, expert):
        raise PermissionDenied()
    form = TieForm()
    if form.validate_on_submit():
        org_id = db.session.execute(
            sa.select(Organisation.id).where(
                Organisation.name == (form.org_name.data or "").strip()
            )
        ).scalar_one_or_none()
        try:
            services.declare_tie(
                current_user,
                expert.id,
                org_id,
                form.relation.data,
                form.started_on.data,
                form.ended_on.data,
            )
        except DomainError as error:
            apply_errors(form, error, aliases={"org_id": "org_name"})
        else:
            flash(_("Tie declared."), "success")
            return redirect(url_for("experts.profile", expert_id=expert.id))
    return _render_profile(expert, form, StatusForm(formdata=None), 422)


@bp.route("/experts/<int:expert_id>/status", methods=["POST"])
@login_required
def change_status(expert_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    expert = _expert_or_404(expert_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.set_status(
                current_user, expert.id, form.status.data or "", form.note.data or ""
            )
        except DomainError as error:
            apply_errors(form, error)
        else:
            flash(_("Status changed."), "success")
            return redirect(url_for("experts.profile", expert_id=expert.id))
    return _render_profile(expert, TieForm(formdata=None), form, 422)
