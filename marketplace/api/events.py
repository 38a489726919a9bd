"""Matchmaking events: GET|POST /events, sign-ups, check-ins, appointments, outcomes, report."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.accounts.permissions import is_admin
from marketplace.api.common import (
    MoneyField,
    PageArgs,
    api_user,
    decimal_string,
    errors,
    items_of,
    output,
    page_of,
    paginate,
    require_api_user,
    timestamp,
)
from marketplace.errors import PermissionDenied
from marketplace.events import appointments, outcomes, queries, services
from marketplace.events.models import Appointment, Event, Outcome, Signup
from marketplace.events.permissions import can_see_participants, is_participant
from marketplace.events.vocab import EVENT_TYPES, OUTCOME_KINDS
from marketplace.money import money_str
from marketplace.serialise import timestamp_field

blp = Blueprint("api_events", __name__, description="Matchmaking events (对接活动 · 路演)")


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "title": event.title,
        "description": event.description,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "place": event.place,
        "online": event.online,
        "capacity": event.capacity,
        "slot_minutes": event.slot_minutes,
        "status": event.status,
        "organiser_org_id": event.organiser_org_id,
        "listing_ids": [listing.id for listing in event.listings],
        "lot_ids": [lot.id for lot in event.lots],
        "slots": [slot.isoformat() for slot in appointments.slots(event)],
    }


def signup_json(signup: Signup, *, code: bool) -> dict[str, Any]:
    data = {
        "id": signup.id,
        "event_id": signup.event_id,
        "org_id": signup.org_id,
        "org": signup.org.name,
        "status": signup.status,
        "refuse_reason": signup.refuse_reason,
        "checked_in_at": signup.checked_in_at.isoformat() if signup.checked_in_at else None,
    }
    if code:
        data["checkin_code"] = signup.checkin_code
    return data


class EventReportOut(Schema):
    signups = fields.Integer(required=True)
    approved = fields.Integer(required=True)
    checked_in = fields.Integer(required=True)
    meetings = fields.Integer(required=True)
    outcomes = fields.Integer(required=True)
    intents = fields.Integer(required=True)
    intended_amount = decimal_string(required=True, allow_none=True)
    signed_before_event = fields.Integer(required=True)
    followed_in_deals = fields.Integer(required=True)
    converted_intents = fields.Integer(required=True)
    contract_amount = decimal_string(required=True, allow_none=True)
    tech_amount = decimal_string(required=True, allow_none=True)
    conversion = decimal_string(required=True, allow_none=True)


@output("report")
class EventOut(Schema):
    """An event; ``report`` for administrators on the single-event answer."""

    id = fields.Integer()
    type = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    starts_at = timestamp()
    ends_at = timestamp()
    place = fields.String(allow_none=True)
    online = fields.Boolean()
    capacity = fields.Integer()
    slot_minutes = fields.Integer()
    status = fields.String()
    organiser_org_id = fields.Integer(allow_none=True)
    listing_ids = fields.List(fields.Integer())
    lot_ids = fields.List(fields.Integer())
    slots = fields.List(timestamp())
    report = fields.Nested(EventReportOut)


@output("checkin_code")
class SignupOut(Schema):
    """A sign-up; ``checkin_code`` for administrators and the signed-up organisation."""

    id = fields.Integer()
    event_id = fields.Integer()
    org_id = fields.Integer()
    org = fields.String()
    status = fields.String()
    refuse_reason = fields.String(allow_none=True)
    checked_in_at = timestamp(allow_none=True)
    checkin_code = fields.String(allow_none=True)


@output()
class AppointmentOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    slot_start = timestamp_field()
    requester_signup_id = fields.Integer(attribute="requester_id")
    invitee_signup_id = fields.Integer(attribute="invitee_id")
    topic = fields.String(allow_none=True)
    status = fields.String()


@output()
class OutcomeOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    seller_org_id = fields.Integer()
    buyer_org_id = fields.Integer()
    achievement_id = fields.Integer(allow_none=True)
    demand_id = fields.Integer(allow_none=True)
    kind = fields.String()
    amount = MoneyField(allow_none=True)
    signed_before_event = fields.Boolean()
    note = fields.String(allow_none=True)
    deal_id = fields.Integer(allow_none=True)


EventPage = page_of(EventOut, "EventPage")
Signups = items_of(SignupOut, "EventSignups")
Appointments = items_of(AppointmentOut, "EventAppointments")
Outcomes = items_of(OutcomeOut, "EventOutcomes")


class NewEventArgs(Schema):
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES.codes))
    title = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_TITLE))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = fields.Integer(required=True, strict=True)
    place = fields.String(load_default="", validate=validate.Length(max=services.MAX_TITLE))
    online = fields.Boolean(load_default=False)
    description = fields.String(load_default="", validate=validate.Length(max=services.MAX_TEXT))
    slot_minutes = fields.Integer(load_default=20, strict=True)
    listing_ids = fields.List(
        fields.Integer(strict=True),
        load_default=list,
        validate=validate.Length(max=services.MAX_LISTINGS),
    )
    lot_ids = fields.List(
        fields.Integer(strict=True),
        load_default=list,
        validate=validate.Length(max=services.MAX_LISTINGS),
    )


class SignupArgs(Schema):
    contact = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(load_default="", validate=validate.Length(max=services.MAX_TEXT))


class SignupReviewArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "refuse")))
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class CheckinArgs(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=12))


class AppointmentArgs(Schema):
    invitee_signup_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    slot_start = fields.AwareDateTime(required=True)
    topic = fields.String(load_default="", validate=validate.Length(max=appointments.MAX_TOPIC))


class AnswerArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "decline")))


class OutcomeArgs(Schema):
    seller_org_id = fields.Integer(required=True, strict=True)
    buyer_org_id = fields.Integer(required=True, strict=True)
    kind = fields.String(required=True, validate=validate.OneOf(OUTCOME_KINDS.codes))
    amount = MoneyField(load_default=None, allow_none=True)
    signed_before_event = fields.Boolean(load_default=False)
    achievement_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    demand_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    note = fields.String(load_default="", validate=validate.Length(max=5000))


@blp.route("/events")
class EventsResource(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, EventPage)
    @errors(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Announced events, newest first (anyone)."""
        return paginate(queries.event_query(), args["page"], args["per_page"], event_json)

    @blp.arguments(NewEventArgs)
    @blp.response(201, EventOut)
    @errors(blp, 403, 404)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Announce an event with the listings it presents (admins); sign-up opens."""
        event = services.create_event(require_api_user(), services.EventInput(**args))
        return event_json(event), 201


@blp.route("/events/<int:event_id>")
class EventResource(MethodView):
    @blp.response(200, EventOut)
    @errors(blp, 404)
    def get(self, event_id: int) -> dict[str, Any]:
        """One event (anyone); its report for the organiser."""
        event = services.get_event(event_id)
        data = event_json(event)
        if is_admin(api_user()):
            report = outcomes.event_report(event)
            data["report"] = {
                "signups": report.signups,
                "approved": report.approved,
                "checked_in": report.checked_in,
                "meetings": report.meetings,
                "outcomes": report.outcomes,
                "intents": report.intents,
                "intended_amount": money_str(report.intended_amount),
                "signed_before_event": report.signed_before,
                "followed_in_deals": report.followed_in_deals,
                "converted_intents": report.converted,
                "contract_amount": money_str(report.contract_amount),
                "tech_amount": money_str(report.tech_amount),
                "conversion": None if report.conversion is None else format(report.conversion, "f"),
            }
        return data


@blp.route("/events/<int:event_id>/signups")
class SignupsResource(MethodView):
    @blp.response(200, Signups)
    @errors(blp, 403, 404)
    def get(self, event_id: int) -> dict[str, Any]:
        """Approved participants (participants and the organiser); all sign-ups for admins."""
        user = require_api_user()
        event = services.get_event(event_id)
        mine = services.signup_of(event.id, user.org_id)
        if not can_see_participants(user, mine):
            raise PermissionDenied()
        status = None if is_admin(user) else "approved"
        return {
            "items": [
                signup_json(s, code=is_admin(user) or s.id == (mine.id if mine else 0))
                for s in queries.signups(event, status)
            ]
        }

    @blp.arguments(SignupArgs)
    @blp.response(201, SignupOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], event_id: int) -> tuple[dict[str, Any], int]:
        """Sign your organisation up; the organiser reviews it."""
        signup = services.sign_up(require_api_user(), event_id, args["contact"], args["reason"])
        return signup_json(signup, code=False), 201


@blp.route("/events/<int:event_id>/signups/<int:signup_id>/review")
class SignupReviewResource(MethodView):
    @blp.arguments(SignupReviewArgs)
    @blp.response(200, SignupOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], event_id: int, signup_id: int) -> dict[str, Any]:
        """Approve (within capacity) or refuse with a reason (admins)."""
        signup = services.review_signup(
            require_api_user(), signup_id, args["decision"] == "approve", args["reason"]
        )
        return signup_json(signup, code=True)


@blp.route("/events/<int:event_id>/checkins")
class CheckinResource(MethodView):
    @blp.arguments(CheckinArgs)
    @blp.response(200, SignupOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], event_id: int) -> dict[str, Any]:
        """Check a participant in by its code (admins at the door)."""
        return signup_json(services.check_in(require_api_user(), event_id, args["code"]), code=True)


@blp.route("/events/<int:event_id>/appointments")
class AppointmentsResource(MethodView):
    @blp.response(200, Appointments)
    @errors(blp, 403, 404)
    def get(self, event_id: int) -> dict[str, Any]:
        """Your organisation's 1-on-1 meetings at the event (all of them for admins)."""
        user = require_api_user()
        event = services.get_event(event_id)
        mine = services.signup_of(event.id, user.org_id)
        if not (is_admin(user) or is_participant(user, mine)):
            raise PermissionDenied()
        return {"items": queries.appointments_of(event, None if is_admin(user) else mine)}

    @blp.arguments(AppointmentArgs)
    @blp.response(201, AppointmentOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], event_id: int) -> tuple[Appointment, int]:
        """Ask another participant for a meeting in one of the event's slots."""
        appointment = appointments.request_appointment(
            require_api_user(),
            event_id,
            args["invitee_signup_id"],
            args["slot_start"],
            args["topic"],
        )
        return appointment, 201


@blp.route("/appointments/<int:appointment_id>/answer")
class AnswerResource(MethodView):
    @blp.arguments(AnswerArgs)
    @blp.response(200, AppointmentOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], appointment_id: int) -> Appointment:
        """Accept or decline a meeting you were asked for."""
        return appointments.answer_appointment(
            require_api_user(), appointment_id, args["decision"] == "accept"
        )


@blp.route("/events/<int:event_id>/outcomes")
class OutcomesResource(MethodView):
    @blp.response(200, Outcomes)
    @errors(blp, 403, 404)
    def get(self, event_id: int) -> dict[str, Any]:
        """Outcomes of the event: all for admins, your organisation's pairs for participants."""
        user = require_api_user()
        event = services.get_event(event_id)
        mine = services.signup_of(event.id, user.org_id)
        if not (is_admin(user) or is_participant(user, mine)):
            raise PermissionDenied()
        return {"items": queries.outcomes_of(event, None if is_admin(user) else user.org_id)}

    @blp.arguments(OutcomeArgs)
    @blp.response(201, OutcomeOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], event_id: int) -> tuple[Outcome, int]:
        """Record what came of a pair of parties (intent, follow-up, signed; amount)."""
        outcome = outcomes.record_outcome(
            require_api_user(), event_id, outcomes.OutcomeInput(**args)
        )
        return outcome, 201


@blp.route("/events/outcomes/<int:outcome_id>/deal")
class OutcomeDealResource(MethodView):
    @blp.response(200, OutcomeOut)
    @errors(blp, 403, 404, 409)
    def post(self, outcome_id: int) -> Outcome:
        """Open the deal the outcome is followed up in (brokers, admins)."""
        return outcomes.follow_up_in_deal(require_api_user(), outcome_id)
