"""Engines, sessions and the declarative Base; SQLite gets WAL, foreign keys and real SAVEPOINTs."""

from __future__ import annotations

from collections.abc import Iterator
import threading
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, Text, TypeDecorator, create_engine, event
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


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def make_null_pool_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, poolclass=NullPool)


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
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA wal_autocheckpoint=8000")  # fewer, larger checkpoints: each one waits on the disk
        cur.close()

    # Writers of this process queue on a lock of our own, in order, instead of SQLite's busy handler, which
    # sleeps and retries (unfair, and slow under load); SQLite's own lock still orders other processes.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover
        # A transaction that will write takes the write lock up front: a read first and a write later
        # would fail at once (SQLITE_BUSY_SNAPSHOT) when another writer committed in between.
        if not conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=60):
            raise TimeoutError("waited 60 s for the database's write lock")
        conn.info[_HOLDS_WRITERS] = True
        try:
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


WRITE_OPTION = "leadflow_writes"


def begin_write(session: Session) -> None:
    """Declare that this transaction writes (SQLite: BEGIN IMMEDIATE; PostgreSQL: nothing changes)."""
    session.connection(execution_options={WRITE_OPTION: True})


def make_sessionmaker(engine: Engine, *, writes: bool = False) -> sessionmaker[Session]:
    """Sessions on this engine; `writes` ones begin SQLite transactions with the write lock (see begin_write)."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if writes else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)


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
    return type(orig).__name__ == "OperationalError" and "locked" in str(orig)
