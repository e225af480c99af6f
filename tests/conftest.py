"""Test database: built by the Alembic migrations once per session (per xdist worker); each test rolled back.

SQLite by default; PostgreSQL when LEADFLOW_TEST_DATABASE_URL names a server (a fresh database per run).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

# One OpenMP thread per test process (and the servers and commands it starts): xdist already runs a process per
# core, and OpenMP threads that spin-wait on an oversubscribed machine made scikit-learn's training 5x slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from leadflow import db
from leadflow.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_configure(config):
    """The test process is a composition root as the app, the CLI and the worker are: tests that call a stage's
    services directly find them handed what they read of other stages."""
    from leadflow import stages

    stages.wire()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


class Database:
    """A database of its own for this run: created, migrated, dropped at the end."""

    def __init__(self, tmp: Path, name_hint: str = ""):
        base = os.environ.get("LEADFLOW_TEST_DATABASE_URL")
        self.admin_url = None
        if base:
            url = make_url(db.normalize_url(base))
            name = f"leadflow_test_{name_hint}{uuid.uuid4().hex[:10]}"
            self.admin_url = url
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            self.name = name
            self.url = url.set(database=name).render_as_string(hide_password=False)
        else:
            self.name = None
            self.url = f"sqlite:///{tmp / f'leadflow-{name_hint}{uuid.uuid4().hex[:8]}.db'}"

    @property
    def dialect(self) -> str:
        return "postgresql" if self.admin_url is not None else "sqlite"

    def drop(self) -> None:
        if self.admin_url is None:
            return
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    database = Database(tmp_path_factory.mktemp("db"), name_hint=_worker() + "_")
    db.upgrade(database.url)
    yield database
    database.drop()


@pytest.fixture
def fresh_database(tmp_path):
    """A database of the test's own, for real concurrency and migration tests (committed for real)."""
    database = Database(tmp_path, name_hint="own_")
    yield database
    database.drop()


@pytest.fixture(scope="session")
def engine(database):
    engine = db.make_engine(database.url)
    yield engine
    engine.dispose()


def make_settings(url: str, **overrides) -> Settings:
    values = dict(database_url=url, secret_key="test-secret-" + "x" * 40, embedded_worker=False,
                  rate_limit_per_minute=100_000, default_country=None)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def connection(engine):
    # Deferred: the test's one transaction takes SQLite's write lock at its first write (nothing else in this
    # process writes to this database), not this process's queue of writers for the whole test.
    conn = engine.connect().execution_options(**{db.DEFERRED: True})
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def factory(connection):
    """Sessions that join the test's transaction; their commits only release savepoints."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False,
                        autoflush=False)


@pytest.fixture
def session(factory):
    with factory() as session:
        yield session


@pytest.fixture
def settings(database):
    return make_settings(database.url)


@pytest.fixture
def app(settings, factory):
    from leadflow.app import create_app

    return create_app(settings, sessionmaker=factory)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def api_key(factory) -> str:
    from leadflow.people import service as people_service

    with factory() as session:
        _, key = people_service.create_api_key(session=session, name="tests")
        session.commit()
    return key


@pytest.fixture
def auth(api_key) -> dict:
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


# No test is silently skipped when ../shared/data is there (STYLE.md): a skip whose reason names the shared data
# (the shared_data fixture's, or any test's own) fails instead, so a renamed or moved file cannot hide a test.
def _hides_shared_data(report) -> bool:
    if not report.skipped or hasattr(report, "wasxfail") or not SHARED_DATA.is_dir():
        return False
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return "shared/data" in str(reason) or "shared data" in str(reason).lower()


def _fail_instead(report) -> None:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped for missing shared data although {SHARED_DATA} is there: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _hides_shared_data(report):
        _fail_instead(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if _hides_shared_data(report):
        _fail_instead(report)
