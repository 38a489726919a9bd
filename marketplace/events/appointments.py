"""1-on-1 appointments between an event's participants in its slots, never double-booked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_user
from marketplace.database import is_db_id
from marketplace.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from marketplace.events.models import Appointment, AppointmentSeat, Event, Signup
from marketplace.events.permissions import is_participant
from marketplace.events.services import get_event, log, signup_of
from marketplace.extensions import db
from marketplace.notifications.services import notify

MAX_TOPIC = 500


def slots(event: Event) -> list[datetime]:
    """The starts of the appointment slots, from the event's start to its end."""
    step = timedelta(minutes=event.slot_minutes)
    found: list[datetime] = []
    moment = event.starts_at
    while moment + step <= event.ends_at and len(found) < 500:
        found.append(moment)
        moment += step
    return found


def _my_signup(user: User, event: Event) -> Signup:
    signup = signup_of(event.id, user.org_id)
    if not is_participant(user, signup):
        raise PermissionDenied(_("Only approved participants book appointments."))
    assert signup is not None
    return signup


def _taken(signup_id: int, event_id: int, slot: datetime) -> bool:
    return (
        db.session.execute(
            sa.select(AppointmentSeat.id).where(
                AppointmentSeat.event_id == event_id,
                AppointmentSeat.signup_id == signup_id,
                AppointmentSeat.slot_start == slot,
            )
        ).first()
        is not None
    )


def request_appointment(
    actor: User, event_id: int, invitee_signup_id: Any, slot_start: Any, topic: Any = ""
) -> Appointment:
    """A participant asks another for a slot; the other accepts or declines."""
    user = require_user(actor)
    event = get_event(event_id)
    mine = _my_signup(user, event)
    errors: dict[str, str] = {}
    invitee = db.session.get(Signup, invitee_signup_id) if is_db_id(invitee_signup_id) else None
    if invitee is None or invitee.event_id != event.id or invitee.status != "approved":
        errors["invitee_signup_id"] = _("Choose another approved participant.")
    elif invitee.id == mine.id:
        errors["invitee_signup_id"] = _("Choose another participant than your organisation.")
    if not isinstance(slot_start, datetime) or slot_start not in slots(event):
        errors["slot_start"] = _("Choose one of the event's appointment slots.")
    text = str(topic or "").strip()
    if len(text) > MAX_TOPIC:
        errors["topic"] = _("At most %(n)s characters.", n=MAX_TOPIC)
    if errors:
        raise ValidationError(fields=errors)
    assert invitee is not None
    if _taken(mine.id, event.id, slot_start):
        raise Conflict(_("You already have a meeting in this slot."), code="slot_taken")
    appointment = Appointment(
        event_id=event.id,
        slot_start=slot_start,
        requester_id=mine.id,
        invitee_id=invitee.id,
        topic=text,
        status="requested",
    )
    db.session.add(appointment)
    notify(
        kind="appointment_requested",
        params={"title": event.title, "org": mine.org.name},
        org_ids=[invitee.org_id],
        link=f"/events/{event.id}",
    )
    db.session.commit()
    return appointment


def answer_appointment(actor: User, appointment_id: int, accept: bool) -> Appointment:
    """The invitee accepts (both parties' seats in the slot are taken) or declines."""
    user = require_user(actor)
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.invitee.org_id != user.org_id:
        raise NotFound(_("No such appointment request."))
    if appointment.status != "requested":
        raise InvalidTransition(_("This request was already answered."))
    if not accept:
        appointment.status = "declined"
        db.session.commit()
        return appointment
    for signup_id in (appointment.requester_id, appointment.invitee_id):
        if _taken(signup_id, appointment.event_id, appointment.slot_start):
            raise Conflict(_("One of you already has a meeting in this slot."), code="slot_taken")
    appointment.status = "accepted"
    try:
        with db.session.begin_nested():
            # The unique seat per participant and slot is the guarantee (two acceptances at
            # once); the check above only gives the message in the common case.
            db.session.add_all(
                [
                    AppointmentSeat(
                        appointment_id=appointment.id,
                        event_id=appointment.event_id,
                        signup_id=signup_id,
                        slot_start=appointment.slot_start,
                    )
                    for signup_id in (appointment.requester_id, appointment.invitee_id)
                ]
            )
    except IntegrityError as error:
        raise Conflict(
            _("One of you already has a meeting in this slot."), code="slot_taken"
        ) from error
    log(
        get_event(appointment.event_id),
        user,
        "appointment",
        f"{appointment.requester.org.name} · {appointment.invitee.org.name}",
    )
    notify(
        kind="appointment_accepted",
        params={"org": appointment.invitee.org.name},
        org_ids=[appointment.requester.org_id],
        link=f"/events/{appointment.event_id}",
    )
    db.session.commit()
    return appointment
