"""The lead page's follow-up panel: the follow-up's state (due in, overdue by, followed up), logging a contact in two
clicks (a kind, then an outcome), the lead's open tasks (done, cancel, move), a new task, recycling to marketing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request

from leadflow import clock
from leadflow.clock import now
from leadflow.errors import Conflict, Invalid
from leadflow.followup import contacts, outcomes, recycling, sla, tasks
from leadflow.followup import queries as followup_queries
from leadflow.http import DbSession, retry_races
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Lead
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.web.pages import Posted, is_htmx, lead_changed, page_router, redirect, render

router = page_router(tags=["pages"])


def timezone_of(user_id: int | None, *, session) -> str:
    found = people_queries.availability([user_id], session=session).get(user_id) if user_id else None
    return found.timezone if found else "UTC"


def zone(name: str) -> ZoneInfo:
    return clock.zone(name)


def local_moment(text: str, timezone: str, field: str) -> datetime | None:
    """A time typed in a datetime-local field, read in the person's time zone; empty: None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid.one(field, "a date and time, e.g. 2026-12-07 09:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone))
    return moment.astimezone(now().tzinfo)


def followup_state(lead_id: int, *, session) -> dict | None:
    """The lead's latest follow-up and what to say of it: due in, overdue by, followed up (in time or late)."""
    state = followup_queries.states([lead_id], session=session, moment=now())[lead_id]
    if state.followup_id is None:
        return None
    if state.status == "due":
        return {"kind": "due", "due_at": state.due_at, "text": f"Follow-up due in {sla.describe(-state.overdue_by)}"}
    if state.status == "overdue":
        return {"kind": "overdue", "due_at": state.due_at,
                "text": f"Follow-up overdue by {sla.describe(state.overdue_by)}"}
    if state.status == "followed_up":
        late = state.first_contact_at - state.due_at
        return {"kind": "late" if late > timedelta(0) else "done", "due_at": state.due_at,
                "text": f"Followed up, {sla.describe(late)} late" if late > timedelta(0) else "Followed up in time"}
    return {"kind": "closed", "due_at": state.due_at, "text": "No follow-up open (handed on, recycled or closed)"}


def _context(session, actor, lead: Lead, *, status: str | None = None, error: str | None = None) -> dict:
    timezone = timezone_of(actor.user_id, session=session)
    local = now().astimezone(zone(timezone))
    open_tasks = tasks.for_lead(lead.id, session=session)
    recent = contacts.for_lead(lead.id, session=session, limit=5)
    names = people_queries.user_names({t.owner_id for t in open_tasks if t.owner_id}
                                      | {c.user_id for c in recent if c.user_id}, session=session)
    worker = actor.can("followup:work")
    tomorrow = sla.next_working_start(now(), timezone=timezone).astimezone(zone(timezone))
    return {"lead": lead, "state": followup_state(lead.id, session=session), "tasks": open_tasks,
            "contacts": recent, "names": names, "status": status, "error": error, "can_work": worker,
            "kinds": outcomes.KINDS, "outcome_kinds": outcome_kinds(), "labels": outcomes.LABELS,
            "needs_time": outcomes.NEEDS_TIME, "task_kinds": outcomes.TASK_KINDS, "timezone": timezone,
            "local": lambda moment: moment.astimezone(zone(timezone)), "now": now(),
            "default_at": tomorrow.replace(hour=10, minute=0).strftime("%Y-%m-%dT%H:%M"),
            "default_due": (local + timedelta(hours=2)).replace(minute=0).strftime("%Y-%m-%dT%H:%M"),
            "owners": tasks.owner_choices(actor, lead, session=session) if worker else [],
            "reasons": recycling.reasons(session=session) if worker else [],
            "revisit_default": (local.date() + timedelta(days=90)).isoformat(),
            "revisit_min": (local.date() + timedelta(days=1)).isoformat(),
            "can_recycle": lead.stage in ("new", "mql", "sql", "opportunity")}


def outcome_kinds() -> dict[str, list[str]]:
    """Each outcome with the kinds of contact it may end (the buttons, in the order of the calls' outcomes)."""
    found: dict[str, list[str]] = {}
    for kind, allowed in outcomes.OUTCOMES.items():
        for outcome in allowed:
            if outcome not in outcomes.CALL_LIST_ONLY:
                found.setdefault(outcome, []).append(kind)
    return found


def _panel(request: Request, session, actor, lead: Lead, *, changed: bool = False, status_code: int = 200,
           status: str | None = None, error: str | None = None):
    if not is_htmx(request) and request.method == "POST":
        kind = "error" if error else "ok"
        return redirect(request, f"/leads/{lead.id}", message=error or status, kind=kind)
    context = _context(session, actor, lead, status=status, error=error)
    if is_htmx(request):
        return render(request, "followup/_panel.html", context, status_code=status_code,
                      headers=lead_changed("followup") if changed else None)
    return render(request, "followup/lead_followup.html", context, status_code=status_code)


def _reasons(exc: Invalid) -> str:
    return "; ".join(f"{e.field.replace('_', ' ')}: {e.reason}" for e in exc.errors)


@router.get("/leads/{lead_id:int}/follow-up")
def lead_followup(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return _panel(request, session, actor, lead)


@router.post("/leads/{lead_id:int}/follow-up/contacts")
@retry_races
def log_contact(lead_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    """The second click: the outcome button submits the kind chosen (Call unless another was) and the details."""
    actor.require("followup:work")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    kind, outcome = form.get("kind") or "call", form.get("outcome") or ""
    timezone = timezone_of(actor.user_id, session=session)
    try:
        at = local_moment(form.get("at", ""), timezone, "at") if outcome in outcomes.NEEDS_TIME else None
        duration = (form.get("duration_minutes") or "").strip()
        if duration and not duration.isdecimal():
            raise Invalid.one("duration_minutes", "a whole number of minutes")
        logged = contacts.log(lead, session=session, actor=actor, kind=kind, outcome=outcome,
                              note=(form.get("note") or "")[:6000], at=at, no_next_step=form.get("next") == "none",
                              duration_minutes=int(duration) if duration else None)
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_reasons(exc), status_code=422)
    session.commit()
    said = f"Logged: {outcomes.KINDS[kind].lower()}, {outcomes.LABELS.get(outcome, outcome).lower()}."
    if logged.task is not None:
        said += f" Next: {logged.task.title} ({logged.step.reason.split(': ', 1)[-1]})."
    elif logged.step.suggest:
        said += " No task follows: recycle the lead to marketing or disqualify it?"
    return _panel(request, session, actor, lead, changed=True, status=said)


@router.post("/leads/{lead_id:int}/follow-up/tasks")
@retry_races
def add_task(lead_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require("followup:work")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    timezone = timezone_of(actor.user_id, session=session)
    owner_text = (form.get("owner_id") or "").strip()
    allowed = {str(u.id): u.id for u in tasks.owner_choices(actor, lead, session=session)}
    if owner_text and owner_text not in allowed:
        return _panel(request, session, actor, lead, error="Choose someone from the list.", status_code=422)
    owner_id = allowed.get(owner_text) or lead.owner_id or actor.user_id
    try:
        task = tasks.create(lead, session=session, actor=actor.label, kind=form.get("kind") or "call",
                            title=(form.get("title") or "")[:400], owner_id=owner_id,
                            due_at=local_moment(form.get("due_at", ""), timezone, "due_at"))
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_reasons(exc), status_code=422)
    session.commit()
    return _panel(request, session, actor, lead, changed=True, status=f"Task added: {task.title}.")


@router.post("/leads/{lead_id:int}/follow-up/tasks/{task_id:int}")
@retry_races
def change_task(lead_id: int, task_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    """Done, cancel, or move (`action`)."""
    actor.require("followup:work")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    task = tasks.visible_task(actor, task_id, session=session)
    if task.lead_id != lead.id:
        return _panel(request, session, actor, lead, error="That task is not this lead's.", status_code=404)
    action = form.get("action") or "done"
    try:
        if action == "move":
            moment = local_moment(form.get("due_at", ""), timezone_of(actor.user_id, session=session), "due_at")
            tasks.reschedule(task, session=session, actor=actor.label, due_at=moment)
            said = f"Moved: {task.title}."
        elif action in ("done", "cancel"):
            if not tasks.finish(task, session=session, actor=actor.label,
                                status="done" if action == "done" else "canceled"):
                session.rollback()
                return _panel(request, session, actor, lead, error=f"The task is {task.status} already.",
                              status_code=409)
            said = f"{'Done' if action == 'done' else 'Canceled'}: {task.title}."
        else:
            raise Invalid.one("action", "done, cancel or move")
    except Conflict as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=str(exc)[:1].upper() + str(exc)[1:] + ".",
                      status_code=409)
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_reasons(exc), status_code=422)
    session.commit()
    return _panel(request, session, actor, lead, changed=True, status=said)


@router.post("/leads/{lead_id:int}/follow-up/recycle")
@retry_races
def recycle(lead_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require("followup:work")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    try:
        text = (form.get("revisit_on") or "").strip()
        try:
            revisit_on = date.fromisoformat(text) if text else None
        except ValueError:
            raise Invalid.one("revisit_on", "a date, e.g. 2027-03-01") from None
        row = recycling.recycle(lead, session=session, actor=actor, reason=form.get("reason") or "",
                                note=(form.get("note") or "")[:6000], revisit_on=revisit_on)
    except Invalid as exc:
        session.rollback()
        return _panel(request, session, actor, lead, error=_reasons(exc), status_code=422)
    session.commit()
    return _panel(request, session, actor, lead, changed=True,
                  status=f"Recycled to marketing; it comes back on {row.revisit_on.isoformat()}.")
