"""Declarative base, column types and mixins shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def in_codes(column: str, codes: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint: ``column`` holds one of the vocabulary ``codes``."""
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only clock models use)."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite drops the zone, so it is put back on read)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


FEN = Decimal("0.01")


class Money(sa.types.TypeDecorator):
    """CNY amounts as ``Decimal`` stored as integer fen.

    SQLite keeps NUMERIC as a float and loses cents on large sums; integer fen stays exact
    on every backend, and SUM() over it is exact too.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Any) -> int | None:
        if value is None:
            return None
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError("money must be a finite amount")
        if amount != amount.quantize(FEN):
            raise ValueError("money has at most two decimal places (fen)")
        return int(amount * 100)

    def process_result_value(self, value: int | Decimal | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(FEN)

    @property
    def python_type(self) -> type:
        return Decimal


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def configure_engine(engine: Engine, immediate_requests: bool = True) -> None:
    """Per-backend connection settings for the application's engine (not other libraries')."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _sqlite_begin if immediate_requests else _sqlite_begin_deferred)


def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    # Web and worker processes share one SQLite file: WAL lets readers run beside the writer,
    # busy_timeout makes a writer wait instead of failing, and foreign keys are off by default.
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented fix is to
    # turn it off and emit BEGIN ourselves (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A web request that reads and then writes (a form save, a view counter) fails at once with
    # "database is locked" if another process committed in between: SQLite cannot move a stale
    # WAL read snapshot up to a write, and busy_timeout does not apply. So requests take the
    # write lock up front (short, and waited for). Workers keep deferred transactions: their
    # long reads must not block the web, and their tasks are retried.
    from flask import has_request_context

    connection.exec_driver_sql("BEGIN IMMEDIATE" if has_request_context() else "BEGIN")


def _sqlite_begin_deferred(connection: Any) -> None:
    # In-process test apps: the test keeps one session open across its requests, so a write
    # lock taken inside a request would outlive it and block the worker processes.
    connection.exec_driver_sql("BEGIN")
