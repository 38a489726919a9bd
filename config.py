"""Configuration classes; the only module that reads environment variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigurationError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Pick the psycopg 3 driver for bare PostgreSQL URLs (SQLAlchemy defaults to psycopg2)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _generated_secret(instance_dir: Path) -> str:
    # A fixed fallback secret would let anyone forge sessions on a forgotten dev box,
    # so each instance generates its own once and keeps it beside its data.
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


class Config:
    """Settings shared by every environment; subclasses adjust what differs."""

    DEBUG = False
    TESTING = False

    def __init__(self) -> None:
        instance = _env("MARKETPLACE_INSTANCE_DIR", "instance") or "instance"
        self.INSTANCE_DIR = Path(instance).resolve()
        self.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)

        database_url = _env("DATABASE_URL")
        self.DATABASE_IS_DEFAULT = database_url is None
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            database_url or f"sqlite:///{self.INSTANCE_DIR / 'marketplace.db'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLALCHEMY_RECORD_QUERIES = False

        self.SECRET_KEY = _env("SECRET_KEY") or self.default_secret_key()
        self.SEARCH_INDEX_DIR = str(
            Path(_env("SEARCH_INDEX_DIR") or self.INSTANCE_DIR / "search-index").resolve()
        )
        # Uploads live in the database (marketplace.storage); this folder is only where older
        # installations kept them, read once by the migration that moves them into the database.
        self.UPLOAD_DIR = str(self.INSTANCE_DIR / "uploads")
        # auto: PostgreSQL full-text search when the database is PostgreSQL (no index files on
        # web hosts), the embedded Whoosh index otherwise; "whoosh" forces the index.
        self.SEARCH_BACKEND = _env("SEARCH_BACKEND", "auto") or "auto"
        if self.SEARCH_BACKEND not in ("auto", "whoosh", "postgresql"):
            raise ConfigurationError(
                f"SEARCH_BACKEND must be auto, whoosh or postgresql, not {self.SEARCH_BACKEND!r}"
            )

        broker = _env("CELERY_BROKER_URL")
        self.CELERY_BROKER_IS_DEFAULT = broker is None
        self.CELERY = self.celery_settings(broker or self.default_broker_url())

        # Counters must be shared by every web process; Redis does that in production.
        redis_url = broker if broker and broker.startswith(("redis://", "rediss://")) else None
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI") or redis_url or "memory://"
        # Listing page views are counted there too and folded into the database by beat; with
        # no Redis each web process folds its own every VIEW_FOLD_SECONDS.
        self.VIEW_COUNTER_URL = _env("VIEW_COUNTER_URL") or redis_url
        self.VIEW_FOLD_SECONDS = float(_env("VIEW_FOLD_SECONDS", "30") or 30)

        # Seconds a maintenance command (import, seed, reindex…) waits for SQLite's write lock
        # while the site runs, before it gives up with one line.
        self.CLI_BUSY_TIMEOUT = float(_env("MARKETPLACE_CLI_BUSY_TIMEOUT", "120") or 120)

        self.MAIL_SERVER = _env("SMTP_HOST")
        self.MAIL_PORT = int(_env("SMTP_PORT", "25") or 25)
        self.MAIL_USERNAME = _env("SMTP_USER")
        self.MAIL_PASSWORD = _env("SMTP_PASSWORD")
        self.MAIL_USE_TLS = (_env("SMTP_STARTTLS", "0") or "0") == "1"
        self.MAIL_SENDER = _env("MAIL_SENDER", "noreply@marketplace.local")

    # -- defaults that subclasses override -------------------------------------------------
    def default_secret_key(self) -> str:
        return _generated_secret(self.INSTANCE_DIR)

    def default_broker_url(self) -> str:
        # kombu's SQLAlchemy transport keeps the queue in a SQLite file: a real broker, no server.
        return f"sqla+sqlite:///{self.INSTANCE_DIR / 'celery-broker.sqlite'}"

    def celery_settings(self, broker_url: str) -> dict:
        return {
            "broker_url": broker_url,
            "result_backend": None,
            "task_ignore_result": True,
            "task_serializer": "json",
            "accept_content": ["json"],
            "result_serializer": "json",
            "timezone": "Asia/Shanghai",
            "enable_utc": True,
            # A killed worker's task goes back on the queue instead of vanishing.
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_transport_options": self.transport_options(broker_url),
            "task_default_queue": "default",
            # Matching ranks with an in-memory model of every published listing (match_corpus),
            # built once per process: the single search-queue process keeps the only copy.
            "task_routes": {
                "worker.tasks.search.*": {"queue": "search"},
                "worker.tasks.matching.*": {"queue": "search"},
            },
            "broker_connection_retry_on_startup": True,
            "beat_schedule_filename": str(self.INSTANCE_DIR / "celerybeat-schedule"),
        }

    @staticmethod
    def transport_options(broker_url: str) -> dict:
        if broker_url.startswith(("redis://", "rediss://")):
            # Unacknowledged tasks come back after this long: longer than the slowest job
            # (a full statistics recompute or reindex), so nothing runs twice by accident.
            return {"visibility_timeout": 3600}
        # kombu's SQLAlchemy transport passes its options to create_engine(): none wanted.
        return {}

    # Static, environment-independent settings -------------------------------------------
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session they belong to
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    # JSON request bodies (marketplace/boundary.py): the largest real one, a contract with its
    # line items, is a few KiB, three levels deep and a few hundred values.
    JSON_MAX_BYTES = 1024 * 1024
    JSON_MAX_DEPTH = 32
    JSON_MAX_VALUES = 10_000
    JSON_MAX_NUMBER_CHARS = 40
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "20 per 15 minutes"
    FORCE_HTTPS = False
    ARGON2_PARAMS: dict | None = None  # None = argon2-cffi defaults (RFC 9106)
    MATCH_SUGGESTION_MIN_SCORE = 0.55
    OUTBOX_SWEEP_SECONDS = 5.0
    API_PER_PAGE_MAX = 100
    # The registration office (登记机构) named on certificates and bulletins.
    REGISTRY_OFFICE_NAME = "科技大市场技术合同认定登记处"
    # Working days a submitted contract may wait before the registrar's worklist flags it.
    REGISTRATION_TARGET_WORKING_DAYS = 5
    # Public certificate checks per client address (guessing codes must stay impractical).
    VERIFY_LIMIT_PER_ADDRESS = "30 per minute"


class DevelopmentConfig(Config):
    DEBUG = False  # the demo server runs without the debugger so it is safe on a LAN


class TestingConfig(Config):
    TESTING = True
    # Cheap Argon2 so hundreds of sign-ins stay fast; never used outside the test suite.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024}

    def default_secret_key(self) -> str:
        return secrets.token_urlsafe(32)

    def default_broker_url(self) -> str:
        # Unit tests only need publishing to succeed; job tests start real workers on a file broker.
        return "memory://"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = _env("FORCE_HTTPS", "0") == "1"

    def __init__(self) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not _env(name)]
        if missing:
            raise ConfigurationError(
                "production needs these environment variables: " + ", ".join(missing)
            )
        super().__init__()


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """Build the configuration named by ``name`` or ``MARKETPLACE_ENV`` (default development)."""
    name = name or _env("MARKETPLACE_ENV", "development") or "development"
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigurationError(
            f"MARKETPLACE_ENV must be one of {', '.join(CONFIGS)}, not {name!r}"
        ) from None
