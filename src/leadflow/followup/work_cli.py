"""`leadflow export contacts` and `leadflow export tasks`: CSV files of the contacts logged and the tasks, every one
or those a user sees, the same columns as the API's `format=csv`."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from leadflow import clock
from leadflow.console import open_db
from leadflow.errors import NotFound
from leadflow.followup import contacts, tasks
from leadflow.leads.domain import spreadsheet_safe
from leadflow.people import service as people_service
from leadflow.people.service import SYSTEM

File = Annotated[Path, typer.Argument(help="the CSV file to write")]
User = Annotated[str | None, typer.Option("--user", help="only what this user (an email) sees")]
Since = Annotated[datetime | None, typer.Option("--since", help="from this time on (ISO 8601, UTC if no zone)")]


def _actor(session, user: str | None):
    if not user:
        return SYSTEM
    try:
        return people_service.actor_for(people_service.user_by_email(user, session=session))
    except NotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _write(file: Path, columns: tuple[str, ...], rows: list[dict], what: str) -> None:
    with file.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    typer.echo(f"{len(rows)} {what} written to {file}", err=True)


_aware = clock.as_utc


def export_contacts(file: File, user: User = None, since: Since = None) -> None:
    """Export the contacts logged (calls, emails, meetings, visits with their outcomes) to a CSV file."""
    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        found = contacts.listed(_actor(session, user), session=session, since=_aware(since), limit=None)
        _write(file, contacts.COLUMNS, [contacts.row(c) for c in found], "contact(s)")


def export_tasks(file: File, user: User = None) -> None:
    """Export every task (open, done, canceled) to a CSV file."""
    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        found = tasks.listed(_actor(session, user), session=session, owner_id=None, due="all", limit=10_000_000)
        _write(file, tasks.COLUMNS, [tasks.row(t) for t in found], "task(s)")
