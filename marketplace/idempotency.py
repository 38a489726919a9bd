"""Create requests that are safe to repeat: a one-time form token (web) or an Idempotency-Key
header (API) names the request; a repeat returns what the first one created."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.errors import Conflict
from marketplace.extensions import Model, db

MAX_KEY_LENGTH = 100


class HasId(Protocol):
    id: int


class IdempotencyKey(Model):
    """One create request, by user and kind of thing created; the key is the client's."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(sa.String(40))
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(sa.String(64), default="")
    resource_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeyReused(Conflict):
    code = "idempotency_key_reused"
    status = 422
    default_message = _l("This Idempotency-Key was already used for a different request.")


class StillRunning(Conflict):
    code = "idempotency_key_in_progress"
    default_message = _l("This request is already being processed; try again in a moment.")


def new_form_token() -> str:
    """A token for one rendering of a create form."""
    return secrets.token_urlsafe(24)


def fingerprint(payload: Any) -> str:
    """A digest of a request body, to tell a repeat from a different request with the same key."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _find(user_id: int, scope: str, key: str) -> IdempotencyKey | None:
    return db.session.execute(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
        )
    ).scalar_one_or_none()


def _earlier(record: IdempotencyKey, digest: str) -> int:
    if digest and record.fingerprint and digest != record.fingerprint:
        raise KeyReused()
    if record.resource_id is None:
        raise StillRunning()
    return record.resource_id


def run_once(
    user_id: int, scope: str, key: str | None, create: Callable[[], HasId], *, digest: str = ""
) -> tuple[int, bool]:
    """Run ``create`` (a service that commits) unless ``key`` already ran for this user and
    scope; return the id of what was created and whether it was created now.

    The key is claimed in the create's own transaction, so two concurrent requests with one
    key cannot both create: the second waits on the unique index and then finds the first.
    """
    key = (key or "").strip()[:MAX_KEY_LENGTH]
    if not key:
        return create().id, True
    record = _find(user_id, scope, key)
    if record is not None:
        return _earlier(record, digest), False
    claim = IdempotencyKey(user_id=user_id, scope=scope, key=key, fingerprint=digest)
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        record = _find(user_id, scope, key)
        if record is None:  # the other request failed and rolled back: ours may run
            return run_once(user_id, scope, key, create, digest=digest)
        return _earlier(record, digest), False
    try:
        created = create()
    except BaseException:
        db.session.rollback()  # the claim goes with the failed create
        raise
    claim.resource_id = created.id
    db.session.commit()
    return created.id, True
