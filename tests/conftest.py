"""Fixtures: a fresh database and search index per test, clients, sign-in helpers, real workers.

The suite runs on SQLite by default. With DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)
set, the same tests run against those servers (``.ci/run`` does both).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"… under pytest -n


def _per_worker_servers() -> tuple[str | None, str | None]:
    """Give each xdist worker its own PostgreSQL database and Redis database number.

    Tests truncate tables, purge queues and reset rate-limit counters; on shared servers two
    workers would do that to each other.
    """
    database = os.environ.get("DATABASE_URL")
    broker = os.environ.get("CELERY_BROKER_URL")
    if not XDIST_WORKER:
        return database, broker
    number = int(XDIST_WORKER.removeprefix("gw") or 0)
    if database and database.startswith(("postgresql", "postgres")):
        base, _, name = database.rpartition("/")
        worker_name = f"{name}_{XDIST_WORKER}"
        from config import normalise_database_url

        admin = sa.create_engine(normalise_database_url(database), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": worker_name}
            ).first()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{worker_name}"'))
        admin.dispose()
        database = f"{base}/{worker_name}"
    if broker and broker.startswith(("redis://", "rediss://")):
        base, _, _index = broker.rpartition("/")
        broker = f"{base}/{number + 1}"
    return database, broker


SERVER_DATABASE_URL, SERVER_BROKER_URL = _per_worker_servers()
for _name, _value in (
    ("DATABASE_URL", SERVER_DATABASE_URL),
    ("CELERY_BROKER_URL", SERVER_BROKER_URL),
):
    if _value:
        os.environ[_name] = _value

os.environ["MARKETPLACE_ENV"] = "testing"


def pytest_configure(config: pytest.Config) -> None:
    """The suite tests the catalogues as they are in the tree: a .po edited since installation
    is compiled once here, in the controller, before any xdist worker starts."""
    if not hasattr(config, "workerinput"):
        from marketplace.i18n import compile_catalogs

        compile_catalogs()


def wait_for(
    condition: Callable[[], Any],
    timeout: float = 60.0,
    interval: float = 0.2,
    message: str = "condition",
) -> Any:
    """Poll until ``condition()`` is truthy (for work done by other processes)."""
    deadline = time.monotonic() + timeout
    while True:
        for worker in _LIVE_WORKERS:
            worker.assert_alive()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``, as in production.

    Tests keep an app context open for factories and queries, and Flask reuses it for the
    requests they make — so without this, ``g`` (Flask-Login's current user, Flask-Babel's
    locale, the API caller) would leak from one request, or one client, into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the schema once by running every migration from an empty database."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.extensions import db

    instance = tmp_path_factory.mktemp("template-instance")
    url = SERVER_DATABASE_URL or f"sqlite:///{instance / 'template.db'}"
    os.environ["MARKETPLACE_INSTANCE_DIR"] = str(instance)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=_normalise(url))
    with app.app_context():
        if SERVER_DATABASE_URL:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return url


def _normalise(url: str) -> str:
    from config import normalise_database_url

    return normalise_database_url(url)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    """A database of our own for this test: a copy of the template, or a truncated server DB."""
    if SERVER_DATABASE_URL:
        yield template_database
        _truncate_all(template_database)
        return
    source = Path(template_database.removeprefix("sqlite:///"))
    target = tmp_path / "test.db"
    shutil.copyfile(source, target)
    yield f"sqlite:///{target}"


def _truncate_all(url: str) -> None:
    from marketplace.extensions import db

    engine = sa.create_engine(_normalise(url))
    tables = [table.name for table in db.metadata.sorted_tables]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "TRUNCATE TABLE "
                + ", ".join(f'"{t}"' for t in tables)
                + " RESTART IDENTITY CASCADE"
            )
        )
    engine.dispose()


@pytest.fixture
def instance_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setenv("MARKETPLACE_INSTANCE_DIR", str(path))
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(path / "search-index"))
    return path


def _log_nonconforming_responses(app: Any, log_path: str) -> None:
    """On demand (API_CONFORMANCE_LOG=<file>): check every /api/v1 response the suite provokes
    against the OpenAPI document, and append what does not conform to the file."""
    from flask import request

    from tests.api.conformance import ResponseChecker

    checker: list[ResponseChecker] = []

    @app.after_request
    def check(response: Any) -> Any:
        if (
            not request.path.startswith("/api/v1/")
            or request.url_rule is None
            or request.path.endswith("openapi.json")
            or response.direct_passthrough
        ):
            return response
        if not checker:
            checker.append(ResponseChecker(app.extensions["marketplace_api"].spec.to_dict()))
        problems = checker[0].problems(
            request.method,
            request.url_rule.rule,
            response.status_code,
            response.content_type or "",
            response.get_data(),
        )
        if problems:
            with open(log_path, "a", encoding="utf-8") as log:
                for problem in problems:
                    log.write(f"{os.environ.get('PYTEST_CURRENT_TEST', '?')}: {problem}\n")
        return response


@pytest.fixture
def make_app(database_url: str, instance_dir: Path) -> Iterator[Callable[..., Any]]:
    """Build an app on this test's database; keyword overrides go into app.config."""
    from marketplace import create_app
    from marketplace.extensions import db, limiter

    apps: list[Any] = []

    def factory(**overrides: Any) -> Any:
        settings = {
            "SQLALCHEMY_DATABASE_URI": _normalise(database_url),
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": None,
            # The test holds its session across requests (see marketplace.database).
            "SQLITE_IMMEDIATE_REQUESTS": False,
        }
        settings.update(overrides)
        app = create_app("testing", **settings)
        app.test_client_class = FreshGlobalsClient
        if os.environ.get("API_CONFORMANCE_LOG"):
            _log_nonconforming_responses(app, os.environ["API_CONFORMANCE_LOG"])
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            # The storage may be unreachable in a test that broke it on purpose.
            with contextlib.suppress(Exception):
                limiter.reset()
            # Page views not yet folded would land on the next test's listing of the same id.
            with contextlib.suppress(Exception):
                app.extensions["view_counter"].reset()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Iterator[Any]:
    application = make_app()
    with application.app_context():
        yield application


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def csrf_app(make_app: Callable[..., Any]) -> Iterator[Any]:
    """An app with CSRF protection on, as in production."""
    application = make_app(WTF_CSRF_ENABLED=True)
    with application.app_context():
        yield application


# -- users and sign-in -------------------------------------------------------------------------


@pytest.fixture
def make_user(app: Any) -> Callable[..., Any]:
    from tests.factories import UserFactory

    def factory(role: str = "enterprise", **kwargs: Any) -> Any:
        return UserFactory(role=role, **kwargs)

    return factory


@pytest.fixture
def users(make_user: Callable[..., Any]) -> dict[str, Any]:
    """One user per role, each in an organisation of a fitting kind."""
    return {role: make_user(role) for role in ("researcher", "enterprise", "broker", "admin")}


def login(client: Any, user: Any, password: str | None = None) -> Any:
    from tests.factories import PASSWORD

    response = client.post("/login", data={"email": user.email, "password": password or PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def api_headers(client: Any, user: Any) -> dict[str, str]:
    from tests.factories import PASSWORD

    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def login_as(client: Any) -> Callable[[Any], Any]:
    return lambda user: login(client, user)


@pytest.fixture
def auth_headers(client: Any) -> Callable[[Any], dict[str, str]]:
    return lambda user: api_headers(client, user)


# -- real worker processes ---------------------------------------------------------------------


@pytest.fixture
def worker_env(database_url: str, instance_dir: Path, tmp_path: Path) -> dict[str, str]:
    """Environment shared by the test's app and the worker processes it starts."""
    broker = SERVER_BROKER_URL or f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    env = dict(os.environ)
    env.update(
        {
            "MARKETPLACE_ENV": "testing",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker,
            "MARKETPLACE_INSTANCE_DIR": str(instance_dir),
            "SEARCH_INDEX_DIR": str(instance_dir / "search-index"),
        }
    )
    return env


@pytest.fixture
def worker_app(make_app: Callable[..., Any], worker_env: dict[str, str]) -> Iterator[Any]:
    """An app whose tasks go to a real broker that ``start_worker`` processes consume."""
    from config import TestingConfig

    celery_settings = TestingConfig().celery_settings(worker_env["CELERY_BROKER_URL"])
    application = make_app(CELERY=celery_settings)
    if SERVER_BROKER_URL:
        application.extensions["celery"].control.purge()
    with application.app_context():
        yield application


_LIVE_WORKERS: list[WorkerProcess] = []


class ManagedProcess:
    """A ``python -m marketplace …`` subprocess in its own process group, logging to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "marketplace", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.killed = False

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash would."""
        self.killed = True
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        self.killed = True
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")


class WorkerProcess(ManagedProcess):
    def __init__(
        self, env: dict[str, str], queues: str, log_path: Path, beat: bool = False
    ) -> None:
        super().__init__(
            [
                "worker",
                "-Q",
                queues,
                "-c",
                "1",
                "--loglevel",
                "info",
                *(["--beat"] if beat else []),
            ],
            env,
            log_path,
        )

    def assert_alive(self) -> None:
        """Fail at once (with the worker's log) if the worker died on its own."""
        if self.proc.poll() is not None and not self.killed:
            raise AssertionError(
                f"worker exited with {self.proc.returncode}:\n" + self.output()[-4000:]
            )


@pytest.fixture
def start_worker(
    worker_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real ``marketplace worker`` processes (``beat=True``: with the periodic jobs, such
    as the outbox sweep, as ``marketplace up`` runs it); all are stopped after the test."""
    started: list[WorkerProcess] = []

    def start(queues: str = "default,search", beat: bool = False) -> WorkerProcess:
        worker = WorkerProcess(
            worker_env, queues, tmp_path / f"worker-{len(started)}.log", beat=beat
        )
        started.append(worker)
        _LIVE_WORKERS.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        _LIVE_WORKERS.remove(worker)


# -- counts reported by suites (e.g. hostile-input cases tried), summed over xdist workers -------

_TALLIES: dict[str, int] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == "tally" and isinstance(value, dict):
            for key, count in value.items():
                _TALLIES[key] = _TALLIES.get(key, 0) + int(count)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TALLIES:
        terminalreporter.section("counts")
        for key in sorted(_TALLIES):
            terminalreporter.write_line(f"{key}: {_TALLIES[key]}")
