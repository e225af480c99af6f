"""`leadflow email ...`: send the due messages now, templates (list, create from an MJML file, preview), the
message log, requeue, bounces from .eml or mbox files, suppressed addresses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Marketing email: templates, sending, the message log, bounces, suppressions.",
                  no_args_is_help=True)


def _fail(exc) -> None:
    for error in getattr(exc, "errors", None) or [exc]:
        typer.echo(f"{error.field}: {error.reason}" if hasattr(error, "field") else str(error), err=True)
    raise typer.Exit(1) from None


@app.command()
def send() -> None:
    """Send the messages that are due now (what the worker's pass does every few seconds)."""
    from leadflow.console import open_db
    from leadflow.email import sender

    settings, _, factory = open_db()
    typer.echo(f"{sender.run_pass(factory, settings)} messages sent")


@app.command()
def templates() -> None:
    """The templates: id, name, purpose, version, subject."""
    from leadflow.console import open_db
    from leadflow.email import queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        for t in queries.template_list(session=session):
            typer.echo(f"{t.id}\t{t.name}\t{t.purpose}\tv{t.version}\t{t.subject}")


@app.command()
def create(name: Annotated[str, typer.Option()], subject: Annotated[str, typer.Option()],
           body: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="the MJML file")],
           purpose: Annotated[str, typer.Option()] = "marketing",
           preheader: Annotated[str, typer.Option()] = "") -> None:
    """A new template from an MJML file; it must compile (the problem is named with its line)."""
    from leadflow.console import open_db
    from leadflow.email import template_service
    from leadflow.errors import Conflict, Invalid

    _, _, factory = open_db()
    with factory() as session:
        try:
            template = template_service.create({"name": name, "subject": subject, "preheader": preheader,
                                                "body_mjml": body.read_text("utf-8"), "purpose": purpose},
                                               session=session, user_id=None)
        except (Invalid, Conflict) as exc:
            _fail(exc)
        session.commit()
        typer.echo(f"template {template.id} created")


@app.command()
def preview(template_id: int, out: Annotated[Path | None, typer.Option(help="write the HTML here")] = None) -> None:
    """The template as the sample person gets it: the subject and the text, the HTML into --out."""
    from leadflow.console import open_db
    from leadflow.email import template_service
    from leadflow.errors import Invalid, NotFound

    settings, _, factory = open_db(reads_only=True)
    with factory() as session:
        try:
            rendered = template_service.preview(template_service.get(template_id, session=session),
                                                session=session, base_url=settings.base_url)
        except (Invalid, NotFound) as exc:
            _fail(exc)
    typer.echo(f"Subject: {rendered.subject}\n\n{rendered.text}")
    if out:
        out.write_text(rendered.html, "utf-8")


@app.command()
def messages(status: Annotated[str | None, typer.Option()] = None,
             limit: Annotated[int, typer.Option(min=1, max=10000)] = 50) -> None:
    """The latest messages: id, lead, status, subject, and why when not sent."""
    from leadflow.console import open_db
    from leadflow.email import queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        for m, name in queries.message_log(session=session, status=status, limit=limit):
            typer.echo(f"{m.id}\tlead {m.lead_id}\t{m.status}\t{name}\t{m.subject or ''}\t{m.reason or ''}")


@app.command()
def requeue(message_ids: list[int]) -> None:
    """Queue unconfirmed or failed messages again (an unconfirmed one may then arrive twice)."""
    from leadflow.console import open_db
    from leadflow.email import sender

    _, _, factory = open_db()
    with factory() as session:
        count = sender.requeue(message_ids, session=session)
        session.commit()
    typer.echo(f"{count} messages queued again")


@app.command()
def bounces(files: list[Path]) -> None:
    """Read bounces and complaints from .eml files or mbox files (each stored raw, then applied)."""
    from leadflow.console import open_db
    from leadflow.email import bounces as email_bounces

    for path in files:
        if not path.is_file():
            typer.echo(f"{path}: no such file", err=True)
            raise typer.Exit(1)
    _, _, factory = open_db()
    for raw in email_bounces.read_files(files):
        with factory() as session:
            bounce = email_bounces.receive(raw, source="file", session=session)
            session.commit()
            typer.echo(f"{bounce.kind}\t{bounce.outcome}")


@app.command()
def suppress(address: str, detail: Annotated[str, typer.Option()] = "suppressed from the command line") -> None:
    """Never send marketing email to this address again."""
    from leadflow.console import open_db
    from leadflow.email import settings_service
    from leadflow.errors import Invalid

    _, _, factory = open_db()
    with factory() as session:
        try:
            added = settings_service.suppress(address, "manual", detail, session=session)
        except Invalid as exc:
            _fail(exc)
        session.commit()
    typer.echo("suppressed" if added else "already suppressed")


@app.command()
def unsuppress(address: str) -> None:
    """Allow marketing email to this address again."""
    from leadflow.console import open_db
    from leadflow.email import settings_service

    _, _, factory = open_db()
    with factory() as session:
        removed = settings_service.unsuppress(address, session=session)
        session.commit()
    typer.echo("allowed again" if removed else "was not suppressed")
