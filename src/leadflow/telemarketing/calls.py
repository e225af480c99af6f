"""Working a call list: the next lead claimed for an agent (call-backs due first, then retries, then the hottest;
only leads in their calling hours; never one another agent holds: FOR UPDATE SKIP LOCKED on PostgreSQL, the write
lock on SQLite), the claim renewed while the agent is on it and released when they let it go, and a call's outcome
recorded: the contact in the lead's history, the answers where they go, and the next step the outcome sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.db import begin_write, lock_keys
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.followup import contacts
from leadflow.leads import queries as leads_queries
from leadflow.leads import service as leads_service
from leadflow.leads.lifecycle import check_move
from leadflow.leads.models import Lead
from leadflow.people.models import CallList
from leadflow.people.service import Actor
from leadflow.qualification import service as qualification_service
from leadflow.telemarketing import calling, scripts
from leadflow.telemarketing import service as lists
from leadflow.telemarketing.models import Call, CallEntry, CallPlan

MAX_SECONDS = 24 * 3600
MAX_SKIPS = 50  # leads found no longer callable in one claim, each marked done


@dataclass(frozen=True)
class Claimed:
    entry: CallEntry
    lead: Lead
    again: bool  # the agent held it already (a reload, a retried request)


@dataclass(frozen=True)
class NoneNow:
    """Why there is nobody to call now, and when somebody will be (None: nobody waits)."""

    reason: str
    next_at: datetime | None = None


def _planned(condition: ColumnElement[bool], *, postgres: bool, likely: bool) -> ColumnElement[bool]:
    """The truth about a condition on a mostly-NULL column, for SQLite's planner. Its statistics keep one average of
    rows per value with the NULLs counted as one value, so after ANALYZE it took `merged_into_id IS NULL` for a rare
    value (it drove the claim from every lead and sorted them: 150 ms at 200,000 entries) and `claimed_by = ?` for
    a common one (a scan of every entry). PostgreSQL knows the NULL fraction (and has no likely())."""
    if postgres:
        return condition
    return func.likely(condition) if likely else func.unlikely(condition)


def _held(call_list_id: int, user_id: int, moment: datetime, *, session: Session) -> CallEntry | None:
    postgres = session.get_bind().dialect.name == "postgresql"
    return session.scalar(select(CallEntry).where(
        CallEntry.call_list_id == call_list_id,
        _planned(CallEntry.claimed_by == user_id, postgres=postgres, likely=False), CallEntry.state == "waiting",
        CallEntry.claimed_until > moment).order_by(CallEntry.claimed_at.desc()).limit(1))


def claim_next(call_list: CallList, actor: Actor, *, session: Session, moment: datetime | None = None,
               skip: int | None = None) -> Claimed | NoneNow:
    """The next lead for this agent, held for them for the list's claim minutes. An agent holds one lead of a list
    at a time: asking again returns the one they hold. `skip`: a lead just let go, not claimed again at once."""
    if actor.user_id is None:
        raise Invalid.one("user", "a claim is made for a person (an API key acts for its user)")
    lock_keys([f"call-claim:{call_list.id}:{actor.user_id}"], session=session)  # one claim per agent at a time
    moment = moment or clock.now()
    plan = lists.plan_of(call_list, session=session)
    if plan.status != "active":
        return NoneNow("the list is paused")
    held = _held(call_list.id, actor.user_id, moment, session=session)
    if held is not None:
        held.claimed_until = moment + timedelta(minutes=plan.claim_minutes)
        session.flush()
        return Claimed(held, session.get(Lead, held.lead_id), True)
    zones = plan.zones or []
    open_now = calling.open_zones(zones, moment, hours_from=plan.hours_from, hours_to=plan.hours_to, days=plan.days)
    if not open_now:
        return NoneNow("outside calling hours in every time zone on the list", _next_opening(plan, moment))
    for _ in range(MAX_SKIPS):
        entry = _first_free(call_list.id, actor.user_id, open_now if len(open_now) < len(set(zones)) else None,
                            moment, session=session, skip=skip)
        if entry is None:
            return NoneNow("nobody to call now", _next_due(call_list.id, moment, session=session))
        why_not = _not_callable(entry.lead_id, session=session)
        if why_not is None:
            break
        entry.state, entry.done_at, entry.why = "done", moment, why_not  # since it was put on the list
        session.flush()
    else:
        return NoneNow("nobody to call now", _next_due(call_list.id, moment, session=session))
    entry.claimed_by = actor.user_id
    entry.claimed_at = moment
    entry.claimed_until = moment + timedelta(minutes=plan.claim_minutes)
    session.flush()
    return Claimed(entry, session.get(Lead, entry.lead_id), False)


def _not_callable(lead_id: int, *, session: Session) -> str | None:
    """Why a lead put on the list once may not be called now (its consent withdrawn, disqualified since)."""
    if leads_queries.withdrawn([lead_id], calling.PHONE_PURPOSE, session=session):
        return "phone consent withdrawn"
    if session.scalar(select(Lead.stage).where(Lead.id == lead_id)) == "disqualified":
        return "disqualified"
    return None


def _first_free(call_list_id: int, user_id: int, zones: list[str] | None, moment: datetime, *,
                session: Session, skip: int | None = None) -> CallEntry | None:
    postgres = session.get_bind().dialect.name == "postgresql"
    for query in claim_queries(call_list_id, user_id, zones, moment, postgres=postgres, skip=skip):
        entry = session.scalar(query)
        if entry is not None:
            return entry
    return None


def claim_queries(call_list_id: int, user_id: int, zones: list[str] | None, moment: datetime, *,
                  postgres: bool, skip: int | None = None) -> list[Select]:
    """The first entry free to claim, in three index ranges: this agent's due call-backs (and others' long
    overdue), the due retries, then the fresh leads by tier and rank (the benchmark explains each one)."""
    now_minute = int(moment.timestamp() // 60)
    free = [CallEntry.call_list_id == call_list_id, CallEntry.state == "waiting",
            or_(CallEntry.claimed_until.is_(None), CallEntry.claimed_until < moment),
            _planned(Lead.merged_into_id.is_(None), postgres=postgres, likely=True), Lead.do_not_contact.is_(False)]
    if zones is not None:
        free.append(CallEntry.zone.in_(zones))
    if skip is not None:
        free.append(CallEntry.lead_id != skip)
    grace = moment - calling.CALLBACK_GRACE
    ranges = (
        [CallEntry.tier == calling.TIER_CALLBACK, CallEntry.rank <= now_minute, CallEntry.due_at <= moment,
         or_(CallEntry.callback_user_id == user_id, CallEntry.callback_user_id.is_(None), CallEntry.due_at <= grace)],
        [CallEntry.tier == calling.TIER_RETRY, CallEntry.rank <= now_minute, CallEntry.due_at <= moment],
        [CallEntry.tier > calling.TIER_RETRY],
    )
    queries = []
    for conditions in ranges:
        query = (select(CallEntry).join(Lead, Lead.id == CallEntry.lead_id).where(*free, *conditions)
                 .order_by(CallEntry.tier, CallEntry.rank, CallEntry.lead_id).limit(1))
        if postgres:
            query = query.with_for_update(skip_locked=True, of=CallEntry)
        queries.append(query)
    return queries


def _next_due(call_list_id: int, moment: datetime, *, session: Session) -> datetime | None:
    """The earliest call-back or retry to come (in UTC): the first of each tier in the queue index's order."""
    found = [session.scalar(select(CallEntry.due_at).where(
        CallEntry.call_list_id == call_list_id, CallEntry.state == "waiting", CallEntry.tier == tier,
        CallEntry.due_at > moment).order_by(CallEntry.rank).limit(1))
        for tier in (calling.TIER_CALLBACK, calling.TIER_RETRY)]
    return min((clock.as_utc(d) for d in found if d is not None), default=None)


def _next_opening(plan: CallPlan, moment: datetime) -> datetime | None:
    openings = [calling.next_opening(zone, moment, hours_from=plan.hours_from, hours_to=plan.hours_to,
                                     days=plan.days) for zone in plan.zones or [] if calling.known_zone(zone)]
    found = [o for o in openings if o is not None]
    return min(found).astimezone(UTC) if found else None  # in UTC, as every time the API gives


def _lock_lead(lead_id: int, *, session: Session) -> None:
    """PostgreSQL: calls to one person on several lists are recorded one after the other, the lead before its entries
    (an outcome that ends the lead on every list locks them all: taken entry first, two would deadlock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Lead.id).where(Lead.id == lead_id).with_for_update())


def _entry(call_list_id: int, lead_id: int, *, session: Session, lock: bool = True) -> CallEntry:
    query = select(CallEntry).where(CallEntry.call_list_id == call_list_id, CallEntry.lead_id == lead_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=CallEntry)
    entry = session.scalar(query)
    if entry is None:
        raise NotFound("lead on the call list", lead_id)
    return entry


def renew(call_list: CallList, lead_id: int, actor: Actor, *, session: Session) -> CallEntry:
    """Keep holding the lead (the calling screen renews while the agent is on it)."""
    begin_write(session)
    moment = clock.now()
    entry = _entry(call_list.id, lead_id, session=session)
    if entry.claimed_by is None or entry.claimed_by != actor.user_id:
        raise Conflict("you do not hold this lead: claim the next one")
    if entry.state != "waiting":
        raise Conflict("the lead is done with this list")
    plan = lists.plan_of(call_list, session=session)
    entry.claimed_until = moment + timedelta(minutes=plan.claim_minutes)
    session.flush()
    return entry


def release(call_list: CallList, lead_id: int, actor: Actor, *, session: Session) -> bool:
    """Let the lead go back to the queue where it stood (the agent skipped it, or stops for the day). A manager may
    release anyone's hold."""
    begin_write(session)
    condition = [CallEntry.call_list_id == call_list.id, CallEntry.lead_id == lead_id,
                 CallEntry.claimed_by.is_not(None)]
    if not actor.can("call_lists:manage"):
        condition.append(CallEntry.claimed_by == actor.user_id)
    return bool(session.execute(update(CallEntry).where(*condition).values(
        claimed_by=None, claimed_until=None, claimed_at=None).execution_options(synchronize_session=False)).rowcount)


# --- outcomes -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recorded:
    call: Call
    next: calling.Next
    did: list[str]  # what happened, in words (stage moved, consent withdrawn, Sales Ready or why not)
    again: bool = False  # the same call reported again (its key): nothing new was done


def record(call_list: CallList | None, lead_id: int, actor: Actor, *, session: Session, outcome: str,
           callback_at: datetime | None = None, answers: object = None, note: str = "",
           seconds: int | None = None, key: str | None = None, started_at: datetime | None = None) -> Recorded:
    """Record a call's outcome. The lead must be one the agent sees; on a list, one waiting there and not held by
    another agent. `key` (a dialler's call id) makes a retried report return the first one."""
    begin_write(session)
    moment = clock.now()
    if key is not None:
        earlier = session.scalar(select(Call).where(Call.key == key))
        if earlier is not None:
            if (earlier.lead_id != lead_id or earlier.outcome != outcome
                    or earlier.call_list_id != (call_list.id if call_list else None)):
                raise Conflict(f"the call {key!r} was reported already, with another lead, list or outcome")
            return _again(earlier, call_list, session=session)
    note = (note or "").strip()
    errors = [FieldError(f, r) for f, r in calling.problems(outcome, callback_at=callback_at, moment=moment,
                                                             note=note)]
    if seconds is not None and not 0 <= seconds <= MAX_SECONDS:
        errors.append(FieldError("seconds", f"between 0 and {MAX_SECONDS}"))
    if started_at is not None and (started_at.tzinfo is None or started_at > moment + timedelta(minutes=1)):
        errors.append(FieldError("started_at", "a time with its zone, not in the future"))
    if errors:
        raise Invalid(errors)
    entry, plan = None, None
    if call_list is None:
        lead = leads_queries.visible_lead(actor, lead_id, session=session)  # 404 for a lead the agent may not see
    else:
        # The list is one the agent works (the caller checked): its leads are theirs to call, as to claim, whoever
        # owns them (a manager working a list sees only their team's leads elsewhere).
        plan = lists.plan_of(call_list, session=session)
        _lock_lead(lead_id, session=session)
        entry = _entry(call_list.id, lead_id, session=session)
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise NotFound("lead", lead_id)
        if entry.state != "waiting":
            raise Conflict("the lead is done with this list: " + (entry.why or entry.last_outcome or "done"))
        if (entry.claimed_by not in (None, actor.user_id) and entry.claimed_until is not None
                and clock.as_utc(entry.claimed_until) > moment):
            raise Conflict("another agent holds this lead now")
    script = scripts.for_lead(plan, lead, session=session)
    given = scripts.read_answers(script, answers, strict=outcome == "qualified")
    attempts = (entry.attempts if entry else 0) + 1
    step = calling.decide(outcome, attempts=attempts, moment=moment, callback_at=callback_at,
                          plan=calling.Plan(plan.retry_minutes, plan.max_attempts) if plan else calling.Plan())
    label = actor.label
    did: list[str] = []
    was_ready = lead.sales_ready_at is not None
    if script is not None and given:
        filled = scripts.apply_answers(script, given, lead, session=session, actor=label)
        if filled:
            did.append("filled " + ", ".join(filled))
    began = started_at or (clock.as_utc(entry.claimed_at) if entry is not None and entry.claimed_at
                           and entry.claimed_by == actor.user_id else None)
    took = seconds if seconds is not None else int((moment - began).total_seconds()) if began else 0
    took = max(0, min(took, MAX_SECONDS))
    text = note
    if script is not None and given:
        text = (note + "\n" if note else "") + "Answers: " + scripts.summary(script, given)
    logged = contacts.log(lead, session=session, actor=actor, kind="call", outcome=outcome, note=text[:5000],
                          occurred_at=moment, duration_minutes=round(took / 60) if took else None,
                          at=callback_at if outcome == "call_back" else None,
                          no_next_step=call_list is not None, call_list=True)
    did += _consequences(lead, step, outcome, actor=label, session=session, moment=moment, was_ready=was_ready)
    if entry is not None:
        _move_entry(entry, step, outcome, attempts, actor, moment)
        if step.everywhere:
            session.execute(update(CallEntry).where(CallEntry.lead_id == lead.id, CallEntry.state == "waiting")
                            .values(state="done", why=step.reason[:300], done_at=moment, claimed_by=None,
                                    claimed_until=None, last_outcome=outcome)
                            .execution_options(synchronize_session=False))
    call = Call(call_list_id=call_list.id if call_list else None, lead_id=lead.id, user_id=actor.user_id,
                outcome=outcome, reached=outcome in calling.REACHED, started_at=moment - timedelta(seconds=took),
                ended_at=moment, seconds=took, callback_at=callback_at if outcome == "call_back" else None,
                script_id=script.id if script else None, script_version=script.version if script else None,
                answers=given, note=note, next_step="; ".join([step.reason, *did])[:300],
                contact_id=logged.contact.id, key=key, created_at=moment)
    try:
        with session.begin_nested():
            session.add(call)
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"the call {key!r} was reported at the same moment by another request") from error
    return Recorded(call, step, did)


def _again(earlier: Call, call_list: CallList | None, *, session: Session) -> Recorded:
    """The first report of a call, as it was answered: its next step worked out again from the list's plan and the
    entry's attempts (those of that call, unless the lead was called since)."""
    entry = session.get(CallEntry, (call_list.id, earlier.lead_id)) if call_list is not None else None
    plan = lists.plan_of(call_list, session=session) if call_list is not None else None
    ended = clock.as_utc(earlier.ended_at)
    step = calling.decide(earlier.outcome, attempts=max(1, entry.attempts if entry else 1), moment=ended,
                          callback_at=clock.as_utc(earlier.callback_at) or ended + timedelta(minutes=1),
                          plan=calling.Plan(plan.retry_minutes, plan.max_attempts) if plan else calling.Plan())
    rest = earlier.next_step[len(step.reason):] if earlier.next_step.startswith(step.reason) else ""
    return Recorded(earlier, step, [d for d in rest.split("; ") if d], again=True)


def _move_entry(entry: CallEntry, step: calling.Next, outcome: str, attempts: int, actor: Actor,
                moment: datetime) -> None:
    entry.attempts = attempts
    entry.last_outcome = outcome
    entry.claimed_by = entry.claimed_until = entry.claimed_at = None
    if step.done:
        entry.state, entry.done_at, entry.why = "done", moment, step.reason[:300]
        return
    assert step.place is not None
    entry.tier, entry.rank, entry.due_at = step.place.tier, step.place.rank, step.place.due_at
    entry.callback_user_id = actor.user_id if step.callback_user else None
    entry.why = step.reason[:300]


def _consequences(lead: Lead, step: calling.Next, outcome: str, *, actor: str, session: Session,
                  moment: datetime, was_ready: bool) -> list[str]:
    did = []
    if step.withdraw_phone:
        leads_service.record_consents(session=session, lead_id=lead.id, capture_id=None, consents=[{
            "purpose": calling.PHONE_PURPOSE, "granted": False,
            "text": f"{calling.LABELS[outcome]}: said on a call ({moment:%Y-%m-%d}, by {actor})"}])
        did.append("phone consent withdrawn")
    if step.stage is not None and lead.stage != step.stage:
        note = "Asked not to be called" if step.disqualify_reason == "other" else f"{calling.LABELS[outcome]} on a call"
        move = check_move(lead.stage, step.stage, reason=step.disqualify_reason, note=note)
        if move.allowed:
            qualification_service.move_stage(lead, step.stage, step.disqualify_reason, note, actor, session=session)
            did.append(f"moved to {step.stage}")
        else:
            did.append(f"left {lead.stage} ({move.problem})")
    if step.sales_ready:
        if was_ready:
            did.append("Sales Ready already")
        elif lead.sales_ready_at is not None:  # the answers just given met the rule
            did.append("Sales Ready: routing hands it to sales")
        elif qualification_service.evaluate({lead.id}, session=session, actor=actor):
            did.append("Sales Ready: routing hands it to sales")
        else:
            outcome_now = qualification_service.explain(lead, session=session)
            missing = [p["text"] for p in outcome_now.as_dict()["parts"] if not p["result"]]
            did.append("the Sales Ready rule is not met yet" + (": " + "; ".join(missing[:3]) if missing else ""))
    return did
