"""Instrument use cases: add and edit instruments, book slots, approve or decline, record usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace import storage
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_user
from marketplace.database import is_db_id, utcnow
from marketplace.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from marketplace.extensions import db
from marketplace.instruments import permissions
from marketplace.instruments.models import HOLDING_STATUSES, Booking, BookingEvent, Instrument
from marketplace.instruments.vocab import (
    BOOKING_STATUSES,
    FEE_UNITS,
    INSTRUMENT_CATEGORIES,
    INSTRUMENT_STATUSES,
)
from marketplace.listings.attachments import ALLOWED_TYPES, Upload, sniff
from marketplace.money import MoneyError, parse_money
from marketplace.notifications.messages import register_coded_params
from marketplace.notifications.services import notify
from marketplace.vouchers.models import Voucher
from marketplace.vouchers.rules import payable

register_coded_params("booking_status", status=BOOKING_STATUSES)

MAX_SLOT = timedelta(days=14)
MAX_AHEAD = timedelta(days=366)
MAX_TEXT = 4000


@dataclass(frozen=True)
class InstrumentData:
    name: str = ""
    model_no: str = ""
    category: str = ""
    location: str = ""
    specification: str = ""
    fee: Decimal | str | None = None  # text is parsed with the strict money parser
    fee_unit: str = "hour"
    open_hours: str = ""
    status: str = "active"
    ref: str | None = None
    org_id: int | None = None  # admins add instruments for an organisation


@dataclass(frozen=True)
class BookingData:
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    purpose: str = ""
    samples: int = 0
    voucher_id: int | None = None


@dataclass(frozen=True)
class UsageData:
    used_minutes: int | None = None
    used_samples: int | None = None
    note: str = ""


# -- instruments ---------------------------------------------------------------------------


def clean_instrument(data: InstrumentData) -> dict[str, Any]:
    """Validated column values of an instrument; ValidationError with per-field messages."""
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("Enter the instrument's name.")
    elif len(name) > 200:
        errors["name"] = _("Use at most 200 characters.")
    if data.category not in INSTRUMENT_CATEGORIES:
        errors["category"] = _("Choose one of the instrument categories.")
    if data.fee_unit not in FEE_UNITS:
        errors["fee_unit"] = _("Choose per hour or per sample.")
    if data.status not in INSTRUMENT_STATUSES:
        errors["status"] = _("Choose one of the statuses.")
    fee = None
    try:
        fee = parse_money(data.fee)
        if fee is None:
            errors["fee"] = _("Enter the fee in yuan (0 if free).")
    except MoneyError as error:
        errors["fee"] = str(error)
    values = {
        "model_no": data.model_no.strip(),
        "location": data.location.strip(),
        "open_hours": data.open_hours.strip(),
        "specification": data.specification.strip(),
    }
    for key, limit in (
        ("model_no", 120),
        ("location", 200),
        ("open_hours", 200),
        ("specification", MAX_TEXT),
    ):
        if len(values[key]) > limit:
            errors[key] = _("Use at most %(n)d characters.", n=limit)
    ref = (data.ref or "").strip() or None
    if ref is not None and len(ref) > 60:
        errors["ref"] = _("Use at most %(n)d characters.", n=60)
    if errors:
        raise ValidationError(fields=errors)
    return {
        "name": name,
        "category": data.category,
        "fee": fee,
        "fee_unit": data.fee_unit,
        "status": data.status,
        "ref": ref,
        **values,
    }


def _owner_org(user: User, org_id: int | None) -> int:
    if user.role == "admin":
        if not is_db_id(org_id) or db.session.get(Organisation, org_id) is None:
            raise ValidationError(fields={"org_id": _("Choose the owner organisation.")})
        return org_id
    if org_id not in (None, user.org_id):
        raise PermissionDenied(_("You can only add instruments of your own organisation."))
    return int(user.org_id)


def create_instrument(actor: User, data: InstrumentData) -> Instrument:
    """Add an instrument to the library (members for their organisation, admins for any)."""
    user = require_user(actor)
    if not permissions.can_add_instrument(user):
        raise PermissionDenied()
    org_id = _owner_org(user, data.org_id)
    values = clean_instrument(data)
    instrument = Instrument(org_id=org_id, created_by_id=user.id, **values)
    db.session.add(instrument)
    _commit_unique_ref()
    return instrument


def update_instrument(actor: User, instrument_id: int, data: InstrumentData) -> Instrument:
    user = require_user(actor)
    instrument = get_instrument(instrument_id)
    if not permissions.can_manage_instrument(user, instrument):
        raise PermissionDenied()
    for key, value in clean_instrument(data).items():
        setattr(instrument, key, value)
    _commit_unique_ref()
    return instrument


def _commit_unique_ref() -> None:
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise ValidationError(
            fields={"ref": _("Your organisation already has an instrument with this reference.")}
        ) from error


def get_instrument(instrument_id: int) -> Instrument:
    instrument = db.session.get(Instrument, instrument_id)
    if instrument is None:
        raise NotFound()
    return instrument


def set_instrument_photo(actor: User, instrument_id: int, upload: Upload) -> Instrument:
    """Replace the instrument's photo (owner organisation, admins); images only, checked by
    their bytes."""
    user = require_user(actor)
    instrument = get_instrument(instrument_id)
    if not permissions.can_manage_instrument(user, instrument):
        raise PermissionDenied()
    mime = sniff(upload, "photo")
    if not mime.startswith("image/"):
        raise ValidationError(fields={"photo": _("Upload a PNG, JPEG, GIF or WebP image.")})
    if instrument.photo_name:
        storage.delete([instrument.photo_name])
    instrument.photo_name = storage.put(upload.data, mime, ALLOWED_TYPES[mime])
    db.session.commit()
    return instrument


def instrument_photo(instrument_id: int) -> str:
    """The stored name of an instrument's photo (public, like the instrument); NotFound if it
    has none."""
    instrument = get_instrument(instrument_id)
    if not instrument.photo_name:
        raise NotFound()
    return instrument.photo_name


# -- bookings ------------------------------------------------------------------------------


def _record(booking: Booking, actor: User, action: str, before: str | None, note: str = "") -> None:
    db.session.add(
        BookingEvent(
            booking_id=booking.id,
            actor_id=getattr(actor, "id", None),
            action=action,
            from_status=before,
            to_status=booking.status,
            note=note,
        )
    )


def _notify(booking: Booking, org_id: int) -> None:
    notify(
        kind="booking_status",
        org_ids=[org_id],
        params={"name": booking.instrument.name, "status": booking.status},
        link=f"/bookings/{booking.id}",
    )


def overlapping(
    instrument_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None
) -> Booking | None:
    """An approved or completed booking of the instrument whose slot meets [starts, ends)."""
    query = sa.select(Booking).where(
        Booking.instrument_id == instrument_id,
        Booking.status.in_(HOLDING_STATUSES),
        Booking.starts_at < ends_at,
        Booking.ends_at > starts_at,
    )
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def _clean_booking(data: BookingData, now: datetime) -> tuple[datetime, datetime]:
    errors: dict[str, str] = {}
    starts, ends = data.starts_at, data.ends_at
    if starts is None:
        errors["starts_at"] = _("Enter when the slot starts.")
    elif starts.tzinfo is None:
        errors["starts_at"] = _("Give the time with its time zone.")
    elif starts < now:
        errors["starts_at"] = _("The slot cannot start in the past.")
    elif starts > now + MAX_AHEAD:
        errors["starts_at"] = _("Book at most a year ahead.")
    if ends is None:
        errors["ends_at"] = _("Enter when the slot ends.")
    elif ends.tzinfo is None:
        errors["ends_at"] = _("Give the time with its time zone.")
    elif starts is not None and starts.tzinfo is not None and ends <= starts:
        errors["ends_at"] = _("The slot must end after it starts.")
    elif starts is not None and starts.tzinfo is not None and ends - starts > MAX_SLOT:
        errors["ends_at"] = _("A slot lasts at most 14 days.")
    if not 0 <= data.samples <= 100000:
        errors["samples"] = _("Enter a number of samples between 0 and 100000.")
    if len(data.purpose) > MAX_TEXT:
        errors["purpose"] = _("Use at most %(n)d characters.", n=MAX_TEXT)
    elif not data.purpose.strip():
        errors["purpose"] = _("Say what the instrument will be used for.")
    if errors:
        raise ValidationError(fields=errors)
    assert starts is not None and ends is not None
    # Whole minutes: slots are shown and compared to the minute.
    return starts.replace(second=0, microsecond=0), ends.replace(second=0, microsecond=0)


def _voucher_for_booking(user: User, instrument: Instrument, voucher_id: int) -> Voucher:
    voucher = db.session.get(Voucher, voucher_id) if is_db_id(voucher_id) else None
    if voucher is None or voucher.org_id != user.org_id:
        raise ValidationError(
            fields={"voucher_id": _("Choose one of your organisation's vouchers.")}
        )
    if voucher.status not in ("ordered", "confirmed"):
        raise ValidationError(
            fields={
                "voucher_id": _(
                    "Only a voucher ordered with this instrument's owner can pay for it."
                )
            }
        )
    if voucher.provider_org_id != instrument.org_id:
        raise ValidationError(
            fields={"voucher_id": _("The voucher was ordered with another provider.")}
        )
    taken = db.session.execute(
        sa.select(Booking.id).where(
            Booking.voucher_id == voucher.id,
            Booking.status.in_(("requested", "approved", "completed")),
        )
    ).first()
    if taken is not None:
        raise ValidationError(
            fields={"voucher_id": _("This voucher already pays for another booking.")}
        )
    return voucher


def request_booking(actor: User, instrument_id: int, data: BookingData) -> Booking:
    """Ask for a slot; refused at once if it meets an approved booking."""
    user = require_user(actor)
    instrument = get_instrument(instrument_id)
    if not permissions.can_book(user, instrument):
        if user.role in permissions.MEMBER_ROLES:
            raise Conflict(_("This instrument is not open for booking."), code="not_bookable")
        raise PermissionDenied()
    starts, ends = _clean_booking(data, utcnow())
    voucher = (
        _voucher_for_booking(user, instrument, data.voucher_id)
        if data.voucher_id is not None
        else None
    )
    clash = overlapping(instrument.id, starts, ends)
    if clash is not None:
        raise Conflict(
            _("That slot overlaps an approved booking; choose another time."),
            code="slot_taken",
            fields={"starts_at": _("This slot is taken.")},
        )
    booking = Booking(
        instrument_id=instrument.id,
        requester_id=user.id,
        requester_org_id=user.org_id,
        starts_at=starts,
        ends_at=ends,
        purpose=data.purpose.strip(),
        samples=data.samples,
        status="requested",
        voucher_id=voucher.id if voucher else None,
    )
    db.session.add(booking)
    db.session.flush()
    _record(booking, user, "request", None, data.purpose.strip()[:200])
    _notify(booking, instrument.org_id)
    db.session.commit()
    return booking


def get_booking_for(actor: User, booking_id: int) -> Booking:
    user = require_user(actor)
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound()
    if not permissions.can_view_booking(user, booking):
        raise PermissionDenied()
    return booking


def _locked_booking(user: User, booking_id: int) -> Booking:
    booking = get_booking_for(user, booking_id)
    # Lock the instrument: decisions on one instrument queue, so the overlap check holds.
    db.session.execute(
        sa.select(Instrument.id).where(Instrument.id == booking.instrument_id).with_for_update()
    )
    db.session.refresh(booking)
    if not permissions.can_manage_instrument(user, booking.instrument):
        raise PermissionDenied()
    return booking


def _reason(text: str, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError(fields={"reason": _("Give a reason.")})
    if len(text) > 2000:
        raise ValidationError(fields={"reason": _("Use at most %(n)d characters.", n=2000)})
    return text


def approve_booking(actor: User, booking_id: int, reason: str = "") -> Booking:
    """Requested → approved by the owner; refused if the slot meets another approved booking."""
    user = require_user(actor)
    booking = _locked_booking(user, booking_id)
    note = _reason(reason, required=False)
    if booking.status != "requested":
        raise InvalidTransition(_("Only a requested booking can be approved."))
    if booking.starts_at < utcnow():
        raise Conflict(_("The slot has already started; decline it instead."), code="slot_past")
    if overlapping(booking.instrument_id, booking.starts_at, booking.ends_at, booking.id):
        raise Conflict(
            _("That slot overlaps an approved booking; decline this one."), code="slot_taken"
        )
    booking.status = "approved"
    booking.decided_by_id, booking.decided_at = user.id, utcnow()
    booking.decision_reason = note
    _record(booking, user, "approve", "requested", note)
    _notify(booking, booking.requester_org_id)
    try:
        db.session.commit()
    except IntegrityError as error:
        # The database's own overlap rule (exclusion constraint / trigger) caught a race.
        db.session.rollback()
        raise Conflict(
            _("That slot overlaps an approved booking; decline this one."), code="slot_taken"
        ) from error
    return booking


def decline_booking(actor: User, booking_id: int, reason: str) -> Booking:
    """Requested → declined with a reason (owner)."""
    user = require_user(actor)
    booking = _locked_booking(user, booking_id)
    note = _reason(reason, required=True)
    if booking.status != "requested":
        raise InvalidTransition(_("Only a requested booking can be declined."))
    booking.status = "declined"
    booking.decided_by_id, booking.decided_at = user.id, utcnow()
    booking.decision_reason = note
    _record(booking, user, "decline", "requested", note)
    _notify(booking, booking.requester_org_id)
    db.session.commit()
    return booking


def cancel_booking(actor: User, booking_id: int, reason: str = "") -> Booking:
    """The requester withdraws a booking before it is used."""
    user = require_user(actor)
    booking = get_booking_for(user, booking_id)
    if not permissions.can_cancel_booking(user, booking):
        if booking.status not in ("requested", "approved"):
            raise InvalidTransition(_("This booking can no longer be cancelled."))
        raise PermissionDenied()
    before = booking.status
    booking.status = "cancelled"
    _record(booking, user, "cancel", before, _reason(reason, required=False))
    _notify(booking, booking.instrument.org_id)
    db.session.commit()
    return booking


def booking_fee(instrument: Instrument, used_minutes: int, used_samples: int) -> Decimal:
    """The fee of a use: per started minute of the hourly rate, or per sample."""
    if instrument.fee_unit == "sample":
        amount = instrument.fee * used_samples
    else:
        amount = instrument.fee * Decimal(used_minutes) / 60
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def complete_booking(actor: User, booking_id: int, usage: UsageData) -> Booking:
    """Approved → completed: the owner records the usage; the fee and the voucher's part follow."""
    user = require_user(actor)
    booking = _locked_booking(user, booking_id)
    if booking.status != "approved":
        raise InvalidTransition(_("Only an approved booking can be completed."))
    errors: dict[str, str] = {}
    slot_minutes = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
    minutes = usage.used_minutes if usage.used_minutes is not None else slot_minutes
    samples = usage.used_samples if usage.used_samples is not None else booking.samples
    if not 0 <= minutes <= slot_minutes:
        errors["used_minutes"] = _(
            "Enter the minutes used, at most the %(n)d of the slot.", n=slot_minutes
        )
    if not 0 <= samples <= 100000:
        errors["used_samples"] = _("Enter a number of samples between 0 and 100000.")
    if len(usage.note) > MAX_TEXT:
        errors["note"] = _("Use at most %(n)d characters.", n=MAX_TEXT)
    if booking.starts_at > utcnow():
        errors["used_minutes"] = _("Usage can be recorded once the slot has started.")
    if errors:
        raise ValidationError(fields=errors)
    fee = booking_fee(booking.instrument, minutes, samples)
    booking.used_minutes, booking.used_samples = minutes, samples
    booking.fee, booking.usage_note = fee, usage.note.strip()
    booking.completed_at = utcnow()
    if booking.voucher_id is not None:
        voucher = db.session.get(Voucher, booking.voucher_id)
        if voucher is not None and voucher.order_amount is not None:
            booking.voucher_amount = payable(voucher.scheme, fee, voucher.order_amount)
    booking.status = "completed"
    _record(booking, user, "complete", "approved", usage.note.strip()[:200])
    _notify(booking, booking.requester_org_id)
    db.session.commit()
    return booking
