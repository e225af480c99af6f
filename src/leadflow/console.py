"""What every command shares: settings from the environment, logging, and the database."""

from __future__ import annotations

from leadflow import logs
from leadflow.settings import get_settings


def open_db():
    """Settings, engine and sessionmaker for a command, with logging set up."""
    from leadflow.db import make_engine, make_sessionmaker

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    engine = make_engine(settings.database_url)
    return settings, engine, make_sessionmaker(engine)
