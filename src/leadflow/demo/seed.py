"""`leadflow demo`: fills an empty database with a believable company's lead management, through the stages'
services, each part in a short transaction of its own; a run that stopped midway is resumed by the next one.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadflow import db
from leadflow.clock import now
from leadflow.demo import analytics as demo_analytics
from leadflow.demo import sales as demo_sales
from leadflow.demo import story as demo_story
from leadflow.demo.campaigns import plan_campaigns, publish_forms
from leadflow.demo.companies import LOCALES, found_companies
from leadflow.demo.leads import import_leads, lead_rows
from leadflow.demo.people import hire_people
from leadflow.demo.progress import Progress, Report, keep_state, read_state, still_running
from leadflow.demo.work import spread_work
from leadflow.errors import Conflict
from leadflow.leads.models import Lead
from leadflow.scoring.predict import jobs as predict_jobs


class NotEmpty(Conflict):
    """The database has leads (or the demo) already: the demo fills only an empty one (unless forced)."""


def _noop(step: str, done: int, total: int) -> None:
    pass


def lead_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Lead)) or 0


def run(factory: sessionmaker[Session], *, leads: int = 3000, seed: int | None = None, force: bool = False,
        progress: Progress = _noop, announce: Callable[[Report], None] = lambda report: None) -> Report:
    """Each part in a short transaction of its own (the imports commit per chunk, as every import does), so the demo
    runs beside a server, a worker or an import on the same database. A run that stopped midway is resumed by the
    next one: the same seed makes the same data, each part finds what was already written, and the state kept in
    `instance_settings` says how far it got. `announce` hears the users and their password once they are committed.
    """
    from faker import Faker  # only here: every other command starts without it

    from leadflow import stages

    stages.wire()  # the demo runs the stages' services outside an app: they are handed what they read of others

    with db.reading(factory)() as session:
        state = read_state(session)
        if state is not None and state.get("finished") and not force:
            raise NotEmpty("the demo data is there already; the demo fills only an empty database "
                           "(use --force to add the demo data anyway)")
        if state is None and lead_count(session) and not force:
            raise NotEmpty("the database has leads already; the demo fills only an empty database "
                           "(use --force to add the demo data anyway)")
    resuming = state is not None and not state.get("finished")
    if resuming:
        if still_running(state):
            raise Conflict(f"a demo is running in process {state['pid']}; wait for it to finish")
        seed, leads = state["seed"], state["leads"]
    elif seed is None:
        seed = random.SystemRandom().randrange(2**31)
    state = {"seed": seed, "leads": leads, "finished": False, "spread_after": 0} if not resuming else state
    rng = random.Random(seed)
    Faker.seed(rng.randrange(2**32))
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for fake in fakers.values():
        fake.seed_instance(rng.randrange(2**32))
    state.update(pid=os.getpid(), host=socket.gethostname())  # whose run this is (a resumed one takes over)
    report = Report(resumed=resuming)
    moment = now()
    progress("people, companies and campaigns", 0, 1)
    with factory() as session:
        people = hire_people(session, rng, fakers, report)
        companies = found_companies(session, rng, fakers, report)
        campaigns = plan_campaigns(session, rng, moment, report)
        report.forms = publish_forms(session, campaigns)
        set_routing(session, people)
        keep_state(session, state)
        session.commit()
    announce(report)
    rows = lead_rows(rng, fakers, companies, leads)
    import_leads(factory, rows, campaigns, report, progress)
    spread_work(factory, rng, people, campaigns, moment, report, progress, state)
    with factory() as session:   # the leads' story in one transaction: told once, and the demo then finished
        report.story = demo_story.tell(session, rng, moment, progress, campaign_ids=[p.id for p in campaigns])
        progress("follow-ups, opportunities and quotes", 0, 1)
        report.sales = demo_sales.sell(session, rng, moment)
        state["finished"] = True
        keep_state(session, state)
        predict_jobs.run_soon(session)   # won and lost leads to learn from: a running worker trains now
        session.commit()
    progress("dashboards: exchange rates, targets, every lead's facts", 0, 1)
    demo_analytics.measure(factory, moment)
    progress("done", 1, 1)
    return report


def command(
    leads: Annotated[int, typer.Option("--leads", help="how many people to capture", min=10, max=200_000)] = 3000,
    seed: Annotated[int | None, typer.Option("--seed", help="the same seed makes the same data")] = None,
    force: Annotated[bool, typer.Option("--force", help="add the demo data even if the database has leads")] = False,
) -> None:
    """Fill an empty database with a realistic company: people, teams, companies, campaigns, leads and their work."""
    import time

    from leadflow.console import open_db

    _, _, factory = open_db()
    err = Console(stderr=True, highlight=False)
    started = time.monotonic()

    def announce(report: Report) -> None:  # as soon as the users are committed: a later failure cannot hide them
        err.print("Sign in as any of these users (the password is shown only now):", markup=False)
        for email, role, team in report.users:
            err.print(f"  {email:<46} {role.replace('_', ' '):<14} {team}", markup=False)
        err.print(f"  password for all of them: {report.password}", markup=False)

    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
             console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("starting", total=None)

        def advance(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total or None)

        try:
            report = run(factory, leads=leads, seed=seed, force=force, progress=advance, announce=announce)
        except Conflict as exc:  # the database has other leads, the demo is there, or one is running
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except Exception as exc:
            typer.echo(f"the demo stopped midway ({type(exc).__name__}: {exc}); run `leadflow demo` again to "
                       "finish it", err=True)
            raise typer.Exit(1) from None
    seconds = time.monotonic() - started
    typer.echo(f"Demo data in {seconds:.1f} s{' (resumed)' if report.resumed else ''}: {report.leads} leads "
               f"({report.captures} captures), {report.companies} companies in groups, {report.campaigns} campaigns "
               f"with costs, {report.activities} activities, {report.duplicates_in_review} possible duplicates to "
               f"review, forms {', '.join('/f/' + slug for slug in report.forms)}.", err=True)
    if report.story:
        bands = report.story.bands or {}
        typer.echo(f"{report.story.events} behaviour events; open leads {bands.get('hot', 0)} hot, "
                   f"{bands.get('warm', 0)} warm, {bands.get('cold', 0)} cold; {report.story.sales_ready} became "
                   f"Sales Ready; BANT answers for {report.story.bant_leads} leads.", err=True)
    if report.sales:
        typer.echo(f"{report.sales['followups']} hand-overs with their follow-ups ({report.sales['contacts']} "
                   f"followed up), {report.sales['tasks']} open tasks, {report.sales['opportunities']} opportunities "
                   f"and {report.sales['quotes']} quotes.", err=True)


def set_routing(session: Session, people: dict) -> None:
    """The demo's routing rules: the Nordics to Sales North, the Benelux and Germany to Sales Central (in turn),
    key accounts at capture to the first northern rep; the rest waits in the fallback queue."""
    from leadflow.people import roles
    from leadflow.routing import service as routing_service

    if routing_service.active_rule_set(session=session) is not None:
        return
    north = next((u for u in people[roles.SALES_REP] if u.team_id is not None), None)
    rules = [{"name": "Nordics", "when": 'country in ("FI", "NO", "SE", "DK")', "to": "team:Sales North"},
             {"name": "Benelux and Germany", "when": 'country in ("NL", "BE", "LU", "DE", "AT", "CH")',
              "to": "team:Sales Central", "method": "fewest_open"}]
    if north is not None:
        rules.insert(0, {"name": "Key account: Equinor", "when": 'email_domain == "equinor.com"',
                         "to": f"user:{north.email}", "on_capture": True})
    routing_service.save_rule_set({"rules": rules, "fallback_queue": "Unassigned"}, session=session, actor="system",
                                  notes="the demo's territories", activate=True)
