"""`leadflow import FILE` (CSV or .xlsx into leads, with a reject file) and `leadflow export captures FILE.csv`."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from leadflow.capture.models import Capture

CAPTURE_COLUMNS = ("id", "channel", "external_id", "received_at", "outcome", "lead_id", "campaign_id", "reasons")


def export_captures(file: Annotated[Path, typer.Argument(help="the CSV file to write")]) -> None:
    """Export every capture: id, channel, external id, received time, outcome, lead id."""
    from sqlalchemy import func, select

    from leadflow.console import open_db

    _, _, factory = open_db(reads_only=True)  # a long read never holds the write lock
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


def import_file(
    file: Annotated[Path, typer.Argument(help="the CSV or .xlsx file", exists=True, dir_okay=False, readable=True)],
    campaign: Annotated[str | None, typer.Option("--campaign", help="campaign code for every row")] = None,
    channel: Annotated[str, typer.Option("--channel", help="capture channel, e.g. trade_fair")] = "import",
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help='JSON {"Column header": "lead_field" | "custom:<name>" | "ignore"}', exists=True,
        dir_okay=False)] = None,
    id_column: Annotated[str | None, typer.Option("--id-column", help="column kept as each capture's external id")
                         ] = None,
    country: Annotated[str | None, typer.Option(
        "--country", help="ISO 3166 code (or name) that reads phone numbers without +country code (a row's own "
                          "country column comes first; default: LEADFLOW_DEFAULT_COUNTRY)")] = None,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="reject file (default: FILE.rejects.csv)")] = None,
    resume: Annotated[int | None, typer.Option("--resume", help="continue import ID after its last committed chunk")
                      ] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="processes that check rows (default: by size)",
                                                min=0, max=32)] = None,
) -> None:
    """Import leads from a CSV or .xlsx file: columns mapped by name, every row a capture, bad rows to a reject file."""
    from leadflow.capture.imports import files, headers
    from leadflow.capture.imports import queries as import_queries
    from leadflow.capture.imports import service as import_service
    from leadflow.console import open_db
    from leadflow.db import reading
    from leadflow.errors import Invalid

    settings, _, factory = open_db()
    err = Console(stderr=True)
    rejects = rejects or file.with_name(file.name + ".rejects.csv")
    with file.open("rb") as stream:
        try:
            overrides = import_service.read_mapping_json(mapping.read_bytes()) if mapping else {}
            table = files.open_table(stream, filename=file.name)
            headers.propose(table.columns, overrides, id_column)
            with factory() as session:
                if resume is None:
                    record = import_service.create(session=session, filename=file.name, channel=channel,
                                                   campaign=campaign,
                                                   mapping=overrides, id_column=id_column, country=country)
                    import_service.describe(record, table, session=session, sample_rows=0)
                    record.size_bytes = file.stat().st_size
                else:
                    record = import_service.get(resume, session=session)
                    if record.columns != table.columns:
                        raise Invalid.one("file", f"its columns are not those of import {resume}")
                    if country is not None and import_service.file_country(country) != record.country:
                        raise Invalid.one("country", f"import {resume} has read rows by its country "
                                                     f"({record.country or 'none'}): it cannot change midway")
                if not import_service.claim(record.id, session=session):
                    raise Invalid.one("resume", f"import {record.id} is {record.status}")
                session.commit()
                import_id, size = record.id, record.size_bytes
        except Invalid as exc:
            for error in exc.errors:
                typer.echo(f"{error.field}: {error.reason}", err=True)
            raise typer.Exit(2) from None

        started = time.monotonic()
        with Progress(TextColumn("importing {task.description}"), BarColumn(), DownloadColumn(),
                      TextColumn("{task.fields[rows]} rows"), TimeRemainingColumn(), console=err,
                      transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task(file.name, total=size or None, rows=0)

            def advance(state: import_service.Progress) -> None:
                progress.update(task, completed=state.bytes_done, rows=state.rows_done)

            try:
                record = import_service.run(
                    factory, import_id, table, default_country=settings.default_country, on_progress=advance,
                    workers=import_service.workers_for(size) if workers is None else workers)
            except Exception as exc:
                typer.echo(f"import {import_id} failed: {type(exc).__name__}: {exc}", err=True)
                typer.echo(f"resume it with: leadflow import {file} --resume {import_id}", err=True)
                raise typer.Exit(1) from None
    seconds = max(time.monotonic() - started, 1e-6)
    with reading(factory)() as session, rejects.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(import_queries.reject_rows(import_service.get(import_id, session=session),
                                                             session=session))
    typer.echo(
        f"import {import_id}: {record.rows_done} rows: {record.created} created, {record.merged} merged, "
        f"{record.rejected} rejected{_aside(record.set_aside)} in {seconds:.1f} s ({record.rows_done / seconds:,.0f} rows/s); "
        f"rejects in {rejects}", err=True)


def _aside(count: int) -> str:
    return f" ({count} kept with an unreadable value set aside as <field>_as_given)" if count else ""
