"""`leadflow campaigns import-spend`: an ad platform's spend report imported as campaign costs from the command
line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Campaigns: import ad platforms' spend reports as costs.", no_args_is_help=True)


def summary_lines(summary: dict, *, dry_run: bool = False) -> list[str]:
    """The import's summary as lines for a terminal: the period, each cost with its campaign, skips and rejects."""
    lines = [f"platform {summary['platform']}, period {summary['starts_on']} to {summary['ends_on']}"
             + ("  (dry run: nothing written)" if dry_run else "")]
    for row in summary["rows"]:
        how = {"created": "new campaign", "linked": "linked by platform id", "code": "matched by code",
               "name": "matched by name"}[row["matched"]]
        if dry_run and row["created"]:
            how = "would be created"
        replaced = f"  replaces {row['replaced']['amount']}" if row["replaced"] else ""
        lines.append(f"row {row['row']:>4}  {row['amount']:>14} {row['currency']}  {row['campaign']['name'][:60]}"
                     f"  ({how}){replaced}")
    for skip in summary["skipped"]:
        lines.append(f"row {skip['row']:>4}  skipped: {skip['reason']}" + (f" ({skip['campaign']})"
                                                                           if skip["campaign"] else ""))
    for reject in summary["rejects"]:
        lines.append(f"row {reject['row']:>4}  rejected: {reject['reason']}")
    totals = ", ".join(f"{amount} {currency}" for currency, amount in summary["totals"].items()) or "nothing"
    lines.append(f"{len(summary['rows'])} costs ({totals}), {len(summary['skipped'])} skipped, "
                 f"{len(summary['rejects'])} rejected")
    return lines


@app.command("import-spend")
def import_spend(file: Annotated[Path, typer.Argument(help="the platform's spend export (CSV)", exists=True,
                                                      dir_okay=False, readable=True)],
                 platform: Annotated[str | None, typer.Option(help="google, meta, linkedin or generic; detected "
                                                                   "when left out")] = None,
                 currency: Annotated[str | None, typer.Option(help="for rows whose file names no currency")] = None,
                 dry_run: Annotated[bool, typer.Option("--dry-run", help="show what it would do; write nothing")]
                 = False) -> None:
    """Import a Google Ads, Meta, LinkedIn or generic spend report: each campaign's cost for the period, replacing
    what an earlier import of the same report wrote."""
    from leadflow.campaigns import spending
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.errors import Invalid
    from leadflow.people.service import SYSTEM

    _, engine, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            try:
                record = spending.store(session=session, filename=file.name, data=file.read_bytes(),
                                        platform=platform, actor=f"cli:{SYSTEM.label}")
                summary = spending.apply(record, session=session, currency=currency)
            except Invalid as exc:
                session.rollback()
                for error in exc.errors:
                    typer.echo(f"error: {error.field}: {error.reason}", err=True)
                raise typer.Exit(1) from None
            for line in summary_lines(summary, dry_run=dry_run):
                typer.echo(line)
            if dry_run:
                session.rollback()
            else:
                typer.echo(f"spend import {record.id} saved", err=True)
    finally:
        engine.dispose()
