"""`leadflow export leads FILE.csv`: every visible lead, streamed, with a progress bar."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from leadflow.leads import export, queries
from leadflow.leads.models import Lead
from leadflow.people.service import SYSTEM


def export_command(extra: Sequence[export.ExportColumns] = ()) -> Callable[..., None]:
    """`leadflow export leads`, with the columns stages above this one add (cli.py passes them in)."""

    def export_leads(file: Annotated[Path, typer.Argument(help="the CSV file to write")],
                     user: Annotated[str | None, typer.Option("--user", help="only the leads this user sees")] = None,
                     ) -> None:
        """Export every lead (or every lead a user sees) to a CSV file (UTF-8, one header row): fields, stage and
        reason, score, grade and band, BANT answers, owner and campaigns by name, attribution."""
        write_export(file, user, extra)

    return export_leads


def write_export(file: Path, user: str | None, extra: Sequence[export.ExportColumns]) -> None:
    from sqlalchemy import func, select

    from leadflow.console import open_db
    from leadflow.errors import NotFound
    from leadflow.people import service as people_service

    _, _, factory = open_db(reads_only=True)  # a long read never holds the write lock
    with factory() as session:
        try:
            actor = people_service.actor_for(people_service.user_by_email(user, session=session)) if user else SYSTEM
        except NotFound as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    with factory() as session, file.open("w", newline="", encoding="utf-8") as out:
        query = queries.visible_leads_for(actor)
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        writer = csv.writer(out)
        writer.writerow(export.header(extra))
        with Progress(transient=True) as progress:
            task = progress.add_task("exporting leads", total=total)
            leads = session.scalars(query.order_by(Lead.id).execution_options(yield_per=2000))
            for row in export.rows(session, leads, extra):
                writer.writerow(row)
                progress.advance(task)
    typer.echo(f"{total} lead(s) written to {file}", err=True)
