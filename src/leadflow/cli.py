"""The `leadflow` command: serve, migrate, worker, API keys, import and export; stages add their commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from leadflow import logs
from leadflow.console import open_db
from leadflow.settings import get_settings

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
    typer.echo(f"leadflow serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", err=True)
    uvicorn.run("leadflow.serving:build", factory=True, host=host, port=port, workers=workers,
                log_config=None, access_log=False, proxy_headers=settings.trust_proxy_headers)


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
def apikey_create(name: Annotated[str, typer.Option("--name", help="what the key is for")]) -> None:
    """Create an API key and print it (only the key, on stdout; it is not shown again)."""
    from leadflow.db import unit_of_work
    from leadflow.people import service as people_service

    _, _, factory = open_db()
    with unit_of_work(factory) as session:
        _, key = people_service.create_api_key(session, name=name)
    sys.stdout.write(key + "\n")


@apikey_app.command("list")
def apikey_list() -> None:
    """List API keys (never the keys themselves)."""
    from leadflow.db import unit_of_work
    from leadflow.people import service as people_service

    _, _, factory = open_db()
    with unit_of_work(factory) as session:
        for key in people_service.list_api_keys(session):
            state = "revoked" if key.revoked_at else "active"
            typer.echo(f"{key.id}\t{key.name}\tlf_{key.prefix}_…\t{state}\tlast used {key.last_used_at or 'never'}")


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[int, typer.Argument(help="the key's id (see `apikey list`)")]) -> None:
    """Revoke an API key: it stops working at once."""
    from leadflow.db import unit_of_work
    from leadflow.errors import NotFound
    from leadflow.people import service as people_service

    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            people_service.revoke_api_key(session, key_id)
    except NotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"API key {key_id} revoked", err=True)


def _mount_stage_commands() -> None:
    from leadflow.capture import cli as capture_cli
    from leadflow.identity import cli as identity_cli
    from leadflow.leads import cli as leads_cli

    export_app.command("leads")(leads_cli.export_leads)
    export_app.command("captures")(capture_cli.export_captures)
    app.command("import")(capture_cli.import_file)
    app.command("dedupe")(identity_cli.dedupe)


_mount_stage_commands()


def main() -> None:
    app()
