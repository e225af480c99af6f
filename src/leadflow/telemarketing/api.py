"""The telemarketing API (/api/v1/call-lists, /api/v1/call-scripts): lists and their plans, leads put on them and
their queue, the next lead claimed for an agent (a dialler drives it), claims renewed and released, call outcomes
recorded, throughput per agent and list; and the call scripts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from leadflow import clock
from leadflow.errors import Invalid, NotFound
from leadflow.http import DbSession
from leadflow.inputs import Id
from leadflow.leads.models import Lead
from leadflow.people.deps import permitted
from leadflow.people.models import CallList, User
from leadflow.people.service import Actor
from leadflow.surveys.schemas import values_given
from leadflow.telemarketing import calls, queries, scripts
from leadflow.telemarketing import service as lists
from leadflow.telemarketing.models import Call, CallEntry, CallPlan, CallScript
from leadflow.telemarketing.schemas import (
    AddedRead,
    CallCreate,
    CallRead,
    CallResult,
    ClaimLead,
    ClaimRead,
    EntryRead,
    LeadsAdd,
    ListCreate,
    ListRead,
    ListUpdate,
    QueueCounts,
    ScriptCreate,
    ScriptRead,
    ScriptUpdate,
    ThroughputRow,
)

router = APIRouter(prefix="/api/v1", tags=["telemarketing"])

Reader = Annotated[Actor, permitted("call_lists:read")]
Manager = Annotated[Actor, permitted("call_lists:manage")]
Caller = Annotated[Actor, permitted("calls:make")]


def list_read(call_list: CallList, plan: CallPlan, owner: str, counts: queries.Counts) -> ListRead:
    return ListRead(
        id=call_list.id, name=call_list.name, owner_id=call_list.owner_id, owner=owner, team_id=call_list.team_id,
        source=plan.source, segment_id=plan.segment_id, condition=plan.condition, import_id=plan.import_id,
        live=plan.live, script_id=plan.script_id, campaign_id=plan.campaign_id, hours_from=plan.hours_from,
        hours_to=plan.hours_to, days=plan.days, default_zone=plan.default_zone, zones=plan.zones or [],
        claim_minutes=plan.claim_minutes, retry_minutes=plan.retry_minutes, max_attempts=plan.max_attempts,
        targets=plan.targets or {}, status=plan.status,
        built=plan.source not in lists.BUILT_FROM or plan.built_at is not None, added=plan.added_count or 0,
        skipped=plan.skipped or {}, counts=QueueCounts(**vars(counts)), created_at=call_list.created_at)


def _one(call_list: CallList, *, session) -> ListRead:
    plan = lists.plan_of(call_list, session=session)
    owner = session.get(User, call_list.owner_id)
    return list_read(call_list, plan, (owner.name or owner.email) if owner else "",
                     queries.counts([call_list.id], session=session)[call_list.id])


def entry_read(entry: CallEntry) -> EntryRead:
    return EntryRead(call_list_id=entry.call_list_id, lead_id=entry.lead_id, state=entry.state, tier=entry.tier,
                     zone=entry.zone, due_at=clock.as_utc(entry.due_at), callback_user_id=entry.callback_user_id,
                     claimed_by=entry.claimed_by, claimed_until=clock.as_utc(entry.claimed_until),
                     attempts=entry.attempts, last_outcome=entry.last_outcome, why=entry.why,
                     added_at=clock.as_utc(entry.added_at), done_at=clock.as_utc(entry.done_at))


def call_read(call: Call) -> CallRead:
    return CallRead(id=call.id, call_list_id=call.call_list_id, lead_id=call.lead_id, user_id=call.user_id,
                    outcome=call.outcome, reached=call.reached, started_at=clock.as_utc(call.started_at),
                    ended_at=clock.as_utc(call.ended_at), seconds=call.seconds,
                    callback_at=clock.as_utc(call.callback_at), script_id=call.script_id,
                    script_version=call.script_version, answers=call.answers or {}, note=call.note,
                    next_step=call.next_step, contact_id=call.contact_id, key=call.key)


def lead_name(lead: Lead) -> str:
    return " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead #{lead.id}"


def claim_read(found, *, session) -> ClaimRead:
    if isinstance(found, calls.NoneNow):
        return ClaimRead(claimed=False, reason=found.reason, next_at=found.next_at)
    lead = found.lead
    plan = lists.plan_of(session.get(CallList, found.entry.call_list_id), session=session)
    script = scripts.for_lead(plan, lead, session=session)
    return ClaimRead(claimed=True, entry=entry_read(found.entry), again=found.again,
                     lead=ClaimLead(id=lead.id, name=lead_name(lead), phone=lead.phone, mobile=lead.mobile,
                                    company=lead.company, country=lead.country, score=lead.score, band=lead.band,
                                    stage=lead.stage),
                     script_id=script.id if script else None, script_version=script.version if script else None)


# --- throughput (before /call-lists/{id}) ------------------------------------------------------------------------

@router.get("/call-lists/throughput", response_model=list[ThroughputRow])
def get_throughput(session: DbSession, actor: Reader, since: datetime | None = None, until: datetime | None = None,
                   call_list_id: Id | None = None):
    """Per list and agent: calls, reached, qualified, time per call, per calling day against the list's targets. An
    agent sees their own rows; whoever runs call lists sees everyone's. Default: the last 7 days."""
    until = clock.as_utc(until) if until else clock.now()
    since = clock.as_utc(since) if since else until - timedelta(days=7)
    if since >= until:
        raise Invalid.one("since", "must be before until")
    if until - since > timedelta(days=400):
        raise Invalid.one("since", "at most 400 days")
    rows = queries.throughput(actor, session=session, since=since, until=until, call_list_id=call_list_id)
    return [ThroughputRow(**row.as_dict()) for row in rows]


# --- lists ----------------------------------------------------------------------------------------------------

@router.get("/call-lists", response_model=list[ListRead])
def get_lists(session: DbSession, actor: Reader):
    """The lists you work (every list for those who run them), newest first, with their queue counts."""
    found = queries.lists_for(actor, session=session)
    counts = queries.counts([c.id for c, _, _ in found], session=session)
    return [list_read(c, plan or lists.plan_of(c, session=session), owner, counts[c.id]) for c, plan, owner in found]


@router.post("/call-lists", response_model=ListRead, status_code=201)
def create_list(body: ListCreate, session: DbSession, actor: Manager):
    values = body.model_dump()
    values["targets"] = {k: v for k, v in (values.get("targets") or {}).items() if v is not None}
    call_list = lists.create_list(values, session=session, actor=actor)
    session.commit()
    return _one(call_list, session=session)


@router.get("/call-lists/{call_list_id}", response_model=ListRead)
def get_list(call_list_id: Id, session: DbSession, actor: Reader):
    return _one(lists.list_for(call_list_id, actor, session=session), session=session)


@router.patch("/call-lists/{call_list_id}", response_model=ListRead)
def update_list(call_list_id: Id, body: ListUpdate, session: DbSession, actor: Manager):
    values = body.model_dump(exclude_unset=True)
    if "targets" in values:
        values["targets"] = {k: v for k, v in (values["targets"] or {}).items()}
    call_list = lists.update_list(lists.get_list(call_list_id, session=session), values, session=session)
    session.commit()
    return _one(call_list, session=session)


@router.delete("/call-lists/{call_list_id}", status_code=204)
def delete_list(call_list_id: Id, session: DbSession, actor: Manager):
    lists.delete_list(lists.get_list(call_list_id, session=session), session=session)
    session.commit()
    return Response(status_code=204)


@router.post("/call-lists/{call_list_id}/leads", response_model=AddedRead)
def add_leads(call_list_id: Id, body: LeadsAdd, session: DbSession, actor: Manager):
    """Put leads on the list by hand; those that cannot be called are counted by reason and named."""
    added = lists.add_leads(lists.get_list(call_list_id, session=session), body.lead_ids, session=session,
                            why=f"added by {actor.label}")
    session.commit()
    return AddedRead(added=added.added, reopened=added.reopened, skipped=added.skipped,
                     not_added={str(k): v for k, v in added.not_added.items()})


@router.post("/call-lists/{call_list_id}/rerank", status_code=202)
def rerank(call_list_id: Id, session: DbSession, actor: Manager):
    """Place the fresh leads waiting on the list again by their band and score now (the worker does it a chunk at a
    time; call-backs and retries keep their times). A list's leads are placed as they are added."""
    lists.queue_rerank(lists.get_list(call_list_id, session=session), session=session)
    session.commit()
    return {"queued": True}


@router.delete("/call-lists/{call_list_id}/leads/{lead_id}", status_code=204)
def remove_lead(call_list_id: Id, lead_id: Id, session: DbSession, actor: Manager):
    call_list = lists.get_list(call_list_id, session=session)
    if queries.entry_of(call_list.id, lead_id, session=session) is None:
        raise NotFound("lead on the call list", lead_id)
    lists.remove_lead(call_list, lead_id, session=session)
    session.commit()
    return Response(status_code=204)


@router.get("/call-lists/{call_list_id}/entries", response_model=list[EntryRead])
def get_entries(call_list_id: Id, session: DbSession, actor: Reader,
                state: Literal["waiting", "done"] = "waiting",
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    """The queue in its order (waiting), or the leads done with the list, latest first."""
    call_list = lists.list_for(call_list_id, actor, session=session)
    return [entry_read(e) for e in queries.entries(call_list.id, session=session, state=state, limit=limit,
                                                   offset=offset)]


# --- claims and calls ------------------------------------------------------------------------------------------

@router.post("/call-lists/{call_list_id}/claims", response_model=ClaimRead)
def claim_next(call_list_id: Id, session: DbSession, actor: Caller):
    """The next lead for you, held for the list's claim minutes (asking again returns the one you hold). None, with
    the reason and when somebody will be callable, when nobody is."""
    call_list = lists.list_for(call_list_id, actor, session=session)
    found = calls.claim_next(call_list, actor, session=session)
    session.commit()
    return claim_read(found, session=session)


@router.post("/call-lists/{call_list_id}/claims/{lead_id}/renew", response_model=EntryRead)
def renew_claim(call_list_id: Id, lead_id: Id, session: DbSession, actor: Caller):
    entry = calls.renew(lists.list_for(call_list_id, actor, session=session), lead_id, actor, session=session)
    session.commit()
    return entry_read(entry)


@router.delete("/call-lists/{call_list_id}/claims/{lead_id}", status_code=204)
def release_claim(call_list_id: Id, lead_id: Id, session: DbSession, actor: Caller):
    """Let the lead go back to its place in the queue (404 when you hold nothing of it)."""
    if not calls.release(lists.list_for(call_list_id, actor, session=session), lead_id, actor, session=session):
        raise NotFound("claim on lead", lead_id)
    session.commit()
    return Response(status_code=204)


@router.post("/call-lists/{call_list_id}/calls", response_model=CallResult, status_code=201)
def record_call(call_list_id: Id, body: CallCreate, session: DbSession, actor: Caller):
    """A call's outcome: the contact in the lead's history, the script's answers where they go, and the next step
    (retry, call-back on your list, stage and consent, the Sales Ready rule and routing)."""
    call_list = lists.list_for(call_list_id, actor, session=session)
    done = calls.record(call_list, body.lead_id, actor, session=session, outcome=body.outcome,
                        callback_at=body.callback_at, answers=body.answers, note=body.note, seconds=body.seconds,
                        key=body.key, started_at=body.started_at)
    session.commit()
    return CallResult(call=call_read(done.call), done=done.next.done, next_step=done.next.reason, did=done.did,
                      again=done.again)


@router.get("/call-lists/{call_list_id}/calls", response_model=list[CallRead])
def get_calls(call_list_id: Id, session: DbSession, actor: Reader,
              limit: Annotated[int, Query(ge=1, le=500)] = 50):
    """The list's latest calls (an agent: their own)."""
    call_list = lists.list_for(call_list_id, actor, session=session)
    found = queries.recent_calls(call_list.id, session=session, limit=limit)
    if not actor.can("call_lists:manage"):
        found = [c for c in found if c.user_id == actor.user_id]
    return [call_read(c) for c in found]


# --- scripts ------------------------------------------------------------------------------------------------------

def script_read(script: CallScript) -> ScriptRead:
    return ScriptRead(id=script.id, name=script.name, intro=script.intro, questions=script.questions,
                      version=script.version, campaign_id=script.campaign_id, active=script.active,
                      created_at=script.created_at, updated_at=script.updated_at)


@router.get("/call-scripts", response_model=list[ScriptRead])
def get_scripts(session: DbSession, actor: Reader):
    return [script_read(s) for s in scripts.listing(session=session)]


@router.post("/call-scripts", response_model=ScriptRead, status_code=201)
def create_script(body: ScriptCreate, session: DbSession, actor: Manager):
    script = scripts.create(values_given(body), session=session)
    session.commit()
    return script_read(script)


@router.get("/call-scripts/{script_id}", response_model=ScriptRead)
def get_script(script_id: Id, session: DbSession, actor: Reader):
    return script_read(scripts.get(script_id, session=session))


@router.patch("/call-scripts/{script_id}", response_model=ScriptRead)
def update_script(script_id: Id, body: ScriptUpdate, session: DbSession, actor: Manager):
    script = scripts.update(scripts.get(script_id, session=session), values_given(body), session=session)
    session.commit()
    return script_read(script)


@router.delete("/call-scripts/{script_id}", status_code=204)
def delete_script(script_id: Id, session: DbSession, actor: Manager):
    scripts.delete(scripts.get(script_id, session=session), session=session)
    session.commit()
    return Response(status_code=204)
