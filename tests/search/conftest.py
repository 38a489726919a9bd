"""Fixtures of the search tests."""

from __future__ import annotations

import pytest

from marketplace.extensions import db


@pytest.fixture
def pg_app(app):
    """The app searching with the PostgreSQL backend; skipped when the suite runs on SQLite
    (which searches with Whoosh), so these tests run in the suite's PostgreSQL pass."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backend runs when the suite runs on PostgreSQL")
    app.config["SEARCH_BACKEND"] = "postgresql"
    return app
