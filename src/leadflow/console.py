"""What every command shares: settings from the environment, logging, and the database."""

from __future__ import annotations

from leadflow import logs
from leadflow.settings import get_settings


def open_db(*, reads_only: bool = False):
    """Settings, engine and sessionmaker for a command, with logging set up.

    The sessions may write (on SQLite each transaction waits for the write lock, so a command beside a running
    server queues instead of failing); a command that only reads (an export, a list) asks for `reads_only` ones,
    which never hold the write lock however long they read.
    """
    from leadflow.db import make_engine, make_sessionmaker

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    engine = make_engine(settings.database_url)
    return settings, engine, make_sessionmaker(engine, reads_only=reads_only)
