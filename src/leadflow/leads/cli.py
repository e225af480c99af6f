"""`leadflow export leads FILE.csv`: every visible lead, streamed, with a progress bar."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from leadflow.leads import queries
from leadflow.leads.models import Lead
from leadflow.leads.queries import COLUMNS, lead_row
from leadflow.people.service import SYSTEM

def export_leads(file: Annotated[Path, typer.Argument(help="the CSV file to write")],
                 user: Annotated[str | None, typer.Option("--user", help="only the leads this user sees")] = None,
                 ) -> None:
    """Export every lead (or every lead a user sees) to a CSV file (UTF-8, one header row)."""
    from sqlalchemy import func, select

    from leadflow.console import open_db
    from leadflow.errors import NotFound
    from leadflow.people import service as people_service

    _, _, factory = open_db(reads_only=True)  # a long read never holds the write lock
    with factory() as session:
        try:
            actor = people_service.actor_for(people_service.user_by_email(session, user)) if user else SYSTEM
        except NotFound as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    with factory() as session, file.open("w", newline="", encoding="utf-8") as out:
        query = queries.visible_leads_for(actor)
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        with Progress(transient=True) as progress:
            task = progress.add_task("exporting leads", total=total)
            for lead in session.scalars(query.order_by(Lead.id).execution_options(yield_per=2000)):
                writer.writerow(lead_row(lead))
                progress.advance(task)
    typer.echo(f"{total} lead(s) written to {file}", err=True)
