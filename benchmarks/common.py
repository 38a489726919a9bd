"""Shared benchmark helpers: a throwaway app with its own database and index."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
if not SHARED_DATA.exists():
    SHARED_DATA = Path("/work/shared/data")


def temp_app(database_url: str | None = None, migrate: bool = True) -> Any:
    """An app on a fresh SQLite database (schema by the migrations) in a temp instance dir."""
    instance = Path(tempfile.mkdtemp(prefix="bench-"))
    os.environ["MARKETPLACE_INSTANCE_DIR"] = str(instance)
    os.environ.setdefault("MARKETPLACE_ENV", "testing")
    from flask_migrate import upgrade

    from config import normalise_database_url
    from marketplace import create_app

    url = database_url or f"sqlite:///{instance / 'bench.db'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(url),
                     SEARCH_INDEX_DIR=str(instance / "search-index"))
    if migrate:
        with app.app_context():
            upgrade()
    return app


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
