"""Engines, sessions and the declarative Base; SQLite gets WAL, foreign keys and real SAVEPOINTs."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from sqlalchemy import (JSON, BigInteger, DateTime, Integer, MetaData, String, Text, TypeDecorator, create_engine,
                        event, text)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit keys on PostgreSQL, SQLite's rowid alias there (only INTEGER PRIMARY KEY autoincrements).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC on both databases (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use leadflow.clock.now()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def normalize_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(bind) -> bool:
    return bind.dialect.name == "sqlite"


# SQLite: how long a writer waits for another process's write transaction (the busy handler), and for the writers
# of its own process before it. Write transactions stay short (batches commit per chunk), so these are only reached
# when something is wrong: then the writer fails instead of waiting forever.
BUSY_TIMEOUT_S = 60
QUEUE_TIMEOUT_S = 120


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """An engine whose transactions write by default: on SQLite each begins with the write lock (BEGIN IMMEDIATE);
    sessions for reads only are the opt-out (make_sessionmaker(engine, reads_only=True))."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
            poolclass=StaticPool if memory else None,
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def make_null_pool_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_S})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, poolclass=NullPool)


DEFERRED = "leadflow_deferred"
_HOLDS_WRITERS = "leadflow_holds_writers"


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
        # Let SQLAlchemy emit BEGIN itself so SAVEPOINT works (pysqlite workaround from SQLAlchemy's docs).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA wal_autocheckpoint=8000")  # fewer, larger checkpoints: each one waits on the disk
        cur.close()

    # Writers of this process queue in arrival order on a queue of our own instead of SQLite's busy handler, which
    # sleeps and retries (unfair, and slow under load); SQLite's own lock (and busy timeout) orders processes.
    writers = _WriterQueue()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover
        # Every transaction takes the write lock up front unless it is deferred (reads only): a read first and a
        # write later would fail at once (SQLITE_BUSY_SNAPSHOT) when another writer committed in between, and no
        # busy timeout helps there.
        if conn.get_execution_options().get(DEFERRED):
            conn.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=QUEUE_TIMEOUT_S):
            raise TimeoutError(f"waited {QUEUE_TIMEOUT_S} s for the database's write lock")
        conn.info[_HOLDS_WRITERS] = True
        try:
            writers.share_with_other_processes()
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn.info)
            raise

    def _release(info) -> None:
        if info.pop(_HOLDS_WRITERS, False):
            writers.release()

    event.listen(engine, "commit", lambda conn: _release(conn.info))
    event.listen(engine, "rollback", lambda conn: _release(conn.info))
    event.listen(engine, "reset", lambda dbapi_conn, record, reset_state: _release(record.info))
    event.listen(engine, "invalidate", lambda dbapi_conn, record, exception: _release(record.info))


class _WriterQueue:
    """This process's writers, one at a time in arrival order (a plain Lock lets the thread that releases it take it
    straight back: the embedded worker's back-to-back jobs kept requests waiting for minutes).

    Other processes wait for SQLite's lock in its busy handler, which looks again every 100 ms at most: a process
    that writes without a pause (an import's chunks, a worker's jobs) would never let them in. So one that has
    written for a second on end leaves the lock free a little longer than that before its next transaction.
    """

    STREAK_S = 1.0
    PAUSE_S = 0.12

    def __init__(self) -> None:
        self._turns = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False
        self._streak_began = 0.0
        self._last_release = 0.0

    def acquire(self, *, timeout: float) -> bool:
        me = object()
        with self._turns:
            self._waiting.append(me)
            try:
                mine = self._turns.wait_for(lambda: not self._held and self._waiting[0] is me, timeout)
            except BaseException:
                self._waiting.remove(me)
                self._turns.notify_all()
                raise
            if not mine:
                self._waiting.remove(me)
                self._turns.notify_all()
                return False
            self._waiting.popleft()
            self._held = True
            return True

    def share_with_other_processes(self) -> None:
        moment = time.monotonic()
        if moment - self._last_release > self.PAUSE_S:
            self._streak_began = moment
        elif moment - self._streak_began > self.STREAK_S:
            time.sleep(self.PAUSE_S)
            self._streak_began = time.monotonic()

    def release(self) -> None:
        with self._turns:
            self._held = False
            self._last_release = time.monotonic()
            self._turns.notify_all()


class ReadOnly(RuntimeError):
    """A write in a session opened for reads only: a programming error, raised before anything is written."""


class ReadSession(Session):
    """A session for reads only (pages, exports, training data): on SQLite it does not wait for the write lock and
    never holds it, so reads stay concurrent; a write in it raises ReadOnly at once, on every database."""


@event.listens_for(ReadSession, "before_flush")
def _refuse_flush(session, _context, _instances):  # pragma: no cover - exercised by every read session
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise ReadOnly("this session is for reads only; write in a session of make_sessionmaker(engine)")


@event.listens_for(ReadSession, "do_orm_execute")
def _refuse_dml(state):  # pragma: no cover
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnly("this session is for reads only; write in a session of make_sessionmaker(engine)")


def _sessions(bind, *, reads_only: bool) -> sessionmaker[Session]:
    if reads_only and isinstance(bind, Engine):
        bind = bind.execution_options(**{DEFERRED: True})
    # create_savepoint: on a test's connection a session's commit releases a savepoint (no effect on an engine).
    return sessionmaker(bind=bind, class_=ReadSession if reads_only else Session, expire_on_commit=False,
                        autoflush=False, join_transaction_mode="create_savepoint")


def make_sessionmaker(engine: Engine, *, reads_only: bool = False) -> sessionmaker[Session]:
    """Sessions on this engine. They may write (SQLite: BEGIN IMMEDIATE, after this process's earlier writers);
    `reads_only` ones read concurrently with writers and refuse to write."""
    return _sessions(engine, reads_only=reads_only)


def sessions_like(session: Session, *, reads_only: bool = False) -> sessionmaker[Session]:
    """Sessions of their own on this session's database, for a job that commits per chunk or reads apart."""
    return _sessions(session.get_bind(), reads_only=reads_only)


def reading(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """The reads-only variant of a sessionmaker (the app's pages and GET requests, given the tests' factory)."""
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine):
        bind = bind.execution_options(**{DEFERRED: True})
    return sessionmaker(**{**factory.kw, "bind": bind, "class_": ReadSession})


def begin_write(session: Session) -> None:
    """Begin this session's transaction now (SQLite: with the write lock); a reads-only session refuses."""
    if isinstance(session, ReadSession):
        raise ReadOnly("this session is for reads only; write in a session of make_sessionmaker(engine)")
    session.connection()


def lock_number(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def lock_keys(keys: list[str], *, session: Session) -> None:
    """Serialize the writers of these named things until the transaction ends (captures that could be the same
    person, edits of one rule list). PostgreSQL: a transaction-scoped advisory lock per key, in sorted order (no
    deadlocks). SQLite: the transaction's write lock does it already."""
    if session.get_bind().dialect.name != "postgresql":
        begin_write(session)
        return
    for key in sorted(set(keys)):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_number(key)})


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    session = factory()
    begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class InstanceSetting(Base):
    """Values an installation generates once and shares between its processes (the secret key)."""

    __tablename__ = "instance_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def insert_ignore(bind, model, values: dict, index_elements: list[str]):
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect of the bind."""
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model).values(**values).on_conflict_do_nothing(index_elements=index_elements)


def insert_ignore_many(session, table, rows: list[dict], index_elements: list[str]) -> int:
    """insert_ignore for a batch, one statement: rows whose key exists (or comes twice) are skipped, a concurrent
    writer of the same key included. Returns how many rows were added."""
    return insert_rows(session, table, rows, skip_conflicts_on=index_elements)


def insert_rows(session, table, rows: list[dict], *, skip_conflicts_on: list[str] | None = None) -> int:
    """Rows ({column: value}; a column a row leaves out takes the column's default, worked out once for the batch,
    else NULL) in one statement whatever their number. PostgreSQL: INSERT ... SELECT FROM unnest of one binary array
    per column (a parameter per column, not one per value: nothing to compile or parse per row); SQLite: one
    executemany on the driver. Values are converted as the column's type binds them, JSON as text, each distinct
    value once (a batch's rows share their times and kinds). skip_conflicts_on: ON CONFLICT (those columns) DO
    NOTHING. Returns how many rows were added."""
    if not rows:
        return 0
    result = _insert(session, table, rows, skip_conflicts_on, ())
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def insert_rows_returning(session, table, rows: list[dict], returning: list[str], *,
                          skip_conflicts_on: list[str] | None = None) -> list[tuple]:
    """insert_rows that hands back `returning` of each row added (not of those skipped on a conflict).
    SQLite's driver returns nothing from an executemany: there, SQLAlchemy's multi-row VALUES."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return [tuple(row) for row in _insert(session, table, rows, skip_conflicts_on, returning).all()]
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(table)
    if skip_conflicts_on:
        statement = statement.on_conflict_do_nothing(index_elements=skip_conflicts_on)
    return [tuple(row) for row in session.execute(statement.returning(*(table.c[n] for n in returning)), rows)]


def _insert(session, table, rows: list[dict], skip_conflicts_on, returning):
    connection = session.connection()
    dialect = connection.dialect
    names = list(dict.fromkeys([*(name for row in rows for name in row),
                                *(column.name for column in table.c if column.default is not None
                                  and not column.primary_key)]))
    columns = [table.c[name] for name in names]
    defaults = {column.name: column.default.arg if column.default.is_scalar else column.default.arg(None)
                for column in columns if column.default is not None and not column.default.is_sequence}
    converters = [_converter(column, dialect) for column in columns]
    values = [[convert(row.get(name, defaults.get(name))) if convert else row.get(name, defaults.get(name))
               for name, convert in zip(names, converters)] for row in rows]
    listed = ", ".join(names)
    tail = f" ON CONFLICT ({', '.join(skip_conflicts_on)}) DO NOTHING" if skip_conflicts_on else ""
    if returning:
        tail += f" RETURNING {', '.join(returning)}"
    if dialect.name == "postgresql":
        arrays = ", ".join(f"%b::{_array_type(column, dialect)}[]" for column in columns)
        picked = ", ".join(f"{name}::{column.type.compile(dialect=dialect)}" if _is_json(column) else name
                           for name, column in zip(names, columns))
        return connection.exec_driver_sql(f"INSERT INTO {table.name} ({listed}) SELECT {picked} FROM "
                                          f"unnest({arrays}) AS v({listed}){tail}",
                                          tuple(list(column) for column in zip(*values)))
    marks = ", ".join(["?"] * len(names))
    return connection.exec_driver_sql(f"INSERT INTO {table.name} ({listed}) VALUES ({marks}){tail}",
                                      [tuple(one) for one in values])


def _is_json(column) -> bool:
    return isinstance(column.type, JSON)


def _array_type(column, dialect) -> str:
    return "text" if _is_json(column) else column.type.compile(dialect=dialect)


def _converter(column, dialect):
    """A column's bind conversion, memoised per distinct value (JSON: serialised as the JSON type does, SQL NULL
    for None only where the column says none_as_null)."""
    if _is_json(column):
        serialize = dialect._json_serializer or json.dumps
        none_as_null = column.type.none_as_null

        def processor(value):
            if value is column.type.NULL or (value is None and none_as_null):
                return None
            return serialize(value)
        return processor  # a JSON value may be unhashable: converted every time
    processor = column.type.bind_processor(dialect)
    if processor is None:
        return None
    seen: dict = {}

    def convert(value):
        try:
            return seen[value]
        except KeyError:
            seen[value] = converted = processor(value)
            return converted
        except TypeError:  # unhashable
            return processor(value)
    return convert


MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s")
    config.attributes["database_url"] = normalize_url(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


# Errors a second attempt can get past: a deadlock, a serialization failure, a lock not granted in time, a unique key
# another transaction wrote meanwhile (PostgreSQL's SQLSTATEs), SQLite's busy database.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03", "23505"})


def is_transient(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    name = type(orig).__name__   # SQLite: a busy database, or a unique key another writer took (as 23505)
    return (name == "OperationalError" and "locked" in str(orig)) or (
        name == "IntegrityError" and str(orig).startswith("UNIQUE constraint failed"))
