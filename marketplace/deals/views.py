"""Broker workspace, deal pages (read-only timeline for the parties) and the interest button."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.permissions import require_role
from marketplace.accounts.queries import broker_choices, organisation_choices
from marketplace.contracts.queries import contracts_of_deal
from marketplace.deals import queries, services
from marketplace.deals.forms import (
    AssignForm,
    ClaimForm,
    InterestForm,
    NewDealForm,
    NoteForm,
    StageForm,
)
from marketplace.errors import DomainError, ValidationError
from marketplace.formtools import apply_errors, submit_once
from marketplace.idempotency import run_once
from marketplace.pagination import page_arg, paginate
from marketplace.vocab import DEAL_STAGES, FIELDS, is_region, regions
from marketplace.workspace.kpis import broker_kpis

bp = Blueprint("deals", __name__)
PER_PAGE = 20


@bp.app_template_global()
def interest_state(listing: Any) -> dict[str, Any]:
    """Used by deals/_interest_button.html on the achievement page."""
    state = queries.interest_state(current_user, listing)
    if state["show"]:
        form = InterestForm()
        form.achievement_id.data = str(listing.id)
        form.demand_id.choices = [("", _("No particular demand"))] + [
            (str(demand.id), demand.title) for demand in state["demands"]
        ]
        state["form"] = form
    return state


def _province_choices() -> list[tuple[str, str]]:
    return [
        (region.code, region.name) for region in regions().values() if region.level == "province"
    ]


@bp.app_context_processor
def deal_helpers() -> dict[str, Any]:
    """The deal permission predicates, for templates (never ``role == ...`` in a template)."""
    return {"deal_can": queries}


@bp.route("/broker")
@login_required
def workspace() -> ResponseReturnValue:
    user = require_role(current_user, "broker", "admin")
    field = request.args.get("field") or None
    field = field if field in FIELDS else None
    region = request.args.get("region") or None
    region = region if is_region(region) else None
    source = request.args.get("source") or None
    source = source if source in ("match", "interest", "manual") else None
    page = page_arg()
    queue_page = paginate(
        queries.visible_deals(user, scope="queue", field=field, region=region, source=source),
        page,
        PER_PAGE,
    )
    queue, queue_total = queue_page.items, queue_page.total
    kpis = broker_kpis(user.id if user.role == "broker" else None)
    return render_template(
        "deals/workspace.html",
        queue=queue,
        queue_total=queue_total,
        page=page,
        per_page=PER_PAGE,
        board=queries.board(user),
        kpis=kpis,
        field=field,
        region=region,
        source=source,
        provinces=_province_choices(),
        claim_form=ClaimForm(),
    )


@bp.route("/deals")
@login_required
def index() -> ResponseReturnValue:
    stage = request.args.get("stage") or None
    stage = stage if stage in DEAL_STAGES else None
    page = page_arg()
    found = paginate(queries.visible_deals(current_user, scope="all", stage=stage), page, PER_PAGE)
    deals, total = found.items, found.total
    return render_template(
        "deals/list.html", deals=deals, total=total, page=page, per_page=PER_PAGE, stage=stage
    )


def _detail_context(deal: Any, **forms: Any) -> dict[str, Any]:
    can_work = queries.can_work(current_user, deal)
    stages = services.TRANSITIONS.get(deal.stage, ())
    assign = AssignForm(prefix="assign")
    assign.broker_id.choices = [(0, "—"), *broker_choices()]
    context: dict[str, Any] = {
        "deal": deal,
        "events": queries.timeline_for(current_user, deal),
        "can_work": can_work,
        # A viewer who is not shown the brokerage record can only be one of the parties.
        "is_party": not queries.sees_brokerage_record(current_user, deal),
        "stage_form": StageForm(prefix="stage", stages=stages),
        "note_form": NoteForm(prefix="note"),
        "assign_form": assign,
        "claim_form": ClaimForm(prefix="claim"),
        "contracts": contracts_of_deal(current_user, deal.id),
    }
    context.update(forms)
    return context


@bp.route("/deals/<int:deal_id>")
@login_required
def detail(deal_id: int) -> ResponseReturnValue:
    deal = queries.get_deal_for(current_user, deal_id)
    return render_template("deals/detail.html", **_detail_context(deal))


def _back(deal_id: int) -> ResponseReturnValue:
    return redirect(url_for("deals.detail", deal_id=deal_id))


def _rerender(deal_id: int, error: DomainError, **forms: Any) -> ResponseReturnValue:
    deal = queries.get_deal_for(current_user, deal_id)
    context = _detail_context(deal, **forms)
    for form in forms.values():
        apply_errors(form, error)
    return render_template("deals/detail.html", **context), error.status


@bp.route("/deals/<int:deal_id>/claim", methods=["POST"])
@login_required
def claim(deal_id: int) -> ResponseReturnValue:
    form = ClaimForm(prefix="claim")
    if not form.validate_on_submit():
        abort(400)
    services.claim_deal(current_user, deal_id, form.note.data or "")
    flash(_("You are now working on this deal."), "success")
    return _back(deal_id)


@bp.route("/deals/<int:deal_id>/release", methods=["POST"])
@login_required
def release(deal_id: int) -> ResponseReturnValue:
    form = ClaimForm(prefix="claim")
    if not form.validate_on_submit():
        abort(400)
    services.release_deal(current_user, deal_id, form.note.data or "")
    flash(_("The deal is back in the queue."), "info")
    return redirect(url_for("deals.workspace"))


@bp.route("/deals/<int:deal_id>/stage", methods=["POST"])
@login_required
def stage(deal_id: int) -> ResponseReturnValue:
    deal = queries.get_deal_for(current_user, deal_id)
    form = StageForm(prefix="stage", stages=services.TRANSITIONS.get(deal.stage, ()))
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            abort(400)
        return render_template("deals/detail.html", **_detail_context(deal, stage_form=form)), 422
    try:
        services.change_stage(
            current_user,
            deal_id,
            services.StageChange(
                form.stage.data or "", form.note.data or "", form.failure_reason.data or None
            ),
        )
    except ValidationError as error:
        return _rerender(deal_id, error, stage_form=form)
    flash(_("Stage changed."), "success")
    return _back(deal_id)


@bp.route("/deals/<int:deal_id>/note", methods=["POST"])
@login_required
def note(deal_id: int) -> ResponseReturnValue:
    deal = queries.get_deal_for(current_user, deal_id)
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            abort(400)
        return render_template("deals/detail.html", **_detail_context(deal, note_form=form)), 422
    _note_id, added = run_once(
        current_user.id,
        "deal_note",
        form.form_token.data,
        lambda: services.add_note(
            current_user, deal_id, form.note.data or "", form.kind.data or "note"
        ),
    )
    if added:
        flash(_("Added to the timeline."), "success")
    else:
        flash(_("This note had already been sent; it is on the timeline once."), "info")
    return _back(deal_id)


@bp.route("/deals/<int:deal_id>/assign", methods=["POST"])
@login_required
def assign(deal_id: int) -> ResponseReturnValue:
    form = AssignForm(prefix="assign")
    if not form.validate_on_submit():
        abort(400)
    try:
        services.assign_deal(current_user, deal_id, form.broker_id.data or 0, form.note.data or "")
    except ValidationError as error:
        form.broker_id.choices = [(0, "—"), *broker_choices()]
        return _rerender(deal_id, error, assign_form=form)
    flash(_("The deal has been assigned."), "success")
    return _back(deal_id)


@bp.route("/deals/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    require_role(current_user, "broker", "admin")
    form = NewDealForm()
    form.buyer_org_id.choices = [(0, "—"), *organisation_choices()]
    if request.method == "GET":
        form.achievement_id.data = request.args.get("achievement", type=int)
        form.demand_id.data = request.args.get("demand", type=int)
    if form.validate_on_submit():
        try:
            deal_id = submit_once(
                current_user.id,
                form,
                "deal",
                lambda: services.create_deal(
                    current_user,
                    form.achievement_id.data or 0,
                    demand_id=form.demand_id.data or None,
                    buyer_org_id=form.buyer_org_id.data or None,
                    note=form.note.data or "",
                ),
                saved=_("Deal opened."),
                repeated=_("This form had already been sent; here is the deal it opened."),
            )
        except DomainError as error:
            if not error.fields:
                raise
            apply_errors(form, error)
        else:
            return _back(deal_id)
    status = 422 if request.method == "POST" else 200
    return render_template("deals/new.html", form=form), status


@bp.route("/interests", methods=["POST"])
@login_required
def express_interest() -> ResponseReturnValue:
    form = InterestForm()
    form.demand_id.choices = []
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            abort(400)
        raise ValidationError(
            fields={name: " ".join(map(str, messages)) for name, messages in form.errors.items()}
        )
    raw_demand = form.demand_id.data or ""
    achievement = form.achievement_id.data or ""
    if not achievement.isdigit() or (raw_demand and not raw_demand.isdigit()):
        raise ValidationError(fields={"achievement_id": _("Choose an achievement.")})
    outcome: dict[str, bool] = {}

    def express() -> Any:
        deal, outcome["new_deal"] = services.express_interest(
            current_user,
            int(achievement),
            int(raw_demand) if raw_demand else None,
            form.note.data or "",
        )
        return deal

    deal_id, sent_now = run_once(current_user.id, "interest", form.form_token.data, express)
    if not sent_now:
        flash(_("This interest had already been sent."), "info")
    elif outcome["new_deal"]:
        flash(_("Thank you. A technology broker will contact you and the owner soon."), "success")
    else:
        flash(_("Your interest was added to the existing deal."), "info")
    return _back(deal_id)
