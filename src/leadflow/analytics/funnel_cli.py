"""`leadflow analytics funnel | cohorts | split | attribution`: the funnel, the monthly cohorts, the 25/25/50 split and
the attribution models side by side, as tables (or CSV), over every lead (as an admin sees them). `mount(app)` puts
them on the analytics command group."""

from __future__ import annotations

from typing import Annotated

import typer

Period = Annotated[str | None, typer.Option(help="this_month, last_month, quarter, last_12_months (the default), "
                                                 "this_year")]
From = Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")]
To = Annotated[str | None, typer.Option("--to", help="last day (included), YYYY-MM-DD")]
Campaign = Annotated[str | None, typer.Option(help="a campaign id (its subtree)")]
Source = Annotated[str | None, typer.Option()]
Channel = Annotated[str | None, typer.Option()]
Csv = Annotated[bool, typer.Option("--csv", help="CSV on standard output")]


def _fail(exc) -> None:
    for error in exc.errors:
        typer.echo(f"{error.field}: {error.reason}", err=True)
    raise typer.Exit(1) from None


def _read(read, *, period, start, end, campaign, source, channel):
    """Open the database, parse the filters and read the figures as the system (every lead); a bad value exits 1
    naming the field."""
    from leadflow.analytics import params
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.people.service import SYSTEM

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        try:
            f = params.filters(period=period, start=start, end=end, campaign=campaign, source=source,
                               channel=channel)
            return read(SYSTEM, f, session)
        except Invalid as exc:
            _fail(exc)


def _span(f) -> str:
    return f"Leads that came in from {f.start.date()} to {f.query()['to']} (UTC)"


def _n(value, empty: str = "–") -> str:
    return empty if value is None else str(value)


def funnel(period: Period = None, start: From = None, end: To = None, campaign: Campaign = None,
           source: Source = None, channel: Channel = None, csv: Csv = False) -> None:
    """How many of the period's leads reached MQL, SQL, opportunity and customer; conversions, median days, and
    where those that stopped at each step are now."""
    from leadflow.analytics import funnel as reads
    from leadflow.analytics import funnel_present, present

    found = _read(lambda actor, f, session: reads.funnel(actor, f, session=session), period=period, start=start,
                  end=end, campaign=campaign, source=source, channel=channel)
    if csv:
        typer.echo(funnel_present.funnel_csv(found), nl=False)
        return
    typer.echo(_span(found.filters))
    typer.echo(f"{'step':<15} {'leads':>7} {'of prev.':>9} {'of leads':>9} {'days prev.':>10} {'days lead':>10}"
               f"   stopped here: open / disqualified / nurture / recycled")
    for s in found.steps:
        stopped = " / ".join(str(s.stopped[k]) for k in reads.WHERE_NOW) if s.stopped is not None else ""
        typer.echo(f"{s.label:<15} {s.count:>7} {present.percent(s.from_previous) if s.from_previous else '':>9} "
                   f"{present.percent(s.from_leads) if s.from_leads else '':>9} {_n(s.median_days, ''):>10} "
                   f"{_n(s.median_days_from_lead, ''):>10}   {stopped}")


def cohorts(period: Period = None, start: From = None, end: To = None, campaign: Campaign = None,
            source: Source = None, channel: Channel = None, csv: Csv = False) -> None:
    """Per month the leads came in: leads, the share that reached each step, orders, revenue, the median days to
    SQL and to customer; young cohorts (ended fewer than 90 days ago) marked with *."""
    from leadflow.analytics import funnel as reads
    from leadflow.analytics import funnel_present, present

    found = _read(lambda actor, f, session: reads.cohorts(actor, f, session=session), period=period, start=start,
                  end=end, campaign=campaign, source=source, channel=channel)
    if csv:
        typer.echo(funnel_present.cohorts_csv(found), nl=False)
        return
    typer.echo(f"{_span(found.filters)}, amounts in {found.currency}; * young (ended < {found.young_days} days ago)")
    typer.echo(f"{'month':<9} {'leads':>7} {'MQL':>8} {'SQL':>8} {'opport.':>8} {'cust.':>8} {'orders':>7} "
               f"{'revenue':>12} {'d. SQL':>7} {'d. cust.':>8}")
    for c in found.cohorts:
        shares = " ".join(f"{present.percent(c.share[k]):>8}" for k in reads.STEPS[1:])
        typer.echo(f"{c.month.strftime('%Y-%m') + ('*' if c.young else ''):<9} {c.leads:>7} {shares} {c.orders:>7} "
                   f"{c.revenue:>12,.2f} {_n(c.median_days_to_sql):>7} {_n(c.median_days_to_customer):>8}")


def split(period: Period = None, start: From = None, end: To = None, campaign: Campaign = None,
          source: Source = None, channel: Channel = None,
          days: Annotated[int, typer.Option(min=1, max=365, help="'at once': within this many days")] = 7,
          csv: Csv = False) -> None:
    """The period's leads against 25/25/50: Sales Ready at once, discarded at once, for nurture; the gap in
    points."""
    from leadflow.analytics import funnel as reads
    from leadflow.analytics import funnel_present, present

    found = _read(lambda actor, f, session: reads.split(actor, f, session=session, days=days), period=period,
                  start=start, end=end, campaign=campaign, source=source, channel=channel)
    if csv:
        typer.echo(funnel_present.split_csv(found), nl=False)
        return
    typer.echo(f"{_span(found.filters)}; 'at once': within {found.days} days")
    typer.echo(f"{'part':<30} {'leads':>7} {'share':>8} {'expected':>9} {'gap':>7}")
    for p in found.parts.values():
        typer.echo(f"{p['label']:<30} {p['leads']:>7} {present.percent(p['share']):>8} "
                   f"{present.percent(p['expected']):>9} {_n(p['gap_points']):>7}")
    if found.pending:
        typer.echo(f"{found.pending} lead(s) younger than {found.days} days and neither yet: not counted")


def attribution(period: Period = None, start: From = None, end: To = None, campaign: Campaign = None,
                source: Source = None, channel: Channel = None,
                goal: Annotated[str, typer.Option(help="sql or revenue")] = "sql",
                group: Annotated[str, typer.Option(help="campaign, source, medium or channel")] = "campaign",
                csv: Csv = False) -> None:
    """The conversions of the period (SQLs, or first orders) credited per campaign, source, medium or channel under
    each model side by side; unattributed: converted leads with no touch."""
    from leadflow.analytics import attribution as models
    from leadflow.analytics import funnel as reads
    from leadflow.analytics import funnel_present

    found = _read(lambda actor, f, session: reads.attribution_report(actor, f, session=session, goal=goal,
                                                                     group=group),
                  period=period, start=start, end=end, campaign=campaign, source=source, channel=channel)
    if csv:
        typer.echo(funnel_present.attribution_csv(found), nl=False)
        return
    revenue = found.goal == "revenue"
    what = "placed their first order" if revenue else "became an SQL"
    typer.echo(f"{found.conversions} lead(s) {what} from {found.filters.start.date()} to "
               f"{found.filters.query()['to']} (UTC)" + (f", revenue in {found.currency}" if revenue else ""))
    typer.echo(f"{found.group:<28} " + " ".join(f"{m:>12}" for m in models.MODELS))
    for row in [*found.rows, found.total]:
        cells = [f"{row.conversions[m]:>12}" for m in models.MODELS]
        if revenue:
            cells = [f"{row.conversions[m]:>6} {row.revenue[m]:>12,.2f}" for m in models.MODELS]
        typer.echo(f"{row.label[:28]:<28} " + " ".join(cells))
    typer.echo(f"{'unattributed (no touch)':<28} " + " ".join(f"{found.unattributed:>12}" for _ in models.MODELS))


COMMANDS = {"funnel": funnel, "cohorts": cohorts, "split": split, "attribution": attribution}


def mount(app: typer.Typer) -> typer.Typer:
    """Put the commands on a Typer group (the `analytics` one of cli.py)."""
    for name, command in COMMANDS.items():
        app.command(name)(command)
    return app


app = mount(typer.Typer(help="The funnel, cohorts, the 25/25/50 split and attribution.", no_args_is_help=True))
