"""Alembic environment: the URL comes from leadflow's settings (or the caller), batch mode on SQLite."""

from alembic import context

from leadflow.db import UtcDateTime, make_null_pool_engine, normalize_url
from leadflow.settings import get_settings
from leadflow.tables import metadata

config = context.config
url = config.attributes.get("database_url") or normalize_url(get_settings().database_url)


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_null_pool_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def render_item(type_, obj, autogen_context):
    """Migrations name plain SQLAlchemy types, never leadflow's own."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_item=render_item,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
