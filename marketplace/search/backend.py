"""Which search backend answers this deployment's searches."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from marketplace.extensions import db

BACKENDS = ("auto", "whoosh", "postgresql")


def search_backend() -> str:
    """``postgresql`` whenever the database is PostgreSQL (unless ``SEARCH_BACKEND`` says
    ``whoosh``), otherwise the embedded Whoosh index."""
    setting = current_app.config.get("SEARCH_BACKEND", "auto")
    is_postgresql = db.engine.dialect.name == "postgresql"
    if setting == "whoosh" or not is_postgresql:
        return "whoosh"
    return "postgresql"


def database_is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def session_is_postgresql(session: Session) -> bool:
    """Whether this session writes to PostgreSQL (the search upkeep hooks run only there)."""
    try:
        return session.get_bind().dialect.name == "postgresql"
    except Exception:  # an unbound session: nothing to keep current
        return False
