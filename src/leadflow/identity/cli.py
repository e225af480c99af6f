"""`leadflow dedupe`: find the duplicates already in the database, merge the sure ones, queue the rest."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def dedupe(dry_run: Annotated[bool, typer.Option("--dry-run", help="report what would happen; change nothing")] = False,
           threshold: Annotated[float | None, typer.Option(help="merge pairs at or above this match probability")] = None,
           estimate_model: Annotated[bool, typer.Option("--estimate", help="train the match weights on this "
                                                        "database and keep them for matching each capture")] = False,
           engine: Annotated[str, typer.Option(help="splink (Splink on DuckDB, the default) or matcher (our own "
                                               "matcher over the blocking keys)")] = "splink",
           estimate_with: Annotated[str, typer.Option(help="with --estimate: matcher (our EM, the default) or splink "
                                                      "(Splink's weights mapped onto our levels)")] = "matcher"
           ) -> None:
    """Scan every lead for duplicates: merge clusters above the threshold, queue the best unsure pairs for review
    (the open queue stays under 5 % of the leads)."""
    from leadflow.console import open_db
    from leadflow.identity import dedupe as dedupe_run
    from leadflow.identity import service as identity_service

    if threshold is not None and not 0 < threshold <= 1:
        typer.echo("--threshold is a match probability between 0 and 1", err=True)
        raise typer.Exit(2)
    for option, value in (("--engine", engine), ("--estimate-with", estimate_with)):
        if value not in dedupe_run.ENGINES:
            typer.echo(f"{option} is one of: {', '.join(dedupe_run.ENGINES)}", err=True)
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
                                engine=engine, estimate_with=estimate_with, progress=progress)
    sizes = sorted((len(c) for c in report.clusters), reverse=True)
    typer.echo(f"leads: {report.leads}  candidate pairs: {report.pairs}  clusters: {len(report.clusters)} "
               f"(leads in them: {sum(sizes)}, largest: {sizes[0] if sizes else 0})  unsure pairs: {report.review}",
               err=True)
    for note in report.trained:
        typer.echo(f"splink {note}", err=True)
    if report.not_queued:
        typer.echo(f"not queued: {report.not_queued} weaker unsure pair(s) (the review queue stays under "
                   f"{identity_service.REVIEW_SHARE:.0%} of the leads)", err=True)
    if dry_run:
        typer.echo("dry run: nothing changed", err=True)
        for members in report.clusters[:20]:
            typer.echo("would merge: " + ", ".join(str(i) for i in members))
    else:
        typer.echo(f"merged: {report.merged} lead(s)  queued for review: {report.queued} pair(s)  "
                   f"indexed: {report.indexed}", err=True)
