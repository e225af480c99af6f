"""`leadflow email sends create | list | results | cancel`, `leadflow email experiment` and `leadflow email ab-test`:
one-off sends and A/B tests from the command line (`leadflow email send` is the sender's pass). `ab-test --csv FILE`
judges a results file without the database (one row per recipient: a group column and 0/1 or amount columns; the
public Hillstrom experiment is the example). `mount(app)` puts them on the email command group (email/cli.py's)."""

from __future__ import annotations

import csv as csv_module
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

def _fail(exc) -> None:
    for error in exc.errors:
        typer.echo(f"{error.field}: {error.reason}", err=True)
    raise typer.Exit(1) from None


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def send(name: Annotated[str, typer.Option(help="the send's name")],
         segment: Annotated[int | None, typer.Option(help="a segment's id: its members when the send goes out")] = None,
         campaign: Annotated[int | None, typer.Option(help="a campaign's id: the leads it brought")] = None,
         template: Annotated[int | None, typer.Option(help="an email template's id")] = None,
         experiment: Annotated[int | None, typer.Option(help="an A/B test's id (instead of a template)")] = None,
         at: Annotated[str | None, typer.Option(help="when, ISO 8601 with its zone (default: now)")] = None,
         window_days: Annotated[int | None, typer.Option(help="days SQLs and revenue count after it")] = None,
         draft: Annotated[bool, typer.Option(help="keep it as a draft")] = False) -> None:
    """Make a one-off send (the worker queues it a chunk at a time)."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.email import sends
    from leadflow.errors import Invalid

    try:
        scheduled_at = datetime.fromisoformat(at) if at else None
    except ValueError:
        typer.echo("at: not an ISO 8601 time (2026-12-24T09:00+01:00)", err=True)
        raise typer.Exit(1) from None
    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            made = sends.create_send(session=session, name=name, segment_id=segment, campaign_id=campaign,
                                     template_id=template, experiment_id=experiment, scheduled_at=scheduled_at,
                                     window_days=window_days, draft=draft)
            typer.echo(f"send {made.id} {made.status}: {made.name}")
    except Invalid as exc:
        _fail(exc)


def sends_list() -> None:
    """The sends, newest first: status, audience, queued, held out."""
    from leadflow.console import open_db
    from leadflow.email import sends_queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        for s in sends_queries.sends_page(session=session, limit=200):
            typer.echo(f"{s.id}\t{s.status}\t{s.name}\taudience {s.audience}\tqueued {s.queued}\theld out {s.skipped}")


def results(send_id: Annotated[int, typer.Argument(help="the send's id")],
            as_json: Annotated[bool, typer.Option("--json", help="JSON as the API gives it")] = False) -> None:
    """A send's results per variant and the winner on the test's metric."""
    from leadflow.console import open_db
    from leadflow.email import sends_queries, sends_schemas
    from leadflow.errors import NotFound

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        try:
            r = sends_queries.results(send_id, session=session)
        except NotFound:
            typer.echo(f"no send {send_id}", err=True)
            raise typer.Exit(1) from None
        if as_json:
            typer.echo(json.dumps(sends_schemas.results_json(r), default=str, indent=2))
            return
        typer.echo("variant\taudience\tsent\tskipped\tdelivered\tbounced\topened\tclicked\tSQLs\twon revenue")
        for v in r.rows:
            typer.echo(f"{v.key}\t{v.audience}\t{v.sent}\t{v.skipped_total}\t{v.delivered}\t{v.bounced}\t"
                       f"{v.opened} ({_pct(v.open_rate)})\t{v.clicked} ({_pct(v.click_rate)})\t{v.sqls}\t"
                       f"{v.revenue} {r.currency or ''}".rstrip())
        if r.verdict is not None:
            typer.echo(r.verdict.words)


def cancel(send_id: Annotated[int, typer.Argument(help="the send's id")]) -> None:
    """Stop a send: nothing more is queued, its messages not yet sent are skipped."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.email import sends
    from leadflow.errors import Invalid, NotFound

    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            sends.cancel_send(send_id, session=session)
    except NotFound:
        typer.echo(f"no send {send_id}", err=True)
        raise typer.Exit(1) from None
    except Invalid as exc:
        _fail(exc)
    typer.echo(f"send {send_id} canceled")


def experiment(name: Annotated[str, typer.Option(help="the test's name")],
               variant: Annotated[list[str], typer.Option(help="KEY=TEMPLATE_ID, repeated (A=3 --variant B=4)")],
               split: Annotated[str | None, typer.Option(help="percents in the variants' order: 50,50")] = None,
               holdout: Annotated[int, typer.Option(help="the hold-out's percent (no email)")] = 0,
               metric: Annotated[str, typer.Option(help="open, click, sql or revenue")] = "click",
               window_days: Annotated[int, typer.Option(help="days after the send outcomes count")] = 14) -> None:
    """Make an A/B test to send with `leadflow email sends create --experiment ID`."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.email import sends
    from leadflow.errors import Invalid

    variants = []
    for item in variant:
        key, _, template_id = item.partition("=")
        if not template_id.strip().isdecimal():
            typer.echo(f"variant: {item!r} is not KEY=TEMPLATE_ID", err=True)
            raise typer.Exit(1)
        variants.append({"key": key.strip(), "template_id": int(template_id)})
    shares = None
    if split:
        parts = [p.strip() for p in split.split(",")]
        if len(parts) != len(variants) or not all(p.isdecimal() for p in parts):
            typer.echo("split: one whole percent per variant, in their order (50,50)", err=True)
            raise typer.Exit(1)
        shares = {v["key"]: int(p) for v, p in zip(variants, parts, strict=True)}
    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            made = sends.create_experiment(session=session, name=name, variants=variants, split=shares,
                                           holdout_pct=holdout, metric=metric, window_days=window_days)
            typer.echo(f"A/B test {made.id}: {made.name} ({', '.join(f'{k} {p} %' for k, p in made.split.items())}"
                       f"{f', hold-out {made.holdout_pct} %' if made.holdout_pct else ''})")
    except Invalid as exc:
        _fail(exc)


def ab_test(csv: Annotated[Path, typer.Option("--csv", help="the results file (a header row, one row per recipient)",
                                              exists=True, dir_okay=False)],
            group: Annotated[str, typer.Option(help="the column naming each row's variant")] = "segment",
            rate: Annotated[list[str] | None, typer.Option(help="a 0/1 column compared as a rate (repeatable)")] = None,
            amount: Annotated[list[str] | None, typer.Option(help="an amount column compared per row")] = None,
            control: Annotated[str | None, typer.Option(help="the group the others are compared with")] = None,
            level: Annotated[float, typer.Option(help="the confidence a winner needs")] = 0.95) -> None:
    """Judge an A/B test's results file: each group's rates (with their 95 % Wilson interval) and amounts per row,
    each group against the control (z-test for rates, Welch's t-test for amounts), and the winner among the
    others. The Hillstrom file: `--csv hillstrom.csv --rate visit --rate conversion --amount spend
    --control "No E-Mail"` (those are the defaults for a file with these columns)."""
    from leadflow.email import experiments as ex

    with csv.open(newline="", encoding="utf-8-sig") as source:
        reader = csv_module.DictReader(source)
        columns = reader.fieldnames or []
        rates = rate or [c for c in ("visit", "conversion") if c in columns]
        amounts = amount or [c for c in ("spend",) if c in columns]
        missing = [c for c in [group, *rates, *amounts] if c not in columns]
        if missing:
            typer.echo(f"no column {missing[0]!r} in {csv.name} (it has: {', '.join(columns)})", err=True)
            raise typer.Exit(1)
        try:
            analysis = ex.analyse_rows(reader, group=group, proportions=rates, amounts=amounts, control=control)
        except KeyError:
            typer.echo(f"control: no group {control!r} in the {group!r} column", err=True)
            raise typer.Exit(1) from None
    if control is None and "No E-Mail" in analysis.groups:
        analysis = ex.Analysis(analysis.groups, analysis.proportions, analysis.amounts, "No E-Mail")
    for column in [*rates, *amounts]:
        table = analysis.proportions.get(column) or analysis.amounts[column]
        tests = analysis.tests(column)
        typer.echo(f"\n{column}")
        for key in analysis.groups:
            g = table[key]
            if g.amount is None:
                interval = ex.wilson_interval(g.successes, g.n)
                line = f"  {key}: {g.successes} of {g.n} = {_pct(g.value)} (95 %: {_pct(interval.low)} to " \
                       f"{_pct(interval.high)})"
            else:
                line = f"  {key}: {g.value:.4f} per row over {g.n} (sd {g.amount.variance ** 0.5:.2f})"
            t = tests.get(key)
            if t is not None:
                lift = ex.lift(table[analysis.control].value, g.value)
                line += f"; vs {analysis.control}: lift {_pct(lift)}, " \
                        f"{'z' if t.df is None else 't'} = {t.statistic:.2f}, p = {t.p_value:.3g}, " \
                        f"{ex.confidence_words(t.confidence)} confidence"
            typer.echo(line)
        candidates = [table[k] for k in analysis.groups if k != analysis.control]
        verdict = ex.judge(column, candidates, level=level)
        typer.echo(f"  winner: {verdict.words}")


sends_app = typer.Typer(help="One-off sends: make one, list them, see a send's results, cancel one.",
                        no_args_is_help=True)
sends_app.command("create")(send)
sends_app.command("list")(sends_list)
sends_app.command("results")(results)
sends_app.command("cancel")(cancel)


def mount(target: typer.Typer) -> None:
    """Put `sends create|list|results|cancel`, `experiment` and `ab-test` on the email command group."""
    target.add_typer(sends_app, name="sends")
    target.command("experiment")(experiment)
    target.command("ab-test")(ab_test)
