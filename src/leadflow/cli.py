"""The `leadflow` command: serve, migrate, worker, API keys, users and teams, import and export; stages add theirs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from leadflow import logs
from leadflow.console import open_db
from leadflow.settings import get_settings

CHILD_START_S = 60  # how long `serve --workers N` waits for a server process to answer before it replaces it

app = typer.Typer(help="leadflow: lead management from capture to revenue.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
apikey_app = typer.Typer(help="API keys for the JSON API.", no_args_is_help=True)
export_app = typer.Typer(help="Export leads or captures to CSV.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
app.add_typer(export_app, name="export")


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="target revision")] = "head",
            down: Annotated[bool, typer.Option("--down", help="downgrade to REVISION instead")] = False) -> None:
    """Bring the database schema up to date (or down to REVISION)."""
    from leadflow import db

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    if down:
        db.downgrade(settings.database_url, revision)
    else:
        db.upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision if down else 'head'}", err=True)


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port")] = 8000,
          workers: Annotated[int, typer.Option(help="server processes")] = 1,
          migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate", help="migrate before serving")] = False,
          ) -> None:
    """Serve the web app and the JSON API (with an embedded worker unless LEADFLOW_EMBEDDED_WORKER=false)."""
    import uvicorn

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    if migrate_first:
        from leadflow import db

        db.upgrade(settings.database_url)
    _first_admin(settings)
    typer.echo(f"leadflow serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", err=True)
    # With --workers, Uvicorn's supervisor kills a child that does not answer its ping in time; a child starting
    # on a busy machine (Python, the app's imports, its routes) can take longer than Uvicorn's 5 s default.
    uvicorn.run("leadflow.serving:build", factory=True, host=host, port=port, workers=workers,
                log_config=None, access_log=False, proxy_headers=settings.trust_proxy_headers,
                timeout_worker_healthcheck=CHILD_START_S)


def _first_admin(settings) -> None:
    """On first start (no user yet): create the admin and print its password on the terminal, once, never logged."""
    from sqlalchemy import inspect

    from leadflow.db import make_engine, make_sessionmaker, unit_of_work
    from leadflow.people import service as people_service

    engine = make_engine(settings.database_url)
    try:
        if not inspect(engine).has_table("users"):
            typer.echo("the database has no tables yet: run `leadflow migrate` (or serve with --migrate)", err=True)
            return
        with unit_of_work(make_sessionmaker(engine)) as session:
            created = people_service.ensure_first_admin(session=session, email=settings.admin_email)
    finally:
        engine.dispose()
    if created:
        user, password = created
        typer.echo(f"\nFirst start: created the admin {user.email}\n  password: {password}\n"
                   "Sign in and keep it safe: it is shown only this once.\n", err=True)


@app.command()
def worker(once: Annotated[bool, typer.Option("--once", help="run what is due, then stop")] = False) -> None:
    """Run durable work (imports, outgoing messages, timers) from the database."""
    import signal
    import threading

    from leadflow import worker as worker_loop

    _, _, factory = open_db()
    if once:
        typer.echo(f"{worker_loop.drain(factory)} job(s) run", err=True)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker_loop.run_forever(factory, stop)


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option("--name", help="what the key is for")],
    user: Annotated[str | None, typer.Option("--user", help="the user it acts as (default: the first admin)")] = None,
    scope: Annotated[list[str] | None, typer.Option("--scope", help="narrow it to these scopes (repeatable)")] = None,
) -> None:
    """Create an API key and print it (only the key, on stdout; it is not shown again)."""
    from leadflow.db import unit_of_work
    from leadflow.errors import Invalid, NotFound
    from leadflow.people import service as people_service

    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            owner = (people_service.user_by_email(user, session=session) if user
                     else people_service.first_admin(session=session))
            if owner is not None and not owner.is_active:
                raise Invalid.one("user", f"{owner.email} is deactivated")
            _, key = people_service.create_api_key(session=session, name=name, user_id=owner.id if owner else None,
                                                   scopes=scope or [])
    except (Invalid, NotFound) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    sys.stdout.write(key + "\n")


@apikey_app.command("list")
def apikey_list() -> None:
    """List API keys (never the keys themselves)."""
    from leadflow.people import service as people_service

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        emails = {u.id: u.email for u in people_service.list_users(session=session)}
        for key in people_service.list_api_keys(session=session):
            state = "revoked" if key.revoked_at else "active"
            owner = emails.get(key.user_id, "-") if key.user_id else "(admin)"
            scopes = ",".join(key.scopes or []) or "all"
            typer.echo(f"{key.id}\t{key.name}\tlf_{key.prefix}_…\t{owner}\t{scopes}\t{state}\t"
                       f"last used {key.last_used_at or 'never'}")


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[int, typer.Argument(help="the key's id (see `apikey list`)")]) -> None:
    """Revoke an API key: it stops working at once."""
    from leadflow.db import unit_of_work
    from leadflow.errors import NotFound
    from leadflow.people import service as people_service

    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            people_service.revoke_api_key(key_id, session=session)
    except NotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"API key {key_id} revoked", err=True)


def _mount_stage_commands() -> None:
    """Each stage's commands (leadflow.stages), on `leadflow` or inside one of its groups (`export`)."""
    from leadflow import demo, stages

    groups = {"export": export_app}
    for command in stages.commands():
        *group, name = (command.path,) if isinstance(command.path, str) else command.path
        parent = groups[group[0]] if group else app
        target = command.build(stages) if command.build else command.target
        if command.group:
            parent.add_typer(target, name=name)
        else:
            parent.command(name)(target)
    app.command("demo")(demo.command)
    stages.wire()


_mount_stage_commands()


def main() -> None:
    app()
