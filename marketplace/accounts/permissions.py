"""Role checks used by every service; views and the API never decide permissions alone."""

from __future__ import annotations

from typing import Any

from marketplace.errors import PermissionDenied, Unauthorized


def require_user(actor: Any) -> Any:
    """The signed-in user, or Unauthorized for anonymous callers."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Unauthorized()
    return actor


def require_role(actor: Any, *roles: str) -> Any:
    """The signed-in user if their role is one of ``roles``, else PermissionDenied."""
    user = require_user(actor)
    if user.role not in roles:
        raise PermissionDenied()
    return user


def is_admin(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False)
                and actor.role == "admin")


def same_org(actor: Any, org_id: int | None) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False)
                and org_id is not None and actor.org_id == org_id)
