"""Web pages of matchmaking events: list, announce, sign up, review, check in, meet, outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.permissions import is_admin, require_role
from marketplace.errors import DomainError
from marketplace.events import appointments, outcomes, queries, services
from marketplace.events import vocab as event_vocab
from marketplace.events.forms import (
    AppointmentForm,
    CheckinForm,
    EventForm,
    OutcomeForm,
    SignupForm,
)
from marketplace.events.models import Event, Signup
from marketplace.events.permissions import (
    can_organise,
    can_record_outcome,
    can_see_participants,
    can_sign_up,
    is_participant,
)
from marketplace.extensions import db
from marketplace.formtools import apply_errors, submit_once
from marketplace.pagination import page_arg
from marketplace.workdays import LOCAL_TZ

bp = Blueprint("events", __name__)

PER_PAGE = 20


@bp.record_once
def _template_vocabularies(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals.update(
        event_types=event_vocab.EVENT_TYPES,
        event_statuses=event_vocab.EVENT_STATUSES,
        signup_statuses=event_vocab.SIGNUP_STATUSES,
        appointment_statuses=event_vocab.APPOINTMENT_STATUSES,
        outcome_kinds=event_vocab.OUTCOME_KINDS,
    )


def _utc(moment: datetime | None) -> datetime | None:
    """A time typed in Beijing time, as the aware UTC moment the services take."""
    return moment.replace(tzinfo=LOCAL_TZ).astimezone(UTC) if moment else None


def _ids(text: str | None) -> list[Any]:
    parts = [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]
    return [int(part) if part.isdigit() and len(part) < 10 else part for part in parts]


@bp.route("/events")
def index() -> ResponseReturnValue:
    page = page_arg()
    pagination = db.paginate(queries.event_query(), page=page, per_page=PER_PAGE, error_out=False)
    year = queries.this_year()
    return render_template(
        "events/list.html",
        pagination=pagination,
        page=page,
        per_page=PER_PAGE,
        year=year,
        year_count=queries.events_in_year(year) if is_admin(current_user) else None,
        may_organise=can_organise(current_user),
    )


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    require_role(current_user, "admin")
    form = EventForm()
    if form.validate_on_submit():
        data = services.EventInput(
            type=form.type.data,
            title=form.title.data,
            starts_at=_utc(form.starts_at.data),
            ends_at=_utc(form.ends_at.data),
            capacity=form.capacity.data,
            place=form.place.data or "",
            online=form.online.data,
            description=form.description.data or "",
            slot_minutes=form.slot_minutes.data,
            listing_ids=_ids(form.listing_ids.data),
            lot_ids=_ids(form.lot_ids.data),
        )
        try:
            event_id = submit_once(
                current_user.id,
                form,
                "event",
                lambda: services.create_event(current_user, data),
                saved=_("The event is announced; sign-up is open."),
                repeated=_("This form had already been sent; here is the event it announced."),
            )
        except DomainError as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("events.detail", event_id=event_id))
    return render_template("events/new.html", form=form), (422 if form.errors else 200)


def _appointment_form(event: Event, mine: Signup | None) -> AppointmentForm:
    form = AppointmentForm()
    others = [s for s in queries.signups(event, "approved") if mine is None or s.id != mine.id]
    form.invitee_signup_id.choices = [(s.id, s.org.name) for s in others]
    form.slot_start.choices = [
        (slot.isoformat(), slot.astimezone(LOCAL_TZ).strftime("%H:%M"))
        for slot in appointments.slots(event)
    ]
    return form


def _outcome_form(event: Event) -> OutcomeForm:
    form = OutcomeForm()
    parties = [(s.org_id, s.org.name) for s in queries.signups(event, "approved")]
    form.seller_org_id.choices = parties
    form.buyer_org_id.choices = parties
    form.achievement_id.choices = [(0, "—")] + [
        (listing.id, listing.title) for listing in event.listings if listing.kind == "achievement"
    ]
    return form


def _render(event: Event, status: int = 200, **forms: Any) -> ResponseReturnValue:
    mine = (
        services.signup_of(event.id, getattr(current_user, "org_id", None))
        if current_user.is_authenticated
        else None
    )
    participant = is_participant(current_user, mine)
    organiser = can_organise(current_user, event)
    context: dict[str, Any] = {
        "event": event,
        "mine": mine,
        "participant": participant,
        "organiser": organiser,
        "may_sign_up": can_sign_up(current_user, event, mine),
        "participants": queries.signups(event, "approved")
        if can_see_participants(current_user, mine)
        else [],
        "appointments": queries.appointments_of(event, None if organiser else mine)
        if organiser or participant
        else [],
        "outcomes": queries.outcomes_of(event, None if organiser else mine.org_id if mine else None)
        if organiser or participant
        else [],
        "report": outcomes.event_report(event) if organiser else None,
        "signup_form": forms.get("signup_form") or SignupForm(formdata=None),
        "checkin_form": forms.get("checkin_form") or CheckinForm(formdata=None),
        "appointment_form": forms.get("appointment_form") or _appointment_form(event, mine),
        "outcome_form": forms.get("outcome_form") or _outcome_form(event),
        "may_record": can_record_outcome(current_user, mine),
        "local_time": lambda moment: moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
    }
    return render_template("events/detail.html", **context), status


@bp.route("/events/<int:event_id>")
def detail(event_id: int) -> ResponseReturnValue:
    return _render(services.get_event(event_id))


@bp.route("/events/<int:event_id>/signup", methods=["POST"])
@login_required
def sign_up(event_id: int) -> ResponseReturnValue:
    event = services.get_event(event_id)
    form = SignupForm()
    if form.validate_on_submit():
        try:
            services.sign_up(current_user, event.id, form.contact.data, form.reason.data)
        except DomainError as error:
            apply_errors(form, error)
        else:
            flash(_("Signed up. The organiser reviews sign-ups; you will be notified."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return _render(event, 422, signup_form=form)


@bp.route("/events/<int:event_id>/signups")
@login_required
def signups(event_id: int) -> ResponseReturnValue:
    require_role(current_user, "admin")
    event = services.get_event(event_id)
    return render_template(
        "events/signups.html",
        event=event,
        signups=queries.signups(event),
        checkin_form=CheckinForm(formdata=None),
    )


@bp.route("/events/signups/<int:signup_id>/review", methods=["POST"])
@login_required
def review_signup(signup_id: int) -> ResponseReturnValue:
    approve = request.form.get("decision") == "approve"
    signup = services.review_signup(
        current_user, signup_id, approve, request.form.get("reason", "")[:600]
    )
    flash(_("Sign-up reviewed."), "success")
    return redirect(url_for("events.signups", event_id=signup.event_id))


@bp.route("/events/<int:event_id>/checkin", methods=["POST"])
@login_required
def check_in(event_id: int) -> ResponseReturnValue:
    event = services.get_event(event_id)
    form = CheckinForm()
    if form.validate_on_submit():
        try:
            signup = services.check_in(current_user, event.id, form.code.data)
        except DomainError as error:
            apply_errors(form, error)
        else:
            flash(_("%(org)s checked in.", org=signup.org.name), "success")
            return redirect(url_for("events.signups", event_id=event.id))
    require_role(current_user, "admin")
    return render_template(
        "events/signups.html", event=event, signups=queries.signups(event), checkin_form=form
    ), 422


def _slot(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@bp.route("/events/<int:event_id>/appointments", methods=["POST"])
@login_required
def request_appointment(event_id: int) -> ResponseReturnValue:
    event = services.get_event(event_id)
    mine = services.signup_of(event.id, current_user.org_id)
    form = _appointment_form(event, mine)
    if form.validate_on_submit():
        try:
            appointments.request_appointment(
                current_user,
                event.id,
                form.invitee_signup_id.data,
                _slot(form.slot_start.data),
                form.topic.data,
            )
        except DomainError as error:
            apply_errors(form, error)
        else:
            flash(_("Meeting requested."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return _render(event, 422, appointment_form=form)


@bp.route("/events/appointments/<int:appointment_id>/answer", methods=["POST"])
@login_required
def answer_appointment(appointment_id: int) -> ResponseReturnValue:
    appointment = appointments.answer_appointment(
        current_user, appointment_id, request.form.get("decision") == "accept"
    )
    flash(_("Answer sent."), "success")
    return redirect(url_for("events.detail", event_id=appointment.event_id))


@bp.route("/events/<int:event_id>/outcomes", methods=["POST"])
@login_required
def record_outcome(event_id: int) -> ResponseReturnValue:
    event = services.get_event(event_id)
    form = _outcome_form(event)
    if form.validate_on_submit():
        data = outcomes.OutcomeInput(
            seller_org_id=form.seller_org_id.data,
            buyer_org_id=form.buyer_org_id.data,
            kind=form.kind.data,
            amount=form.amount.data or None,
            signed_before_event=form.signed_before_event.data,
            achievement_id=form.achievement_id.data or None,
            note=form.note.data or "",
        )
        try:
            outcomes.record_outcome(current_user, event.id, data)
        except DomainError as error:
            apply_errors(form, error)
        else:
            flash(_("Outcome recorded."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return _render(event, 422, outcome_form=form)


@bp.route("/events/outcomes/<int:outcome_id>/deal", methods=["POST"])
@login_required
def follow_up(outcome_id: int) -> ResponseReturnValue:
    outcome = outcomes.follow_up_in_deal(current_user, outcome_id)
    flash(_("A deal was opened to follow this outcome up."), "success")
    return redirect(url_for("deals.detail", deal_id=outcome.deal_id))
