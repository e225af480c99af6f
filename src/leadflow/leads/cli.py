"""`leadflow export leads FILE.csv`: every visible lead, streamed, with a progress bar."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from leadflow.leads import queries
from leadflow.leads.domain import LEAD_FIELDS
from leadflow.leads.models import Lead
from leadflow.people.service import SYSTEM

COLUMNS = ("id", *LEAD_FIELDS, "stage", "owner", "do_not_contact", "channel", "campaign_id", "company_id",
           "first_utm_source", "first_utm_medium", "first_utm_campaign", "last_utm_source", "last_utm_medium",
           "last_utm_campaign", "custom_fields", "created_at", "updated_at")


def lead_row(lead: Lead) -> list:
    first, last = lead.first_touch or {}, lead.last_touch or {}
    return [
        lead.id, *(getattr(lead, name) or "" for name in LEAD_FIELDS), lead.stage, lead.owner_id or "",
        "true" if lead.do_not_contact else "false", lead.channel or "", lead.campaign_id or "",
        lead.company_id or "", first.get("utm_source", ""), first.get("utm_medium", ""),
        first.get("utm_campaign", ""), last.get("utm_source", ""), last.get("utm_medium", ""),
        last.get("utm_campaign", ""), json.dumps(lead.custom_fields or {}, ensure_ascii=False),
        lead.created_at.isoformat(), lead.updated_at.isoformat(),
    ]


def export_leads(file: Annotated[Path, typer.Argument(help="the CSV file to write")],
                 user: Annotated[str | None, typer.Option("--user", help="only the leads this user sees")] = None,
                 ) -> None:
    """Export every lead (or every lead a user sees) to a CSV file (UTF-8, one header row)."""
    from sqlalchemy import func, select

    from leadflow.console import open_db
    from leadflow.errors import NotFound
    from leadflow.people import service as people_service

    _, _, factory = open_db()
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
