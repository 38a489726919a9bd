"""Declarative base, column types and mixins shared by every model."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeGuard

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from marketplace.money import FEN, from_fen, to_fen

# Row ids are ``integer`` columns (32 bits on PostgreSQL): a larger number in a query fails in
# the database itself ("integer out of range"), so ids people send are checked against this first.
MAX_ID = 2**31 - 1


def is_db_id(value: object) -> TypeGuard[int]:
    """Whether ``value`` can be a row id (user-supplied ids are checked before any query)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


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
        return to_fen(amount)

    def process_result_value(self, value: int | Decimal | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return from_fen(value)

    @property
    def python_type(self) -> type:
        return Decimal


class SearchVector(sa.types.TypeDecorator[str]):
    """A ``tsvector`` written from its text form (``'锂电池':1A,4C 'pn2017…':2A``).

    The lexemes are cut by the project's jieba analyzer in Python; casting the literal keeps
    them exactly as cut (``to_tsvector`` would parse the text again, and PostgreSQL's parser does
    not know Chinese words).
    """

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(sa.Text())


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def configure_engine(engine: Engine, immediate_requests: bool = True) -> None:
    """Per-backend connection settings for the application's engine (not other libraries').

    ``immediate_requests`` is kept for the in-process test apps, which pass False; requests no
    longer take the write lock up front on either setting (see ``_sqlite_before_execute``).
    """
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _sqlite_begin)
    event.listen(engine, "before_cursor_execute", _sqlite_before_execute)


def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    # Web and worker processes share one SQLite file: WAL lets readers run beside the writer,
    # busy_timeout makes a writer wait instead of failing, and foreign keys are off by default.
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented fix is to
    # turn it off and emit BEGIN ourselves (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(_busy_timeout * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# How long a writer waits for SQLite's write lock before the request answers 503 (a CLI
# command or a worker task gives up the same way, with one line instead of a traceback).
SQLITE_BUSY_TIMEOUT = 15.0
_busy_timeout = SQLITE_BUSY_TIMEOUT


def set_busy_timeout(seconds: float) -> None:
    """Wait this long for the write lock on connections opened from now on (the CLI's
    maintenance commands wait longer than a web request)."""
    global _busy_timeout
    _busy_timeout = seconds


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
_TX_STATE = "marketplace_sqlite_tx"


def _tx_state(connection: Any) -> dict[str, Any]:
    info: dict[str, Any] = connection.connection.info
    return info.setdefault(_TX_STATE, {"writing": False, "savepoints": []})


def _sqlite_begin(connection: Any) -> None:
    # Every transaction starts deferred: it reads from a WAL snapshot and never waits for (nor
    # blocks) a writer. The write lock is taken at the first write (_sqlite_before_execute).
    state = _tx_state(connection)
    state["writing"] = False
    state["savepoints"] = []
    connection.exec_driver_sql("BEGIN")


def _is_write(statement: str, context: Any) -> bool:
    head = statement.lstrip()[:10].upper()
    if head.startswith(_WRITE_VERBS):
        return True
    if head.startswith("WITH"):
        return any(f" {verb} " in f" {statement.upper()} " for verb in _WRITE_VERBS[:4])
    compiled = getattr(context, "compiled", None)
    # SELECT … FOR UPDATE: SQLite has no row locks, so the statement takes the write lock,
    # which is what PostgreSQL's row lock guarantees (no one else changes the row meanwhile).
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _sqlite_before_execute(
    connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """Take the write lock at the transaction's first write, waiting for it (busy_timeout).

    A deferred transaction that has read cannot wait for the write lock: SQLite answers "database
    is locked" at once when another connection writes (the busy handler would deadlock), or
    when one committed since our snapshot. So at the first write the read part (which wrote
    nothing) is committed and the transaction goes on as BEGIN IMMEDIATE, which does wait; open
    savepoints are re-created. Reads before the write therefore see committed data as of their
    own statement — PostgreSQL's READ COMMITTED, which the services are written for (they lock
    rows with FOR UPDATE, handled above, and keep counters in SQL).
    """
    if not connection.in_transaction():
        return
    state = _tx_state(connection)
    if state["writing"]:
        return
    words = statement.split()
    if words[:1] == ["SAVEPOINT"]:
        state["savepoints"].append(words[1])
        return
    if words[:2] == ["RELEASE", "SAVEPOINT"] and words[2] in state["savepoints"]:
        del state["savepoints"][state["savepoints"].index(words[2]) :]
        return
    if not _is_write(statement, context):
        return
    state["writing"] = True
    cursor.execute("COMMIT")
    cursor.execute("BEGIN IMMEDIATE")
    for name in state["savepoints"]:
        cursor.execute(f"SAVEPOINT {name}")


def is_busy_error(error: BaseException) -> bool:
    """The database was too busy (a lock not granted in time), not a fault of the request.

    SQLite: "database is locked" / "database table is locked". PostgreSQL: lock_not_available
    (lock_timeout), deadlock_detected and serialization_failure — all worth a retry.
    """
    orig = getattr(error, "orig", error)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("55P03", "40P01", "40001"):
        return True
    return isinstance(orig, sqlite3.OperationalError) and "is locked" in str(orig)


def caused_by_busy_database(error: BaseException) -> bool:
    """``is_busy_error`` anywhere in the chain of causes (a broker library re-raises it as its
    own error: kombu's SQLAlchemy transport on the embedded SQLite broker)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if is_busy_error(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
