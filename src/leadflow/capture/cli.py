"""`leadflow export captures FILE.csv`: the capture log, streamed."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from leadflow.capture.models import Capture

CAPTURE_COLUMNS = ("id", "channel", "external_id", "received_at", "outcome", "lead_id", "campaign_id", "reasons")


def export_captures(file: Annotated[Path, typer.Argument(help="the CSV file to write")]) -> None:
    """Export every capture: id, channel, external id, received time, outcome, lead id."""
    from sqlalchemy import func, select

    from leadflow.console import open_db

    _, _, factory = open_db()
    with factory() as session, file.open("w", newline="", encoding="utf-8") as out:
        total = session.scalar(select(func.count()).select_from(Capture))
        writer = csv.writer(out)
        writer.writerow(CAPTURE_COLUMNS)
        query = select(Capture.id, Capture.channel, Capture.external_id, Capture.received_at, Capture.outcome,
                       Capture.lead_id, Capture.campaign_id, Capture.reasons).order_by(Capture.id)
        with Progress(transient=True) as progress:
            task = progress.add_task("exporting captures", total=total)
            for row in session.execute(query.execution_options(yield_per=5000)):
                reasons = "; ".join(f"{r.get('field')}: {r.get('reason')}" for r in (row.reasons or []))
                writer.writerow([row.id, row.channel, row.external_id or "", row.received_at.isoformat(),
                                 row.outcome, row.lead_id or "", row.campaign_id or "", reasons])
                progress.advance(task)
    typer.echo(f"{total} capture(s) written to {file}", err=True)
