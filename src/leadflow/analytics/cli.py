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


def _pairs(items: list[str], name: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, sep, value = item.rpartition("=")
        if not sep or not key.strip():
            typer.echo(f"{name}: {item!r} is not KEY=VALUE", err=True)
            raise typer.Exit(1)
        out.append((key.strip(), value.strip()))
    return out


def _save(change) -> None:
    from leadflow.console import open_db
    from leadflow.errors import Invalid, NotFound

    _, _, factory = open_db()
    with factory() as session:
        try:
            change(session)
        except Invalid as exc:
            _fail(exc)
        except NotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        session.commit()


@app.command()
def rates(
        set_: Annotated[list[str] | None, typer.Option("--set", help="CUR=RATE (units of the reporting currency "
                                                                     "per unit), repeatable")] = None,
        valid_from: Annotated[str | None, typer.Option("--from", help="the day the rates hold from, YYYY-MM-DD "
                                                                      "(default today)")] = None,
        delete: Annotated[str | None, typer.Option(help="CUR: delete its rate of --from")] = None) -> None:
    """Show the exchange rates, or add or replace some (the worker then converts every lead's figures again)."""
    from leadflow import clock
    from leadflow.analytics import settings_service

    day = valid_from or clock.now().date().isoformat()
    if set_:
        items = [{"currency": c, "rate": r, "valid_from": day} for c, r in _pairs(set_, "--set")]
        _save(lambda session: settings_service.put_rates({"rates": items}, session=session))
    if delete:
        if not valid_from:
            typer.echo("--delete needs --from (the day of the rate)", err=True)
            raise typer.Exit(1)
        _save(lambda session: settings_service.delete_rate(delete, valid_from, session=session))
    _show(lambda session: [f"{r['currency']} from {r['valid_from']}: {r['rate']}"
                           for r in settings_service.rates(session=session)],
          lambda session: f"Rates into {settings_service.current(session=session)['reporting_currency']}:")


@app.command()
def norms(
        set_: Annotated[list[str] | None, typer.Option("--set", help="DIMENSION:VALUE=PERCENT (source:google=150), "
                                                                     "repeatable")] = None,
        default: Annotated[str | None, typer.Option(help="the default norm, a percentage ('' for none)")] = None,
        delete: Annotated[str | None, typer.Option(help="DIMENSION:VALUE")] = None) -> None:
    """Show the ROI norms, or set some (a percentage: 150 is 150 %) and the default."""
    from leadflow.analytics import settings_service

    if set_:
        items = []
        for key, pct in _pairs(set_, "--set"):
            dimension, _, value = key.partition(":")
            items.append({"dimension": dimension, "value": value, "min_roi": pct})
        _save(lambda session: settings_service.put_norms({"norms": items}, session=session))
    if default is not None:
        _save(lambda session: settings_service.update({"roi_norm": default or None}, session=session))
    if delete:
        dimension, _, value = delete.partition(":")
        _save(lambda session: settings_service.delete_norm(dimension, value, session=session))
    _show(lambda session: [f"{n['dimension']} {n['value']}: {n['min_roi']} %"
                           for n in settings_service.norms(session=session)],
          lambda session: f"Default: {settings_service.current(session=session)['roi_norm'] or 'none'} %")


@app.command()
def targets(
        set_: Annotated[list[str] | None, typer.Option("--set", help="YYYY-MM=AMOUNT, repeatable")] = None,
        team: Annotated[str | None, typer.Option(help="a team's id (default: the whole company)")] = None) -> None:
    """Show the revenue targets, or add or replace some (in the reporting currency)."""
    from leadflow.analytics import settings_service

    if set_:
        items = [{"month": m, "amount": a, "team": team} for m, a in _pairs(set_, "--set")]
        _save(lambda session: settings_service.put_targets({"targets": items}, session=session))
    _show(lambda session: [f"{t['month']} {t['team_name'] or 'the whole company'}: {t['amount']}"
                           for t in settings_service.targets(session=session)],
          lambda session: f"Revenue targets in {settings_service.current(session=session)['reporting_currency']}:")


def _show(lines, heading) -> None:
    from leadflow.console import open_db

    _, _, factory = open_db()
    with factory() as session:
        typer.echo(heading(session))
        for line in lines(session):
            typer.echo(f"  {line}")


@app.command()
def check() -> None:
    """Look for sources and campaigns below their ROI norm or spending without customers now, and alert (once per
    thing and week) as the worker does daily at 07:00 UTC."""
    from leadflow.analytics import alerts
    from leadflow.console import open_db
    from leadflow.db import unit_of_work

    _, _, factory = open_db()
    with unit_of_work(factory) as session:
        done = alerts.check(session=session)
    if not done.findings:
        typer.echo("Every source and campaign meets its norm.")
    for item in done.findings:
        new = " (new: alerted)" if item in done.raised else " (alerted before this week)"
        typer.echo(f"{item.kind}: {item.dimension} {item.label}{new}")


@app.command()
def digest(
        week: Annotated[str | None, typer.Option(help="a day of the week, YYYY-MM-DD (default: the last whole "
                                                      "week)")] = None,
        send: Annotated[bool, typer.Option("--send", help="send it to everyone who receives it (once each)")] = False,
        pdf: Annotated[str | None, typer.Option(help="also write the PDF to this file")] = None) -> None:
    """Preview the weekly digest as an admin sees it, or send it as the worker does on Mondays."""
    from pathlib import Path

    from leadflow import clock
    from leadflow.analytics import digest as weekly
    from leadflow.analytics import digest_render
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.errors import Invalid
    from leadflow.people.service import SYSTEM

    _, _, factory = open_db()
    try:
        first = weekly.parse_week(week, today=clock.now().date())
    except Invalid as exc:
        _fail(exc)
    if send:
        with unit_of_work(factory) as session:
            done = weekly.send(first, session=session)
        typer.echo(f"Digest of the week of {first}: {done.sent} made, {done.emailed} emailed, {done.skipped} sent "
                   "before")
        return
    with factory() as session:
        d = weekly.build(SYSTEM, first, session=session, recipient="an admin")
    typer.echo(digest_render.text(d), nl=False)
    if pdf:
        Path(pdf).write_bytes(weekly.pdf_of(d))
        typer.echo(f"PDF written to {pdf}")


from leadflow.analytics import funnel_cli  # noqa: E402  (its commands join this group)

funnel_cli.mount(app)
