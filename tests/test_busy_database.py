"""SQLite under contention: readers never wait, a write that cannot get the lock in time answers
503 with Retry-After (never 500), and a CLI command gives up with one line, writing nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from kombu.exceptions import OperationalError as KombuOperationalError

from marketplace.accounts.models import Organisation
from marketplace.database import SQLITE_BUSY_TIMEOUT, set_busy_timeout
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.outbox import dispatch
from tests.conftest import ROOT
from tests.factories import PASSWORD, AchievementFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="SQLite's single write lock"
)


@pytest.fixture
def short_wait(app) -> Iterator[None]:
    """Writers give up after half a second (instead of 15 s) on fresh connections."""
    set_busy_timeout(0.5)
    db.session.remove()
    db.engine.dispose()
    yield
    set_busy_timeout(SQLITE_BUSY_TIMEOUT)
    db.session.remove()
    db.engine.dispose()


@contextmanager
def write_lock_held(database: str) -> Iterator[None]:
    """Another process's long write: SQLite's write lock, held until the block ends."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def _path(app) -> str:
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).removeprefix("sqlite:///")


def test_busy_write_answers_503_and_reads_go_on(app, client, short_wait):
    user = UserFactory(role="enterprise")
    listing = AchievementFactory(status="published")
    email, listing_id = user.email, listing.id
    db.session.commit()
    db.session.remove()
    with write_lock_held(_path(app)):
        # Reads do not wait for the writer, a counted page view included.
        assert client.get("/achievements").status_code == 200
        assert client.get(f"/achievements/{listing_id}").status_code == 200
        assert client.get("/api/v1/achievements").status_code == 200
        # Writes wait, then answer 503 "busy" with Retry-After: JSON for the API...
        api = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert api.status_code == 503
        assert api.headers["Retry-After"].isdigit()
        assert api.json["error"]["code"] == "busy" and api.json["error"]["message"]
        # ...and a page for the browser.
        page = client.post("/login", data={"email": email, "password": PASSWORD})
        assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
        assert page.mimetype == "text/html"
    # Once the writer is done, the same request goes through.
    api = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert api.status_code == 200


def test_a_write_after_a_read_waits_for_the_lock_instead_of_failing(app):
    """Regression: a transaction that read and then wrote got "database is locked" at once
    when another process had written meanwhile (the busy timeout did not apply)."""
    listing = AchievementFactory(status="published", view_count=0)
    listing_id = listing.id
    db.session.commit()
    db.session.remove()
    assert db.session.get(Listing, listing_id).view_count == 0  # our read snapshot starts
    released = threading.Event()

    def other_writer() -> None:
        with write_lock_held(_path(app)):
            time.sleep(1.0)
        released.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    time.sleep(0.2)
    db.session.execute(
        sa.update(Listing).where(Listing.id == listing_id).values(view_count=Listing.view_count + 1)
    )
    db.session.commit()
    thread.join()
    assert released.is_set()
    db.session.remove()
    assert db.session.get(Listing, listing_id).view_count == 1


def test_cli_import_gives_up_with_one_line_and_writes_nothing(app, worker_env, tmp_path: Path):
    OrganisationFactory(name="忙碌测试大学", kind="university")
    db.session.commit()
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "\n".join(
            json.dumps(
                {
                    "ref": f"R{i}",
                    "title": f"石墨烯导热膜技术{i}",
                    "summary": "高导热石墨烯薄膜的制备工艺。",
                },
                ensure_ascii=False,
            )
            for i in range(3)
        ),
        encoding="utf-8",
    )
    env = {**worker_env, "MARKETPLACE_CLI_BUSY_TIMEOUT": "1"}
    db.session.remove()
    with write_lock_held(_path(app)):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "marketplace",
                "import",
                "achievements",
                str(data),
                "--org",
                "忙碌测试大学",
                "--publish",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "busy" in errors[0]
    db.session.remove()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar_one() == 0
    assert db.session.execute(
        sa.select(Organisation.id).where(Organisation.name == "忙碌测试大学")
    ).scalar_one()


def test_savepoints_opened_before_the_first_write_survive_taking_the_lock(app):
    listing = AchievementFactory(status="published", view_count=0)
    listing_id = listing.id
    db.session.commit()
    db.session.remove()
    db.session.get(Listing, listing_id)  # read first
    other = sqlite3.connect(_path(app), isolation_level=None)
    other.execute("UPDATE listings SET view_count = view_count + 1 WHERE id = ?", (listing_id,))
    other.close()  # another process wrote (and committed) since our snapshot began
    with db.session.begin_nested():  # SAVEPOINT before the first write
        db.session.execute(
            sa.update(Listing)
            .where(Listing.id == listing_id)
            .values(view_count=Listing.view_count + 5)
        )
    nested = db.session.begin_nested()
    db.session.execute(
        sa.update(Listing)
        .where(Listing.id == listing_id)
        .values(view_count=Listing.view_count + 100)
    )
    nested.rollback()  # only the inner part is undone
    db.session.commit()
    db.session.remove()
    assert db.session.get(Listing, listing_id).view_count == 6


def test_a_busy_embedded_broker_leaves_the_topic_for_the_sweep_in_one_quiet_line(
    app, monkeypatch, caplog
):
    # kombu's SQLAlchemy transport re-raises the broker file's lock as its own error.
    def locked(*_args, **_kwargs):
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError as error:
            raise KombuOperationalError("database is locked") from error

    monkeypatch.setattr(app.extensions["celery"], "send_task", locked)
    with caplog.at_level("INFO", logger="marketplace.outbox"):
        dispatch("search")
    records = [r for r in caplog.records if r.name == "marketplace.outbox"]
    assert [r.levelname for r in records] == ["INFO"]
    assert records[0].exc_info is None and "sweep" in records[0].getMessage()
