"""Who may do what with instruments and bookings (asked by services, views and templates)."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.instruments.models import Booking, Instrument

# Staff of universities, institutes and enterprises own instruments and book them.
MEMBER_ROLES = ("researcher", "enterprise")


def _signed_in(user: User) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_add_instrument(user: User) -> bool:
    return _signed_in(user) and user.role in (*MEMBER_ROLES, "admin")


def can_manage_instrument(user: User, instrument: Instrument) -> bool:
    """Admins, and members of the owner organisation."""
    if not _signed_in(user):
        return False
    return user.role == "admin" or (user.role in MEMBER_ROLES and user.org_id == instrument.org_id)


def can_book(user: User, instrument: Instrument) -> bool:
    return _signed_in(user) and user.role in MEMBER_ROLES and instrument.status == "active"


def can_view_booking(user: User, booking: Booking) -> bool:
    """The requester's organisation, the owner organisation and admins."""
    if not _signed_in(user):
        return False
    return user.role == "admin" or user.org_id in (
        booking.requester_org_id,
        booking.instrument.org_id,
    )


def can_decide_booking(user: User, booking: Booking) -> bool:
    return booking.status == "requested" and can_manage_instrument(user, booking.instrument)


def can_complete_booking(user: User, booking: Booking) -> bool:
    return booking.status == "approved" and can_manage_instrument(user, booking.instrument)


def can_cancel_booking(user: User, booking: Booking) -> bool:
    """The requester's organisation may withdraw a booking that has not been used."""
    return (
        _signed_in(user)
        and booking.status in ("requested", "approved")
        and (user.org_id == booking.requester_org_id or user.role == "admin")
    )
