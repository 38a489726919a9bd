"""Read side of events: the lists people browse, participants, appointments, outcomes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.events.models import Appointment, Event, Outcome, Signup
from marketplace.extensions import db
from marketplace.workdays import LOCAL_TZ


def event_query(*, upcoming_only: bool = False) -> sa.Select:
    query = sa.select(Event).where(Event.status != "cancelled")
    if upcoming_only:
        query = query.where(Event.ends_at >= utcnow())
    return query.order_by(Event.starts_at.desc())


def signups(event: Event, status: str | None = None) -> list[Signup]:
    query = sa.select(Signup).where(Signup.event_id == event.id).order_by(Signup.id)
    if status:
        query = query.where(Signup.status == status)
    return list(db.session.execute(query).scalars())


def appointments_of(event: Event, signup: Signup | None = None) -> list[Appointment]:
    query = sa.select(Appointment).where(Appointment.event_id == event.id)
    if signup is not None:
        query = query.where(
            sa.or_(Appointment.requester_id == signup.id, Appointment.invitee_id == signup.id)
        )
    return list(
        db.session.execute(query.order_by(Appointment.slot_start, Appointment.id)).scalars()
    )


def outcomes_of(event: Event, org_id: int | None = None) -> list[Outcome]:
    query = sa.select(Outcome).where(Outcome.event_id == event.id)
    if org_id is not None:
        query = query.where(sa.or_(Outcome.seller_org_id == org_id, Outcome.buyer_org_id == org_id))
    return list(db.session.execute(query.order_by(Outcome.id)).scalars())


def events_in_year(year: int) -> int:
    """How many events took place (not cancelled) in a calendar year — the bureau's KPI."""
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
    return int(
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(Event)
            .where(Event.status != "cancelled", Event.starts_at >= start, Event.starts_at < end)
        ).scalar_one()
    )


def this_year() -> int:
    return datetime.now(LOCAL_TZ).year
