"""Queue notifications through the outbox and deliver them (run by the worker)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from marketplace.accounts.models import User
from marketplace.database import utcnow
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.notifications.messages import render_message
from marketplace.notifications.models import Notification
from marketplace.outbox import enqueue
from marketplace.pagination import paginate

log = logging.getLogger(__name__)


def notify(
    *,
    kind: str,
    params: dict[str, Any],
    user_ids: list[int] | None = None,
    org_ids: list[int] | None = None,
    roles: list[str] | None = None,
    link: str | None = None,
) -> None:
    """Record a notification for users, organisations' users or roles in the current transaction.

    Recipients are resolved by the worker, so the caller's transaction stays short.
    """
    enqueue(
        "notify",
        {
            "kind": kind,
            "params": params,
            "user_ids": sorted(set(user_ids or [])),
            "org_ids": sorted(set(org_ids or [])),
            "roles": sorted(set(roles or [])),
            "link": link,
        },
    )


def _recipients(payload: dict[str, Any]) -> list[User]:
    conditions = []
    if payload.get("user_ids"):
        conditions.append(User.id.in_(payload["user_ids"]))
    if payload.get("org_ids"):
        conditions.append(User.org_id.in_(payload["org_ids"]))
    if payload.get("roles"):
        conditions.append(User.role.in_(payload["roles"]))
    if not conditions:
        return []
    query = sa.select(User).where(sa.or_(*conditions), User.active.is_(True)).order_by(User.id)
    return list(db.session.execute(query).scalars())


def deliver(payload: dict[str, Any], outbox_id: int | None = None) -> int:
    """Write one notification per recipient (idempotent per outbox message), e-mail if set up."""
    delivered = 0
    for user in _recipients(payload):
        if outbox_id is not None:
            exists = db.session.execute(
                sa.select(Notification.id).where(
                    Notification.outbox_id == outbox_id, Notification.user_id == user.id
                )
            ).first()
            if exists:
                continue
        note = Notification(
            user_id=user.id,
            outbox_id=outbox_id,
            kind=payload["kind"],
            params=payload.get("params") or {},
            link=payload.get("link"),
        )
        db.session.add(note)
        if current_app.config.get("MAIL_SERVER"):
            _send_email(user, note)
        delivered += 1
    return delivered


def _send_email(user: User, note: Notification) -> None:
    config = current_app.config
    with force_locale(user.locale or config["BABEL_DEFAULT_LOCALE"]):
        text = render_message(note.kind, note.params)
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = user.email
    message["Subject"] = text[:120]
    message.set_content(text)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
        note.emailed_at = utcnow()
    except (OSError, smtplib.SMTPException):
        # The in-app notification still lands; e-mail is best effort.
        log.warning("could not e-mail notification to %s", user.email, exc_info=True)


def list_notifications(
    user: User, *, page: int = 1, per_page: int = 20
) -> tuple[list[Notification], int]:
    found = paginate(
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc()),
        page,
        per_page,
    )
    return found.items, found.total


def unread_count(user: User) -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def mark_all_read(user: User) -> int:
    result: sa.CursorResult = db.session.execute(  # type: ignore[assignment]
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0


def mark_read(user: User, notification_id: int) -> Notification:
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound()
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note
