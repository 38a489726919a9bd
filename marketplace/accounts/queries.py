"""Read side of accounts: the administrator's lists, and the organisation and broker choices that
forms across features offer."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db


def organisation_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def broker_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(User)
        .where(User.role == "broker", User.active.is_(True))
        .order_by(User.name, User.email)
    ).scalars()
    return [(user.id, user.display_name) for user in rows]


def organisations_for_admin(status: str) -> sa.Select:
    """Organisations for the administrator, unverified first, newest first; ``status`` is
    ``unverified``, ``verified`` or anything else for all."""
    query = sa.select(Organisation).order_by(Organisation.verified, Organisation.created_at.desc())
    if status == "unverified":
        query = query.where(Organisation.verified.is_(False))
    elif status == "verified":
        query = query.where(Organisation.verified.is_(True))
    return query


def users_for_admin(status: str, q: str = "") -> sa.Select:
    """Users for the administrator, inactive first, newest first; ``status`` ``inactive``
    keeps only those, ``q`` a part of the e-mail address."""
    query = sa.select(User).order_by(User.active, User.created_at.desc())
    if status == "inactive":
        query = query.where(User.active.is_(False))
    if q:
        query = query.where(User.email.contains(q.lower()))
    return query
