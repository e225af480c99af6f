"""`leadflow pipeline stages | forecast | snapshot | accuracy`, `leadflow export opportunities | quotes`: the
pipeline from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The pipeline: its stages and the weighted pipeline.", no_args_is_help=True)


def _actor(session, user: str | None):
    from leadflow.errors import NotFound
    from leadflow.people import service as people_service

    if not user:
        return people_service.SYSTEM
    try:
        return people_service.actor_for(people_service.user_by_email(user, session=session))
    except NotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("stages")
def stages(all: Annotated[bool, typer.Option("--all", help="also the stages no longer used")] = False) -> None:
    """The stages of the board in order, with their default probabilities."""
    from leadflow.console import open_db
    from leadflow.pipeline import queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        for stage in queries.stages(session=session, active_only=not all):
            used = "" if stage.active else "  (no longer used)"
            typer.echo(f"{stage.key:<20} {stage.probability:>3}%  {stage.outcome:<5} {stage.label}{used}")


@app.command("forecast")
def forecast(by: Annotated[str, typer.Option("--by", help="month, owner or team")] = "month",
             user: Annotated[str | None, typer.Option("--user", help="as this user sees it")] = None) -> None:
    """The weighted pipeline (value x probability; won 1, lost 0), one line per group and currency."""
    from leadflow.console import open_db
    from leadflow.pipeline import queries

    if by not in ("month", "owner", "team"):
        typer.echo("--by: one of month, owner, team", err=True)
        raise typer.Exit(2)
    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        actor = _actor(session, user)
        lines = queries.forecast(actor, queries.OpportunityFilter(), session=session, group=by)
        typer.echo(f"{by:<24} {'cur':<4} {'count':>6} {'value':>16} {'weighted':>16} {'won':>16}")
        for line in [*lines, *queries.totals(lines)]:
            typer.echo(f"{str(line.label)[:24]:<24} {line.currency:<4} {line.count:>6} {line.value:>16,.2f} "
                       f"{line.weighted:>16,.2f} {line.won:>16,.2f}")


@app.command("snapshot")
def snapshot(on: Annotated[str | None, typer.Option("--on", help="the day to date it (YYYY-MM-DD; default today)")]
             = None) -> None:
    """Take the forecast's snapshot now (the worker takes one daily): the weighted pipeline per close month, owner
    and currency, this month and the next twelve. The same day again replaces that day's."""
    from datetime import date

    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.pipeline import snapshots

    day = None
    if on:
        try:
            day = date.fromisoformat(on.strip())
        except ValueError:
            typer.echo("--on: a date like 2026-03-01", err=True)
            raise typer.Exit(2) from None
    _, _, factory = open_db()
    with factory() as session:
        try:
            taken = snapshots.take(session=session, on=day)
        except Invalid as exc:
            typer.echo(f"--on: {exc.errors[0].reason}", err=True)
            raise typer.Exit(2) from None
        session.commit()
    typer.echo(f"Snapshot of {taken.day.isoformat()}: {taken.rows} rows, close months {taken.months[0]} to "
               f"{taken.months[1]}.")


@app.command("accuracy")
def accuracy(months: Annotated[int, typer.Option("--months", help="the last N full months")] = 6,
             lead_days: Annotated[int, typer.Option("--lead-days", help="the forecast as of N days before each "
                                                                        "month")] = 0,
             by: Annotated[str | None, typer.Option("--by", help="owner: one line per owner")] = None,
             user: Annotated[str | None, typer.Option("--user", help="as this user sees it")] = None) -> None:
    """The forecast's accuracy on past months: the forecast recorded before each month against what was won in it,
    per currency, with the error, MAPE and bias."""
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.pipeline import snapshots

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        actor = _actor(session, user)
        try:
            found = snapshots.report(actor, session=session, months=months, lead_days=lead_days, group=by)
        except Invalid as exc:
            for error in exc.errors:
                option = {"group": "by"}.get(error.field, error.field).replace("_", "-")
                typer.echo(f"--{option}: {error.reason}", err=True)
            raise typer.Exit(2) from None
    owner = found.group == "owner"
    head = f"{'owner':<20} " if owner else ""
    typer.echo(f"{'month':<8} {head}{'cur':<4} {'snapshot':<10} "
               f"{'forecast':>16} {'actual':>16} {'difference':>16} {'error %':>8}")
    for month in found.accuracy.months:
        taken = month.snapshot_on.isoformat() if month.snapshot_on else "-"
        if not month.lines:
            typer.echo(f"{month.month:<8} {' ' * 21 if owner else ''}{'':<4} {taken:<10} {month.note}")
        for x in month.lines:
            who = f"{found.label(x.group)[:20]:<20} " if owner else ""
            forecast = "-" if x.forecast is None else f"{x.forecast:,.2f}"
            difference = "-" if x.difference is None else f"{x.difference:,.2f}"
            error = "-" if x.error is None else f"{x.error}"
            typer.echo(f"{x.month:<8} {who}{x.currency:<4} {taken:<10} {forecast:>16} {x.actual:>16,.2f} "
                       f"{difference:>16} {error:>8}" + (f"  {month.note}" if month.note else ""))
    for s in found.accuracy.summaries:
        who = f" {found.label(s.group)}" if owner else ""
        typer.echo(f"MAPE{who} {s.currency}: {s.mape} %, bias {s.bias} % over {s.months} month"
                   f"{'s' if s.months != 1 else ''}")


def _write(file: Path, kind: str, user: str | None) -> None:
    from leadflow.console import open_db
    from leadflow.pipeline import queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        actor = _actor(session, user)
        if kind == "opportunities":
            cards = queries.cards(queries.opportunities(actor, queries.OpportunityFilter(), session=session,
                                                        limit=1_000_000), session=session)
            text = queries.csv_text(queries.OPPORTUNITY_COLUMNS, [queries.opportunity_row(c) for c in cards])
            count = len(cards)
        else:
            rows = queries.quotes(actor, session=session, limit=1_000_000)
            text = queries.csv_text(queries.QUOTE_COLUMNS, [queries.quote_row(q) for q in rows])
            count = len(rows)
    file.write_text(text, encoding="utf-8", newline="")
    typer.echo(f"{count} {kind} written to {file}", err=True)


def export_opportunities(file: Annotated[Path, typer.Argument(help="the CSV file to write")],
                         user: Annotated[str | None, typer.Option("--user", help="only what this user sees")] = None,
                         ) -> None:
    """Export the opportunities (value, stage, probabilities with where they came from, weighted value, owner,
    team, won or lost with the reason) to a CSV file."""
    _write(file, "opportunities", user)


def export_quotes(file: Annotated[Path, typer.Argument(help="the CSV file to write")],
                  user: Annotated[str | None, typer.Option("--user", help="only what this user sees")] = None) -> None:
    """Export the quotes (amount, currency, status, sent and decided dates) to a CSV file."""
    _write(file, "quotes", user)
