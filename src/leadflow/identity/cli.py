"""`leadflow dedupe`: find the duplicates already in the database, merge the sure ones, queue the rest."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def dedupe(dry_run: Annotated[bool, typer.Option("--dry-run", help="report what would happen; change nothing")] = False,
           threshold: Annotated[float | None, typer.Option(help="merge pairs at or above this match probability")] = None,
           estimate_model: Annotated[bool, typer.Option("--estimate", help="re-estimate the match weights (EM) "
                                                        "from this database first, and keep them")] = False) -> None:
    """Scan every lead for duplicates: merge clusters above the threshold, queue unsure pairs for review."""
    from leadflow.console import open_db
    from leadflow.identity import dedupe as dedupe_run

    if threshold is not None and not 0 < threshold <= 1:
        typer.echo("--threshold is a match probability between 0 and 1", err=True)
        raise typer.Exit(2)
    _, _, factory = open_db()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, advance: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            if total is not None:
                bar.update(tasks[stage], total=total)
            bar.advance(tasks[stage], advance)

        report = dedupe_run.run(factory, dry_run=dry_run, threshold=threshold, estimate_model=estimate_model,
                                progress=progress)
    sizes = sorted((len(c) for c in report.clusters), reverse=True)
    typer.echo(f"leads: {report.leads}  candidate pairs: {report.pairs}  clusters: {len(report.clusters)} "
               f"(leads in them: {sum(sizes)}, largest: {sizes[0] if sizes else 0})  unsure pairs: {report.review}",
               err=True)
    if dry_run:
        typer.echo("dry run: nothing changed", err=True)
        for members in report.clusters[:20]:
            typer.echo("would merge: " + ", ".join(str(i) for i in members))
    else:
        typer.echo(f"merged: {report.merged} lead(s)  queued for review: {report.queued} pair(s)  "
                   f"indexed: {report.indexed}", err=True)
