"""Shared benchmark helpers: a throwaway app with its own database and index."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
if not SHARED_DATA.exists():
    SHARED_DATA = Path("/work/shared/data")


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database a benchmark was pointed at if it does not exist yet (a
    fresh server has only ``postgres``); SQLite files are created on first use anyway."""
    from config import normalise_database_url

    url = sa.make_url(normalise_database_url(database_url))
    if not url.drivername.startswith("postgresql"):
        return
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        ).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def temp_app(database_url: str | None = None, migrate: bool = True) -> Any:
    """An app on a fresh SQLite database (schema by the migrations) in a temp instance dir, or
    on the given database (created if missing)."""
    instance = Path(tempfile.mkdtemp(prefix="bench-"))
    os.environ["MARKETPLACE_INSTANCE_DIR"] = str(instance)
    os.environ.setdefault("MARKETPLACE_ENV", "testing")
    from flask_migrate import upgrade

    from config import normalise_database_url
    from marketplace import create_app

    url = database_url or f"sqlite:///{instance / 'bench.db'}"
    ensure_database(url)
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=normalise_database_url(url),
        SEARCH_INDEX_DIR=str(instance / "search-index"),
    )
    if migrate:
        with app.app_context():
            upgrade()
    return app


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
