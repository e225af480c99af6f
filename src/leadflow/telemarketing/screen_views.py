"""The calling screen: the next lead claimed for the agent with its history, the script's questions, the seven
outcomes (keys 1-7), a skip, the claim renewed while the screen is open; plain POSTs that work without script."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import JSONResponse

from leadflow import clock
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.http import DbSession, WritingSession, retry_races
from leadflow.leads import queries as leads_queries
from leadflow.leads import timeline as lead_timeline
from leadflow.leads.domain import readable_phone
from leadflow.leads.lifecycle import STAGE_LABELS
from leadflow.leads.models import Lead
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.people.models import CallList
from leadflow.qualification import bant
from leadflow.qualification import service as qualification_service
from leadflow.telemarketing import calling, calls, queries, scripts
from leadflow.telemarketing import service as lists
from leadflow.telemarketing.models import Call, CallEntry, CallPlan
from leadflow.web.pages import Posted, PostedLists, page_router, redirect, render

router = page_router(tags=["pages"])
TIMELINE = 30
LOCAL = "%Y-%m-%dT%H:%M"  # a datetime-local input's value


def lead_name(lead: Lead) -> str:
    return " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead #{lead.id}"


def _zone(entry: CallEntry | None, plan: CallPlan) -> ZoneInfo:
    name = entry.zone if entry is not None and calling.known_zone(entry.zone) else plan.default_zone
    return ZoneInfo(name if calling.known_zone(name) else "UTC")


def quick_choices(zone: ZoneInfo, moment: datetime) -> dict[str, datetime]:
    """The call-back times offered with one key: in an hour, and tomorrow at 09:00 in the lead's time."""
    local = moment.astimezone(zone)
    tomorrow = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    soon = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    return {"1h": soon, "tomorrow": tomorrow}


def _callback_at(form: dict[str, list[str]], zone: ZoneInfo, moment: datetime) -> datetime | None:
    """The call-back time typed (the lead's local time) or picked among the quick choices."""
    quick = _one(form, "quick")
    if quick:
        chosen = quick_choices(zone, moment).get(quick)
        if chosen is None:
            raise Invalid.one("callback_at", "pick one of the quick choices")
        return chosen.astimezone(ZoneInfo("UTC"))
    text = _one(form, "callback_at").strip()
    if not text:
        return None
    try:
        typed = datetime.strptime(text[:16], LOCAL)
    except ValueError as error:
        raise Invalid.one("callback_at", "a date and time, e.g. 2026-12-07T09:00") from error
    return typed.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[-1]


def _answers(form: dict[str, list[str]]) -> dict[str, list[str]]:
    found = {}
    for name, values in form.items():
        if name.startswith("a-"):
            kept = [v for v in values if v.strip()]
            if kept:
                found[name[2:]] = kept
    return found


def _held_lead(call_list: CallList, lead_id: int, actor, *, session) -> tuple[CallEntry, Lead]:
    entry = queries.entry_of(call_list.id, lead_id, session=session)
    if entry is None:
        raise NotFound("lead on the call list", lead_id)
    return entry, leads_queries.visible_lead(actor, lead_id, session=session)


def _script_view(script, values: dict[str, list[str]], errors: dict[str, str]) -> list[dict]:
    return [{**q, "id": f"a-{q['key']}", "values": values.get(q["key"], []), "error": errors.get(f"answers.{q['key']}")}
            for q in (script.questions if script else [])]


def _history(lead: Lead, *, session) -> dict:
    activities = leads_queries.timeline(lead.id, session=session, limit=TIMELINE)
    actors = people_queries.actor_names({a.actor for a in activities}, session=session)
    people = people_queries.user_names(lead_timeline.people_in(a.data for a in activities), session=session)
    entries = [lead_timeline.entry(kind=a.kind, summary=a.summary, data=a.data, actor=actors.get(a.actor, a.actor),
                                   occurred_at=a.occurred_at, people=people) for a in activities]
    earlier = queries.calls_of(lead.id, session=session, limit=20)
    agents = people_queries.user_names({c.user_id for c in earlier if c.user_id}, session=session)
    company_ids = {lead.company_id} if lead.company_id else set()
    companies = leads_queries.companies_by_id(company_ids, session=session) if company_ids else {}
    company = companies.get(lead.company_id) if lead.company_id else None
    parent = None
    if company is not None and company.parent_id is not None:
        parent = leads_queries.companies_by_id({company.parent_id}, session=session).get(company.parent_id)
    current = qualification_service.bant_current(lead.id, session=session)
    return {"timeline": entries, "earlier": earlier, "agents": agents, "company": company, "parent": parent,
            "bant": [(criterion, current.get(criterion)) for criterion in bant.CRITERIA],
            "bant_sources": bant.SOURCE_LABELS}


def _screen(request: Request, actor, call_list: CallList, plan: CallPlan, *, session, entry: CallEntry | None = None,
            lead: Lead | None = None, none_now: calls.NoneNow | None = None, called: Call | None = None,
            values: dict[str, list[str]] | None = None, errors: dict[str, str] | None = None,
            status_code: int = 200):
    moment = clock.now()
    context = {"call_list": call_list, "plan": plan, "none_now": none_now, "called": called, "lead": lead,
               "entry": entry, "labels": calling.LABELS, "keys": calling.KEYS, "outcomes": calling.OUTCOMES,
               "errors": errors or {}, "values": values or {}, "stage_labels": STAGE_LABELS,
               "readable_phone": readable_phone, "hhmm": calling.hhmm, "name": lead_name}
    if called is not None:
        context["called_lead"] = session.get(Lead, called.lead_id)
    if lead is not None and entry is not None:
        zone = _zone(entry, plan)
        script = scripts.for_lead(plan, lead, session=session)
        context.update(_history(lead, session=session))
        context.update({
            "zone": zone.key, "local_now": moment.astimezone(zone), "script": script,
            "questions": _script_view(script, _answers(values or {}), errors or {}),
            "quick": {k: v.strftime(LOCAL) for k, v in quick_choices(zone, moment).items()},
            "in_hours": calling.in_hours(zone.key, moment, hours_from=plan.hours_from, hours_to=plan.hours_to,
                                         days=plan.days),
        })
    context["counts"] = queries.counts([call_list.id], session=session)[call_list.id]
    return render(request, "telemarketing/call.html", context, status_code=status_code)


@router.get("/call-lists/{call_list_id:int}/call")
@retry_races
def calling_screen(request: Request, call_list_id: int, actor: PageActor, session: WritingSession,
                   called: int | None = None, skipped: int | None = None):
    """Opening the screen claims the next lead (or returns the one the agent holds); after an outcome it shows what
    the outcome did first, and the next lead only when asked (N)."""
    actor.require("calls:make")
    call_list = lists.list_for(call_list_id, actor, session=session)
    plan = lists.plan_of(call_list, session=session)
    if called is not None:
        call = session.get(Call, called)
        if call is None or call.user_id != actor.user_id or call.call_list_id != call_list.id:
            raise NotFound("call", called)
        session.commit()
        return _screen(request, actor, call_list, plan, session=session, called=call)
    found = calls.claim_next(call_list, actor, session=session, skip=skipped)
    session.commit()
    if isinstance(found, calls.NoneNow):
        return _screen(request, actor, call_list, plan, session=session, none_now=found)
    return _screen(request, actor, call_list, plan, session=session, entry=found.entry, lead=found.lead)


def _lead_id(form: dict[str, list[str]]) -> int:
    text = _one(form, "lead_id")
    if not text.isdecimal() or len(text) > 18:
        raise NotFound("lead on the call list", text[:20])
    return int(text)


@router.post("/call-lists/{call_list_id:int}/call")
@retry_races
def record_outcome(request: Request, call_list_id: int, actor: PageActor, session: DbSession, form: PostedLists):
    actor.require("calls:make")
    call_list = lists.list_for(call_list_id, actor, session=session)
    plan = lists.plan_of(call_list, session=session)
    lead_id = _lead_id(form)
    entry, lead = _held_lead(call_list, lead_id, actor, session=session)
    moment = clock.now()
    outcome = _one(form, "outcome")
    try:
        callback_at = _callback_at(form, _zone(entry, plan), moment)
        if _one(form, "quick") or (not outcome and callback_at is not None):
            outcome = "call_back"  # a quick choice, or Enter in the call-back time
        if not outcome:
            raise Invalid.one("outcome", "choose an outcome (keys 1 to 7)")
        done = calls.record(call_list, lead_id, actor, session=session, outcome=outcome, callback_at=callback_at,
                            answers=_answers(form), note=_one(form, "note"))
    except Invalid as invalid:
        session.rollback()
        errors: dict[str, str] = {}
        for error in invalid.errors:
            errors.setdefault(error.field, error.reason)
        values = {**form, "outcome": [outcome]}
        entry, lead = _held_lead(call_list, lead_id, actor, session=session)
        return _screen(request, actor, call_list, lists.plan_of(call_list, session=session), session=session,
                       entry=entry, lead=lead, values=values, errors=errors, status_code=422)
    except Conflict as conflict:
        session.rollback()
        return redirect(request, f"/call-lists/{call_list.id}/call", message=f"Not recorded: {conflict}",
                        kind="error")
    session.commit()
    return redirect(request, f"/call-lists/{call_list.id}/call?called={done.call.id}")


@router.post("/call-lists/{call_list_id:int}/call/skip")
@retry_races
def skip_lead(request: Request, call_list_id: int, actor: PageActor, session: DbSession, form: PostedLists):
    """The lead goes back where it stood in the queue; the screen claims the one after it."""
    actor.require("calls:make")
    call_list = lists.list_for(call_list_id, actor, session=session)
    lead_id = _lead_id(form)
    calls.release(call_list, lead_id, actor, session=session)
    session.commit()
    return redirect(request, f"/call-lists/{call_list.id}/call?skipped={lead_id}")


@router.post("/call-lists/{call_list_id:int}/call/stop")
def stop_calling(request: Request, call_list_id: int, actor: PageActor, session: DbSession, form: PostedLists):
    actor.require("calls:make")
    call_list = lists.list_for(call_list_id, actor, session=session)
    if _one(form, "lead_id"):
        calls.release(call_list, _lead_id(form), actor, session=session)
    session.commit()
    return redirect(request, "/call-lists", message="Stopped calling: the lead went back to the queue.")


@router.post("/call-lists/{call_list_id:int}/call/renew")
def renew_claim(request: Request, call_list_id: int, actor: PageActor, session: DbSession, form: Posted):
    """The screen's script asks this every minute while it is open: the agent keeps the lead."""
    actor.require("calls:make")
    call_list = lists.list_for(call_list_id, actor, session=session)
    text = form.get("lead_id", "")
    if not text.isdecimal() or len(text) > 18:
        raise Invalid([FieldError("lead_id", "the lead's number")])
    entry = calls.renew(call_list, int(text), actor, session=session)
    session.commit()
    return JSONResponse({"held_until": clock.as_utc(entry.claimed_until).isoformat()},
                        headers={"Cache-Control": "no-store"})
