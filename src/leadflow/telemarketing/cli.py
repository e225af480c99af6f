"""`leadflow calls lists|create|add|build|next|outcome|release|throughput|scripts`: call lists and their queues, the
next lead for an agent and a call's outcome (a script or a dialler beside the server), throughput against targets,
and the call scripts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Telemarketing: call lists, claims, call outcomes, throughput, call scripts.",
                  no_args_is_help=True)

User = Annotated[str, typer.Option("--user", help="the agent or manager acting (an email)")]
ListId = Annotated[int, typer.Argument(help="the call list's id")]


def _fail(exc) -> None:
    for error in getattr(exc, "errors", None) or [exc]:
        typer.echo(f"error: {getattr(error, 'field', 'call list')}: {getattr(error, 'reason', error)}", err=True)
    raise typer.Exit(1) from None


def _actor(session, email: str | None):
    from leadflow.errors import NotFound
    from leadflow.people import service as people_service

    if not email:
        return people_service.SYSTEM
    try:
        return people_service.actor_for(people_service.user_by_email(email, session=session))
    except NotFound as exc:
        _fail(exc)


def _run(work, *, reads_only: bool = False):
    """Run `work(session)` in one transaction (committed unless it fails); domain errors end the command."""
    from leadflow.console import open_db
    from leadflow.errors import DomainError
    _, _, factory = open_db(reads_only=reads_only)
    with factory() as session:
        try:
            result = work(session)
            if not reads_only:
                session.commit()
            return result
        except DomainError as exc:
            session.rollback()
            _fail(exc)


@app.command("lists")
def list_lists(user: Annotated[str | None, typer.Option("--user", help="only the lists this person works")] = None
               ) -> None:
    """Every call list: id, name, source, status, waiting / due / held / done, call-backs."""
    from leadflow.telemarketing import queries

    def work(session):
        found = queries.lists_for(_actor(session, user), session=session)
        counts = queries.counts([c.id for c, _, _ in found], session=session)
        if not found:
            typer.echo("no call lists yet: `leadflow calls create NAME --owner EMAIL`")
        for call_list, plan, owner in found:
            c = counts[call_list.id]
            typer.echo(f"{call_list.id}\t{call_list.name}\t{plan.source if plan else 'manual'}\t"
                       f"{plan.status if plan else 'active'}\t{c.waiting} waiting, {c.due} due, {c.held} held, "
                       f"{c.done} done, {c.callbacks} call-backs\t{owner}")

    _run(work, reads_only=True)


@app.command("create")
def create(name: Annotated[str, typer.Argument(help="the list's name")],
           owner: Annotated[str, typer.Option("--owner", help="who runs it (an email)")],
           team: Annotated[str | None, typer.Option("--team", help="the team of agents who call it")] = None,
           segment: Annotated[int | None, typer.Option("--segment", help="fill it from this segment")] = None,
           condition: Annotated[str | None, typer.Option("--condition", help="fill it with the leads matching "
                                                         "this condition")] = None,
           import_id: Annotated[int | None, typer.Option("--import", help="fill it from this import")] = None,
           live: Annotated[bool, typer.Option("--live", help="a segment list: new members join it")] = False,
           script: Annotated[int | None, typer.Option("--script", help="the call script's id")] = None,
           hours: Annotated[str, typer.Option("--hours", help="local calling hours, HH:MM-HH:MM")] = "09:00-18:00",
           days: Annotated[str, typer.Option("--days", help="ISO weekdays called (1 = Monday)")] = "12345",
           zone: Annotated[str, typer.Option("--zone", help="the zone of leads whose zone is unknown")] = "UTC",
           targets: Annotated[str | None, typer.Option("--targets", help="per agent and day, e.g. "
                                                       "calls=80,reached=25,qualified=4,minutes_per_call=5")] = None,
           ) -> None:
    """Make a call list (a segment, condition or import list is filled by the worker a chunk at a time)."""
    from leadflow.errors import Invalid, NotFound
    from leadflow.people import service as people_service
    from leadflow.telemarketing import calling
    from leadflow.telemarketing import service as lists

    start, _, end = hours.partition("-")
    hours_from, hours_to = calling.parse_hhmm(start), calling.parse_hhmm(end)
    if hours_from is None or hours_to is None:
        _fail(Invalid.one("hours", "HH:MM-HH:MM, e.g. 09:00-18:00"))
    wanted = {}
    for part in (targets or "").split(","):
        if part.strip():
            key, _, value = part.partition("=")
            try:
                number = float(value)
                wanted[key.strip()] = int(number) if number.is_integer() else number  # shown as given: 80, not 80.0
            except ValueError:
                _fail(Invalid.one(f"targets.{key.strip()}", "a number"))
    source = "segment" if segment else "condition" if condition else "import" if import_id else "manual"

    def work(session):
        try:
            owner_user = people_service.user_by_email(owner, session=session)
            team_id = people_service.team_by_name(team, session=session).id if team else None
        except NotFound as exc:
            _fail(exc)
        values = {"name": name, "owner_id": owner_user.id, "team_id": team_id, "source": source,
                  "segment_id": segment, "condition": condition, "import_id": import_id, "live": live,
                  "script_id": script, "hours_from": hours_from, "hours_to": hours_to, "days": days,
                  "default_zone": zone, "targets": wanted}
        call_list = lists.create_list(values, session=session, actor=people_service.actor_for(owner_user))
        return call_list.id

    call_list_id = _run(work)
    typer.echo(f"call list {call_list_id} made" + (": the worker fills it from its source" if source in (
        "segment", "condition", "import") else ""))


@app.command("add")
def add(call_list_id: ListId,
        file: Annotated[Path | None, typer.Option("--file", help="lead ids, one per line")] = None,
        lead: Annotated[list[int] | None, typer.Option("--lead", help="a lead id (repeatable)")] = None) -> None:
    """Put leads on a list by hand (those that cannot be called are counted by reason)."""
    from leadflow.telemarketing import service as lists

    ids = list(lead or [])
    if file is not None:
        ids += [int(line) for line in file.read_text("utf-8").split() if line.strip().isdigit()]
    if not ids:
        _fail(ValueError("give --lead ID or --file FILE"))

    def work(session):
        return lists.add_leads(lists.get_list(call_list_id, session=session), ids, session=session,
                               why="added from the command line")

    added = _run(work)
    typer.echo(json.dumps(added.as_dict()))


@app.command("build")
def build(call_list_id: ListId) -> None:
    """Fill a list from its source now, in this process, with a progress bar (the worker does it otherwise)."""
    from leadflow.console import open_db
    from leadflow.telemarketing import service as lists
    from leadflow.telemarketing.models import CallPlan

    _, _, factory = open_db()
    with factory() as session:
        plan = session.get(CallPlan, call_list_id)
        if plan is None or plan.source not in lists.BUILT_FROM:
            _fail(ValueError(f"call list {call_list_id} is not filled from a segment, condition or import"))
        lists.queue_build(plan, session=session, publish=False)
        payload = {"call_list_id": call_list_id, "run": plan.build_run, "after": 0}
        session.commit()
    added = 0
    with typer.progressbar(length=plan_size(factory, call_list_id), label="filling", show_pos=True) as bar:
        while True:
            with factory() as session:
                result = lists.build_step(payload, session=session, queue_next=False)
                session.commit()
            if result is None:
                break
            added += result.added
            bar.update(CHUNK_WALK if result.walked_to is not None else 0)
            if result.walked_to is None:
                break
            payload = {**payload, "after": result.walked_to}
    typer.echo(f"{added} lead(s) added")


CHUNK_WALK = 2000


@app.command("rerank")
def rerank(call_list_id: ListId) -> None:
    """Place every fresh lead waiting on a list again by its band and score now (call-backs and retries keep their
    times)."""
    from leadflow.console import open_db
    from leadflow.telemarketing import service as lists

    _, _, factory = open_db()
    payload, moved = {"call_list_id": call_list_id, "rerank": True, "after": 0}, 0
    with typer.progressbar(length=0, label="placing", show_pos=True) as bar:
        while True:
            with factory() as session:
                step = lists.rerank_step(payload, session=session, queue_next=False)
                last = session.scalar(_last_entry(call_list_id, payload["after"]))
                session.commit()
            if step is None:
                break
            moved += step
            bar.update(step)
            if last is None:
                break
            payload = {**payload, "after": last}
    typer.echo(f"{moved} lead(s) placed again")


def _last_entry(call_list_id: int, after: int):
    """The last lead id of the chunk a rerank step took after `after` (where the next step starts)."""
    from sqlalchemy import func, select

    from leadflow.telemarketing.models import CallEntry
    from leadflow.telemarketing.service import CHUNK

    inner = (select(CallEntry.lead_id).where(CallEntry.call_list_id == call_list_id, CallEntry.lead_id > after)
             .order_by(CallEntry.lead_id).limit(CHUNK).subquery())
    return select(func.max(inner.c.lead_id)).having(func.count() == CHUNK)


def plan_size(factory, call_list_id: int) -> int:
    """How far the walk goes, roughly (the leads to walk): for the progress bar."""
    from leadflow.leads import queries as leads_queries

    with factory() as session:
        return leads_queries.lead_count(session=session)


@app.command("next")
def next_lead(call_list_id: ListId, user: User) -> None:
    """Claim the next lead of a list for an agent (prints it as JSON, or why there is none)."""
    from leadflow.telemarketing import calls
    from leadflow.telemarketing import service as lists

    def work(session):
        actor = _actor(session, user)
        actor.require("calls:make")
        found = calls.claim_next(lists.list_for(call_list_id, actor, session=session), actor, session=session)
        if isinstance(found, calls.NoneNow):
            return {"claimed": False, "reason": found.reason,
                    "next_at": found.next_at.isoformat() if found.next_at else None}
        lead = found.lead
        return {"claimed": True, "lead_id": lead.id, "name": f"{lead.first_name or ''} {lead.last_name or ''}".strip(),
                "phone": lead.phone or lead.mobile, "zone": found.entry.zone, "attempts": found.entry.attempts}

    typer.echo(json.dumps(_run(work)))


@app.command("outcome")
def outcome(call_list_id: ListId, lead_id: Annotated[int, typer.Argument(help="the lead called")], user: User,
            result: Annotated[str, typer.Option("--outcome", help="no_answer, busy, call_back, wrong_number, "
                                                "not_interested, qualified, do_not_call")],
            at: Annotated[datetime | None, typer.Option("--at", help="call_back: when (ISO 8601; UTC if no "
                                                        "zone)")] = None,
            answers: Annotated[str | None, typer.Option("--answers", help="the script's answers as JSON")] = None,
            note: Annotated[str, typer.Option("--note")] = "",
            seconds: Annotated[int | None, typer.Option("--seconds", help="how long the call took")] = None) -> None:
    """Record a call's outcome (the next step it sets is printed)."""
    from leadflow import clock
    from leadflow.telemarketing import calls
    from leadflow.telemarketing import service as lists

    try:
        given = json.loads(answers) if answers else {}
    except json.JSONDecodeError as exc:
        _fail(ValueError(f"--answers is not JSON: {exc}"))

    def work(session):
        actor = _actor(session, user)
        actor.require("calls:make")
        done = calls.record(lists.list_for(call_list_id, actor, session=session), lead_id, actor, session=session,
                            outcome=result, callback_at=clock.as_utc(at), answers=given, note=note, seconds=seconds)
        return {"call_id": done.call.id, "done": done.next.done, "next_step": done.next.reason, "did": done.did}

    typer.echo(json.dumps(_run(work)))


@app.command("release")
def release(call_list_id: ListId, lead_id: Annotated[int, typer.Argument(help="the lead held")], user: User) -> None:
    """Let a held lead go back to its place in the queue."""
    from leadflow.telemarketing import calls
    from leadflow.telemarketing import service as lists

    def work(session):
        actor = _actor(session, user)
        return calls.release(lists.list_for(call_list_id, actor, session=session), lead_id, actor, session=session)

    typer.echo("released" if _run(work) else "nothing held")


@app.command("throughput")
def throughput(days: Annotated[int, typer.Option("--days", help="the last N days")] = 7,
               call_list: Annotated[int | None, typer.Option("--list", help="one list only")] = None,
               user: Annotated[str | None, typer.Option("--user", help="as this person sees it")] = None) -> None:
    """Per list and agent: calls, reached, qualified, minutes per call, per day against the list's targets."""
    from leadflow import clock
    from leadflow.telemarketing import queries

    def work(session):
        until = clock.now()
        rows = queries.throughput(_actor(session, user), session=session, since=until - timedelta(days=days),
                                  until=until, call_list_id=call_list)
        if not rows:
            typer.echo(f"no calls in the last {days} day(s)")
        for row in rows:
            d = row.as_dict()
            marks = ", ".join(f"{name} {v['done']}/{v['target']} {'met' if v['met'] else 'missed'}"
                              for name, v in d["against_targets"].items())
            typer.echo(f"{d['list']}\t{d['agent']}\t{d['calls']} calls\t{d['reached']} reached\t"
                       f"{d['qualified']} qualified\t{d['minutes_per_call'] or 0} min/call\t{d['days']} day(s)"
                       + (f"\t{marks}" if marks else ""))

    _run(work, reads_only=True)


@app.command("scripts")
def list_scripts() -> None:
    """Every call script: id, name, version, campaign, whether it is on."""
    from leadflow.telemarketing import scripts

    def work(session):
        found = scripts.listing(session=session)
        if not found:
            typer.echo("no call scripts yet: make one on /call-lists/scripts or POST /api/v1/call-scripts")
        for s in found:
            typer.echo(f"{s.id}\t{s.name}\tv{s.version}\tcampaign {s.campaign_id or '-'}\t"
                       f"{'on' if s.active else 'off'}\t{len(s.questions)} question(s)")

    _run(work, reads_only=True)
