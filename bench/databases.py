"""Throw-away databases for one benchmark: a SQLite file in a temporary folder, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from leadflow import db

POSTGRES_URL = os.environ.get("LEADFLOW_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def postgres_reachable(url: str = POSTGRES_URL) -> bool:
    import psycopg

    if make_url(url).host not in LOOPBACK:
        raise SystemExit(f"benchmarks use loopback databases only, not {make_url(url).host}")
    try:
        psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


class BenchDatabase:
    """One database of the run; `drop()` removes it (the SQLite file goes with its temporary folder)."""

    def __init__(self, dialect: str, url: str, *, path: Path | None = None, name: str | None = None):
        self.dialect, self.url, self.path, self.name = dialect, url, path, name

    @classmethod
    def sqlite(cls, folder: Path, label: str) -> BenchDatabase:
        path = folder / f"{label}.db"
        return cls("sqlite", f"sqlite:///{path}", path=path)

    @classmethod
    def postgres(cls, label: str, *, template: str | None = None) -> BenchDatabase:
        name = f"leadflow_bench_{label}_{uuid.uuid4().hex[:8]}"
        with _admin() as conn:
            clause = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        url = make_url(db.normalize_url(POSTGRES_URL)).set(database=name).render_as_string(hide_password=False)
        return cls("postgresql", url, name=name)

    def copy(self, label: str, folder: Path) -> BenchDatabase:
        """The same data in a second database, for a floor that must start where the measured run started."""
        if self.dialect == "sqlite":
            target = BenchDatabase.sqlite(folder, label)
            copy_sqlite(self.path, target.path)
            return target
        return BenchDatabase.postgres(label, template=self.name)

    def drop(self) -> None:
        if self.dialect == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        with _admin() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def __enter__(self) -> BenchDatabase:
        return self

    def __exit__(self, *exc) -> None:
        self.drop()


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy: the WAL folded into the main file first."""
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(source, target)


class _admin:
    def __enter__(self):
        self.engine = create_engine(db.normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
        self.engine.dispose()
