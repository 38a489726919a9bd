"""Event use cases: create, present listings, sign up, review sign-ups, check in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role, require_user
from marketplace.auctions.models import Lot
from marketplace.database import is_db_id, utcnow
from marketplace.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from marketplace.events.models import Event, EventLog, Signup
from marketplace.events.permissions import can_sign_up
from marketplace.events.vocab import EVENT_STATUSES, EVENT_TYPES
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.notifications.services import notify

MAX_TITLE = 200
MAX_TEXT = 5000
MAX_LISTINGS = 50
# Lots an event may present: those on offer (a roadshow before or during bidding).
PRESENTED_LOT_STATUSES = ("announced", "registration", "bidding")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the door


@dataclass(frozen=True)
class EventInput:
    type: Any
    title: Any
    starts_at: Any
    ends_at: Any
    capacity: Any
    place: Any = ""
    online: Any = False
    description: Any = ""
    slot_minutes: Any = 20
    listing_ids: list[Any] = field(default_factory=list)
    lot_ids: list[Any] = field(default_factory=list)


def log(event: Event, actor: User | None, kind: str, note: str = "") -> None:
    db.session.add(
        EventLog(event_id=event.id, actor_id=actor.id if actor else None, kind=kind, note=note)
    )


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(_("No such event."))
    return event


def _int(value: Any) -> int | None:
    """The id, if ``value`` can be one (a larger number would fail in the query itself)."""
    return value if is_db_id(value) else None


def _clean(data: EventInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if data.type not in EVENT_TYPES:
        errors["type"] = _("Choose the kind of event.")
    title = str(data.title or "").strip()
    if not title or len(title) > MAX_TITLE:
        errors["title"] = _("Give a title (at most %(n)s characters).", n=MAX_TITLE)
    starts, ends = data.starts_at, data.ends_at
    if not isinstance(starts, datetime) or starts.tzinfo is None:
        errors["starts_at"] = _("Enter when the event begins.")
    elif starts <= utcnow():
        errors["starts_at"] = _("The event must begin in the future.")
    if not isinstance(ends, datetime) or ends.tzinfo is None:
        errors["ends_at"] = _("Enter when the event ends.")
    elif isinstance(starts, datetime) and starts.tzinfo is not None and ends <= starts:
        errors["ends_at"] = _("The end must come after the beginning.")
    capacity = _int(data.capacity)
    if capacity is None or not 1 <= capacity <= 100_000:
        errors["capacity"] = _("Capacity: 1 to 100,000 organisations.")
    slot = _int(data.slot_minutes)
    if slot is None or not 5 <= slot <= 240:
        errors["slot_minutes"] = _("Appointment slots last 5 to 240 minutes.")
    place = str(data.place or "").strip()
    if len(place) > MAX_TITLE:
        errors["place"] = _("At most %(n)s characters.", n=MAX_TITLE)
    if not place and not data.online:
        errors["place"] = _("Give a place, or mark the event as online.")
    description = str(data.description or "").strip()
    if len(description) > MAX_TEXT:
        errors["description"] = _("At most %(n)s characters.", n=MAX_TEXT)
    ids = [i for i in dict.fromkeys(data.listing_ids or []) if _int(i) is not None]
    listings = (
        list(
            db.session.execute(
                sa.select(Listing).where(Listing.id.in_(ids), Listing.status == "published")
            ).scalars()
        )
        if ids
        else []
    )
    if len(ids) > MAX_LISTINGS or len(listings) != len(list(data.listing_ids or [])):
        errors["listing_ids"] = _("Present up to %(n)s published listings.", n=MAX_LISTINGS)
    lot_ids = [i for i in dict.fromkeys(data.lot_ids or []) if _int(i) is not None]
    lots = (
        list(
            db.session.execute(
                sa.select(Lot).where(Lot.id.in_(lot_ids), Lot.status.in_(PRESENTED_LOT_STATUSES))
            ).scalars()
        )
        if lot_ids
        else []
    )
    if len(lot_ids) > MAX_LISTINGS or len(lots) != len(list(data.lot_ids or [])):
        errors["lot_ids"] = _(
            "Present up to %(n)s lots on offer (announced, registration or bidding).",
            n=MAX_LISTINGS,
        )
    if errors:
        raise ValidationError(fields=errors)
    return {
        "type": data.type,
        "title": title,
        "starts_at": starts,
        "ends_at": ends,
        "capacity": capacity,
        "slot_minutes": slot,
        "place": place,
        "online": bool(data.online),
        "description": description,
        "listings": listings,
        "lots": lots,
    }


def create_event(actor: User, data: EventInput) -> Event:
    """An admin announces an event with the listings it presents; sign-up opens at once."""
    admin = require_role(actor, "admin")
    values = _clean(data)
    event = Event(organiser_org_id=admin.org_id, created_by_id=admin.id, status="open", **values)
    db.session.add(event)
    db.session.flush()
    log(event, admin, "created")
    db.session.commit()
    return event


def set_event_status(actor: User, event_id: int, status: str) -> Event:
    admin = require_role(actor, "admin")
    event = get_event(event_id)
    if status not in EVENT_STATUSES:
        raise ValidationError(fields={"status": _("Choose a status.")})
    if event.status in ("finished", "cancelled"):
        raise InvalidTransition(_("A finished or cancelled event cannot change."))
    log(event, admin, "status", status)
    event.status = status
    db.session.commit()
    return event


def signup_of(event_id: int, org_id: int | None) -> Signup | None:
    if org_id is None:
        return None
    return db.session.execute(
        sa.select(Signup).where(Signup.event_id == event_id, Signup.org_id == org_id)
    ).scalar_one_or_none()


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if (
            db.session.execute(sa.select(Signup.id).where(Signup.checkin_code == code)).first()
            is None
        ):
            return code


def sign_up(actor: User, event_id: int, contact: Any, reason: Any = "") -> Signup:
    """An organisation's user signs it up for an event; the organiser reviews it."""
    user = require_user(actor)
    event = get_event(event_id)
    existing = signup_of(event.id, user.org_id)
    if existing is not None:
        raise Conflict(_("Your organisation has already signed up."), code="already_signed_up")
    if not can_sign_up(user, event, existing):
        if event.status != "open":
            raise InvalidTransition(_("Sign-up for this event is closed."))
        raise PermissionDenied()
    errors: dict[str, str] = {}
    contact_text = str(contact or "").strip()
    if not contact_text or len(contact_text) > MAX_TITLE:
        errors["contact"] = _(
            "Give a contact person and phone (at most %(n)s characters).", n=MAX_TITLE
        )
    reason_text = str(reason or "").strip()
    if len(reason_text) > MAX_TEXT:
        errors["reason"] = _("At most %(n)s characters.", n=MAX_TEXT)
    if errors:
        raise ValidationError(fields=errors)
    signup = Signup(
        event_id=event.id,
        org_id=user.org_id,
        user_id=user.id,
        contact=contact_text,
        reason=reason_text,
        status="pending",
        checkin_code=_new_code(),
    )
    db.session.add(signup)
    db.session.flush()
    log(event, user, "signup", user.org.name)
    notify(
        kind="event_signup",
        params={"title": event.title, "org": user.org.name},
        roles=["admin"],
        link=f"/events/{event.id}/signups",
    )
    db.session.commit()
    return signup


def review_signup(actor: User, signup_id: int, approve: bool, reason: str = "") -> Signup:
    """The organiser approves (within capacity) or refuses a sign-up with a reason."""
    admin = require_role(actor, "admin")
    signup = db.session.get(Signup, signup_id)
    if signup is None:
        raise NotFound(_("No such sign-up."))
    event = signup.event
    if signup.status != "pending":
        raise InvalidTransition(_("This sign-up was already reviewed."))
    if approve:
        approved = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Signup)
            .where(Signup.event_id == event.id, Signup.status == "approved")
        ).scalar_one()
        if approved >= event.capacity:
            raise Conflict(
                _("The event is full (%(n)s organisations).", n=event.capacity), code="event_full"
            )
        signup.status = "approved"
    else:
        text = (reason or "").strip()
        if not text or len(text) > 500:
            raise ValidationError(fields={"reason": _("Say why (at most 500 characters).")})
        signup.status, signup.refuse_reason = "refused", text
    log(event, admin, "review", f"{signup.org.name}: {signup.status}")
    notify(
        kind=f"event_signup_{signup.status}",
        params={"title": event.title},
        org_ids=[signup.org_id],
        link=f"/events/{event.id}",
    )
    db.session.commit()
    return signup


def check_in(actor: User, event_id: int, code: Any) -> Signup:
    """At the door: the organiser enters a participant's code (签到). Idempotent per sign-up."""
    admin = require_role(actor, "admin")
    event = get_event(event_id)
    text = str(code or "").strip().upper()
    signup = db.session.execute(
        sa.select(Signup).where(Signup.event_id == event.id, Signup.checkin_code == text)
    ).scalar_one_or_none()
    if signup is None or signup.status != "approved":
        raise ValidationError(fields={"code": _("No approved participant has this code.")})
    if signup.checked_in_at is None:
        signup.checked_in_at = utcnow()
        log(event, admin, "checkin", signup.org.name)
        db.session.commit()
    return signup
