"""`leadflow segments list | create | show | members | rebuild`: segments from the command line (as the system: every
lead). A problem exits 1 naming the field and the reason."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Segments: saved conditions whose members are kept live.", no_args_is_help=True)

SegmentId = Annotated[int, typer.Argument(help="the segment's id", min=1)]


def _fail(exc) -> None:
    for error in getattr(exc, "errors", None) or []:
        typer.echo(f"{error.field}: {error.reason}", err=True)
    if not getattr(exc, "errors", None):
        typer.echo(str(exc), err=True)
    raise typer.Exit(1) from None


def _state(segment) -> str:
    return "built" if segment.built_at is not None else "building"


@app.command("list")
def list_segments() -> None:
    """Every segment: id, members, whether its members are complete, name, condition."""
    from leadflow.console import open_db
    from leadflow.people.service import SYSTEM
    from leadflow.segments import queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        rows = queries.listing(SYSTEM, session=session)
        if not rows:
            typer.echo("No segments yet: leadflow segments create --name NAME --condition CONDITION")
            return
        for segment, count in rows:
            typer.echo(f"{segment.id}\t{count}\t{_state(segment)}\t{segment.name}\t{segment.condition}")


@app.command("create")
def create(name: Annotated[str, typer.Option(help="a name marketers recognise")],
           condition: Annotated[str, typer.Option(help="in the condition language, e.g. 'country == \"FI\"'")],
           description: Annotated[str | None, typer.Option()] = None) -> None:
    """A new segment; the worker works out its members (or `leadflow segments rebuild ID --now`)."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.errors import Invalid
    from leadflow.segments import service

    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            segment = service.create({"name": name, "condition": condition, "description": description},
                                     session=session, actor="cli")
            segment_id = segment.id
    except Invalid as exc:
        _fail(exc)
    typer.echo(f"created segment {segment_id}: its members are being worked out by the worker")


@app.command("show")
def show(segment_id: SegmentId) -> None:
    """A segment's name, condition, members and state."""
    from leadflow.console import open_db
    from leadflow.errors import NotFound
    from leadflow.segments import queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        try:
            segment = queries.get(segment_id, session=session)
        except NotFound as exc:
            _fail(exc)
        typer.echo(f"id: {segment.id}\nname: {segment.name}\ndescription: {segment.description or ''}\n"
                   f"condition: {segment.condition}\nversion: {segment.version}\nmembers: {segment.member_count}\n"
                   f"state: {_state(segment)}"
                   + (f" at {segment.built_at:%Y-%m-%d %H:%M:%S} UTC" if segment.built_at else ""))


@app.command("members")
def members(segment_id: SegmentId,
            after: Annotated[int, typer.Option(help="lead ids above this one", min=0)] = 0,
            limit: Annotated[int, typer.Option(help="at most this many", min=1, max=100_000)] = 1000) -> None:
    """The members' lead ids and emails, ascending."""
    from sqlalchemy import select

    from leadflow.console import open_db
    from leadflow.errors import NotFound
    from leadflow.leads.models import Lead
    from leadflow.segments import queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        try:
            queries.get(segment_id, session=session)
        except NotFound as exc:
            _fail(exc)
        ids = queries.member_ids(segment_id, session=session, after=after, limit=limit)
        emails = dict(session.execute(select(Lead.id, Lead.email).where(Lead.id.in_(ids))).all()) if ids else {}
        for lead_id in ids:
            typer.echo(f"{lead_id}\t{emails.get(lead_id) or ''}")


@app.command("rebuild")
def rebuild(segment_id: SegmentId,
            now: Annotated[bool, typer.Option("--now", help="work it out here, a chunk per transaction, instead "
                                                            "of in the worker")] = False) -> None:
    """Check every lead against the segment again."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.errors import NotFound
    from leadflow.segments import members as segment_members
    from leadflow.segments import service

    _, _, factory = open_db()
    if not now:
        try:
            with unit_of_work(factory) as session:
                service.rebuild(segment_id, session=session)
        except NotFound as exc:
            _fail(exc)
        typer.echo(f"segment {segment_id}: every lead is being checked again by the worker")
        return
    with factory() as session:
        try:
            segment = service.get_for_update(segment_id, session=session)
        except NotFound as exc:
            _fail(exc)
        payload = {"segment_id": segment.id, "version": segment.version, "run": "cli", "after": 0}
    entered = left = 0
    while True:
        with unit_of_work(factory) as session:
            changes = segment_members.build_step(payload, session=session, queue_next=False)
        if changes is None:
            typer.echo("the segment changed or was deleted meanwhile: stopped", err=True)
            raise typer.Exit(1)
        entered, left = entered + len(changes.entered), left + len(changes.left)
        if changes.last is None:
            break
        payload = {**payload, "after": changes.last}
    typer.echo(f"segment {segment_id}: {entered} entered, {left} left")
