"""`leadflow analytics ...`: refresh the facts (all of them, or the stale ones now), and the figures per campaign,
source, segment or salesperson from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Campaign economics, attribution, the funnel; the facts behind them.", no_args_is_help=True)


def _fail(exc) -> None:
    for error in exc.errors:
        typer.echo(f"{error.field}: {error.reason}", err=True)
    raise typer.Exit(1) from None


@app.command()
def rebuild() -> None:
    """Rebuild every lead's facts and attribution credits now (the worker keeps them current; this is for a first
    build or after changing exchange rates by hand)."""
    from rich.progress import Progress

    from leadflow.analytics import facts
    from leadflow.console import open_db
    from leadflow.leads import queries as leads_queries

    _, _, factory = open_db()
    with factory() as session:
        total = leads_queries.lead_count(session=session)
    with Progress() as progress:
        task = progress.add_task("Rebuilding lead facts", total=total)
        done = facts.rebuild(factory, progress=lambda n: progress.advance(task, n))
    typer.echo(f"{done} leads' facts rebuilt")


@app.command()
def refresh() -> None:
    """Refresh the leads marked stale now (what the worker's pass does every 30 seconds)."""
    from leadflow.analytics import facts
    from leadflow.console import open_db

    _, _, factory = open_db()
    done = facts.run_pass(factory)
    typer.echo(f"{done} stale leads refreshed")


@app.command()
def economics(
        group: Annotated[str, typer.Option(help="campaign, source, medium, channel, offer, country, industry, "
                                                "owner, team or month")] = "campaign",
        period: Annotated[str | None, typer.Option(help="this_month, last_month, quarter, last_12_months, "
                                                        "this_year")] = None,
        start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
        end: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
        campaign: Annotated[str | None, typer.Option(help="a campaign id (its subtree)")] = None,
        source: Annotated[str | None, typer.Option()] = None,
        channel: Annotated[str | None, typer.Option()] = None,
        csv: Annotated[bool, typer.Option("--csv", help="CSV on standard output")] = False) -> None:
    """Leads, SQLs, customers, revenue, cost, CPO and ROI per campaign (or another group), as an admin sees them."""
    from leadflow.analytics import params, present, queries
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.people.service import SYSTEM

    _, _, factory = open_db()
    with factory() as session:
        try:
            f = params.filters(period=period, start=start, end=end, campaign=campaign, source=source,
                               channel=channel)
            report = queries.economics(SYSTEM, f, session=session, group=queries.check_group(group))
        except Invalid as exc:
            _fail(exc)
    if csv:
        typer.echo(present.csv_text(report), nl=False)
        return
    typer.echo(f"{report.filters.start.date()} to {report.filters.query()['to']}, amounts in {report.currency}")
    typer.echo(f"{'':<32} {'leads':>7} {'SQLs':>6} {'cust.':>6} {'revenue':>12} {'cost':>10} {'CPO':>9} {'ROI':>8}")
    for row in [*report.rows, report.total]:
        d = row.derived
        label = ("  " * row.depth + row.label)[:32]
        cost = "" if row.figures.cost is None else f"{row.figures.cost:,.2f}"
        typer.echo(f"{label:<32} {row.figures.leads:>7} {row.figures.sqls:>6} {row.figures.customers:>6} "
                   f"{row.figures.revenue:>12,.2f} {cost:>10} {'' if d.cost_per_order is None else d.cost_per_order:>9}"
                   f" {present.percent(d.roi):>8}")
    for note in report.notes:
        typer.echo(note)


from leadflow.analytics import funnel_cli  # noqa: E402  (its commands join this group)

funnel_cli.mount(app)
