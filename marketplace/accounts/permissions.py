"""Role checks used by every service; views and the API never decide permissions alone."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.errors import PermissionDenied, Unauthorized


def require_user(actor: User | None) -> User:
    """The signed-in user, or Unauthorized for anonymous callers.

    Views pass Flask-Login's ``current_user``: for a visitor who is not signed in that is its
    anonymous stand-in (no ``role``, no ``org_id``), which is refused here, so everything after
    this check works with a real ``User``. ``None`` is what the CLI and worker pass.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Unauthorized()
    return actor


def require_role(actor: User | None, *roles: str) -> User:
    """The signed-in user if their role is one of ``roles``, else PermissionDenied."""
    user = require_user(actor)
    if user.role not in roles:
        raise PermissionDenied()
    return user


def is_admin(actor: User | None) -> bool:
    return bool(
        actor is not None and getattr(actor, "is_authenticated", False) and actor.role == "admin"
    )


def same_org(actor: User | None, org_id: int | None) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and org_id is not None
        and actor.org_id == org_id
    )
