"""Which search backend answers this deployment's searches."""

from __future__ import annotations

from flask import current_app

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
