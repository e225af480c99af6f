"""`leadflow followup norms [--set KEY=VALUE ...]` and `leadflow followup scorecard`: the scorecard's norms and
figures from the command line. Mounted by followup/cli.py (the lead wires the command lines)."""

from __future__ import annotations

from typing import Annotated

import typer


def _fail(exc) -> None:
    for error in exc.errors:
        typer.echo(f"{error.field}: {error.reason}", err=True)
    raise typer.Exit(1) from None


def norms(changes: Annotated[list[str] | None, typer.Option(
        "--set", help="KEY=VALUE, money with its currency (average_order=15000 EUR); repeat for more")] = None,
          ) -> None:
    """Show the scorecard's norms, or set some (followed_up_pct=85, overdue_pct=5, average_order=15000 EUR)."""
    from leadflow.console import open_db
    from leadflow.errors import FieldError, Invalid
    from leadflow.followup import kpis, scorecard

    parsed, problems = [], []
    for index, change in enumerate(changes or []):
        key, sep, value = change.partition("=")
        if not sep or not key.strip():
            problems.append(FieldError(f"--set[{index}]", f"{change!r} is not KEY=VALUE"))
            continue
        parsed.append((key.strip(), value, None))
    if problems:
        _fail(Invalid(problems))
    _, _, factory = open_db()
    with factory() as session:
        if parsed:
            try:
                current = scorecard.set_norms(parsed, session=session, actor="cli")
            except Invalid as exc:
                _fail(exc)
            session.commit()
        else:
            current = scorecard.norms(session=session)
    for spec in kpis.SPECS.values():
        norm = current.get(spec.key)
        money = f" {norm.currency}" if norm is not None and norm.currency else ""
        shown = "no norm" if norm is None else f"{spec.direction} {norm.value}{money}"
        typer.echo(f"{spec.key:<20} {shown:<20} {spec.label} ({spec.unit})")


def figures(group: Annotated[str, typer.Option(help="rep, team, source or campaign")] = "rep",
            period: Annotated[str | None, typer.Option(help="this_month, last_month, quarter")] = None,
            start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
            end: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
            csv: Annotated[bool, typer.Option("--csv", help="the table as CSV")] = False) -> None:
    """The scorecard (every hand-over: the command line sees all) as a table or CSV."""
    from leadflow import clock, periods
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.followup import scorecard
    from leadflow.people.service import Actor

    _, _, factory = open_db()
    with factory() as session:
        try:
            first, after, _ = periods.period(period, start, end, today=clock.now().date())
            card = scorecard.scorecard(Actor(kind="system", id=None), session=session, group=group, start=first,
                                       end=after)
        except Invalid as exc:
            _fail(exc)
    if csv:
        typer.echo(scorecard.csv_text(card), nl=False)
        return
    typer.echo(f"{group} {first.date()} .. {after.date()} (end excluded)")
    for row in [*card.rows, card.total]:
        f = row.figures
        short = [k for k, c in row.checks.items() if c.short]
        typer.echo(f"{row.label[:30]:<30} handed {row.handed_over:>7}  followed {f['followed_up_pct'] or '-':>5} %  "
                   f"overdue {f['overdue_pct'] or '-':>5} %  quote {f['quote_pct'] or '-':>5} %  "
                   f"won {f['won_pct'] or '-':>5} %  short: {', '.join(short) or 'none'}")
