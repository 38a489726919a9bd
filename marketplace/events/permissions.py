"""Who may see and do what around an event (asked by services, views, the API and templates)."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin
from marketplace.events.models import Event, Signup


def signed_in(user: User) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_organise(user: User, event: Event | None = None) -> bool:
    """Events are the bureau's: admins create them, review sign-ups, check people in."""
    return is_admin(user)


def can_sign_up(user: User, event: Event, existing: Signup | None) -> bool:
    return signed_in(user) and not is_admin(user) and event.status == "open" and existing is None


def is_participant(user: User, signup: Signup | None) -> bool:
    return (
        signed_in(user)
        and signup is not None
        and signup.status == "approved"
        and signup.org_id == user.org_id
    )


def can_see_participants(user: User, signup: Signup | None) -> bool:
    """Who else comes is shown to the organiser and to approved participants, not the public."""
    return is_admin(user) or is_participant(user, signup)


def can_record_outcome(user: User, signup: Signup | None) -> bool:
    return is_admin(user) or is_participant(user, signup)
