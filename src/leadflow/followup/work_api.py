"""JSON routes of a salesperson's day: contacts logged on a lead (and listed or exported as CSV), tasks (made, listed,
done, canceled, moved), recycling a lead to marketing, and my day. Every lead read starts from visibility: a lead
the caller does not see is a 404."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from leadflow import clock
from leadflow.errors import Conflict, Invalid, NotFound
from leadflow.followup import contacts, day, recycling, tasks
from leadflow.followup.work_schemas import (
    ContactCreate,
    ContactLogged,
    ContactRead,
    DayFollowup,
    DayLead,
    MyDayRead,
    NextStepRead,
    ReasonRead,
    RecycleCreate,
    RecycleRead,
    TaskCreate,
    TaskRead,
    TaskUpdate,
)
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.leads.domain import spreadsheet_safe
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1", tags=["sales day"])

Worker = Annotated[Actor, permitted("followup:work")]



def _next(contact) -> NextStepRead:
    step = (contact.data or {}).get("next_step") or {}
    return NextStepRead(task_kind=step.get("task_kind"), title=step.get("title"), due_at=step.get("due_at"),
                        reason=step.get("reason", ""), suggest=step.get("suggest", []))


@router.post("/leads/{lead_id}/contacts", response_model=ContactLogged, status_code=201)
@retry_races
def log_contact(lead_id: Id, body: ContactCreate, session: DbSession, actor: Worker):
    """Log a call, email, meeting or visit with its outcome; the outcome's next step (a task) comes back with it."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    if body.next_task is not None and body.no_next_step:
        raise Invalid.one("no_next_step", "give the next task or no next step, not both")
    chosen = contacts.NextTask(body.next_task.kind, body.next_task.title, body.next_task.due_at) \
        if body.next_task else None
    logged = contacts.log(lead, session=session, actor=actor, kind=body.kind, outcome=body.outcome, note=body.note,
                          occurred_at=body.occurred_at, duration_minutes=body.duration_minutes, at=body.at,
                          next_task=chosen, no_next_step=body.no_next_step)
    session.commit()
    read = ContactRead.model_validate(logged.contact)
    return ContactLogged(**read.model_dump(), next_step=_next(logged.contact),
                         task=TaskRead.model_validate(logged.task) if logged.task else None)


@router.get("/leads/{lead_id}/contacts", response_model=list[ContactRead])
def lead_contacts(lead_id: Id, session: DbSession, actor: Worker,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """The lead's contacts, newest first."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return contacts.for_lead(lead.id, session=session, limit=limit)


def _csv(columns: tuple[str, ...], rows: list[dict], name: str) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


_aware = clock.as_utc  # a time given without a zone is read as UTC


def _user(actor: Actor, user: str | None, field: str = "user") -> int | None:
    if user is None or user == "":
        return None
    if user == "me":
        if actor.user_id is None:
            raise Invalid.one(field, "this API key has no user: name one by id")
        return actor.user_id
    if not (user.isascii() and user.isdecimal()) or len(user) > 18:
        raise Invalid.one(field, "a user id, or me")
    return int(user)


@router.get("/contacts", response_model=list[ContactRead])
def list_contacts(session: DbSession, actor: Worker, since: datetime | None = None, until: datetime | None = None,
                  user: str | None = None, format: Literal["json", "csv"] = "json",
                  limit: Annotated[int, Query(ge=1, le=100_000)] = 1000):
    """Contacts logged on the leads the caller sees, oldest first; `user` (an id, or me) narrows to one person's;
    `format=csv` exports them."""
    found = contacts.listed(actor, session=session, since=_aware(since), until=_aware(until),
                            user_id=_user(actor, user), limit=limit)
    if format == "csv":
        return _csv(contacts.COLUMNS, [contacts.row(c) for c in found], "contacts")
    return found


@router.post("/leads/{lead_id}/tasks", response_model=TaskRead, status_code=201)
@retry_races
def create_task(lead_id: Id, body: TaskCreate, session: DbSession, actor: Worker):
    """A task for the lead, owned by the lead's owner unless another is picked (yourself, or a manager's
    teammate)."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    owner_id = body.owner_id
    if owner_id is not None and owner_id not in {u.id for u in tasks.owner_choices(actor, lead, session=session)}:
        raise Invalid.one("owner_id", "you can give a task to the lead's owner, yourself or your teams' members")
    if owner_id is None and lead.owner_id is None:
        owner_id = actor.user_id
    task = tasks.create(lead, session=session, actor=actor.label, kind=body.kind, title=body.title,
                        due_at=body.due_at, owner_id=owner_id)
    session.commit()
    return task


@router.get("/leads/{lead_id}/tasks", response_model=list[TaskRead])
def lead_tasks(lead_id: Id, session: DbSession, actor: Worker, status: Literal["open", "all"] = "open"):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return tasks.for_lead(lead.id, session=session, open_only=status == "open")


@router.get("/tasks", response_model=list[TaskRead])
def list_tasks(session: DbSession, actor: Worker, owner: str | None = "me",
               due: Literal["today", "overdue", "open", "all"] = "open", format: Literal["json", "csv"] = "json",
               limit: Annotated[int, Query(ge=1, le=100_000)] = 500):
    """Tasks on the leads the caller sees: `owner` me (the default), a user id, or empty for everyone's; `due`
    today (overdue ones too), overdue, open or all; `format=csv` exports them."""
    owner_id = _user(actor, owner, "owner")
    day_ends = day.ends(owner_id if owner_id is not None else actor.user_id, session=session)[1] \
        if due == "today" else None
    found = tasks.listed(actor, session=session, owner_id=owner_id, due=due, day_ends=day_ends, limit=limit)
    if format == "csv":
        return _csv(tasks.COLUMNS, [tasks.row(t) for t in found], "tasks")
    return found


@router.patch("/tasks/{task_id}", response_model=TaskRead)
@retry_races
def update_task(task_id: Id, body: TaskUpdate, session: DbSession, actor: Worker):
    """Finish a task (`status`: done or canceled) or move it (`due_at`). A task finished already is a 409."""
    task = tasks.visible_task(actor, task_id, session=session)
    if body.status is None and body.due_at is None:
        raise Invalid.one("status", "give status (done, canceled) or due_at")
    if body.status is not None and body.due_at is not None:
        raise Invalid.one("due_at", "finish the task or move it, not both")
    if body.due_at is not None:
        tasks.reschedule(task, session=session, actor=actor.label, due_at=body.due_at)
    elif not tasks.finish(task, session=session, actor=actor.label, status=body.status):
        session.rollback()
        raise Conflict(f"task {task_id} is {tasks.visible_task(actor, task_id, session=session).status} already")
    session.commit()
    return task


@router.get("/recycle-reasons", response_model=list[ReasonRead])
def recycle_reasons(session: DbSession, actor: Worker):
    return [ReasonRead(key=k, label=v) for k, v in recycling.reasons(session=session)]


@router.post("/leads/{lead_id}/recycle", response_model=RecycleRead, status_code=201)
@retry_races
def recycle(lead_id: Id, body: RecycleCreate, session: DbSession, actor: Worker):
    """Hand the lead back to marketing: it goes to nurture, its open tasks are canceled, its follow-up closed; at 08:00
    on `revisit_on` (the owner's time zone) it comes back to the inbox with a task for its owner."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    row = recycling.recycle(lead, session=session, actor=actor, reason=body.reason, note=body.note,
                            revisit_on=body.revisit_on)
    session.commit()
    return row


@router.get("/my-day", response_model=MyDayRead)
def my_day(session: DbSession, actor: Worker, user: str | None = "me"):
    """The same as the /my-day page: new leads, open follow-ups soonest first, tasks due today or overdue,
    call-backs. A manager may ask for a teammate's day (`user` = their id): only the leads the manager sees."""
    user_id = _user(actor, user)
    if user_id != actor.user_id and not actor.can("leads:assign"):
        raise Invalid.one("user", "only a manager may open another person's day")
    if user_id != actor.user_id and user_id not in {
            u.id for u in leads_queries.assignable_owners(actor, session=session)}:
        raise NotFound("user", user_id)
    found = day.of(actor, user_id, session=session)
    return MyDayRead(
        user_id=found.user_id, timezone=found.timezone,
        new_leads=[DayLead(lead_id=lead.id, name=found.name(lead.id), company=lead.company)
                   for lead in found.new_leads],
        followups=[DayFollowup(lead_id=f.lead_id, name=found.name(f.lead_id), due_at=f.due_at,
                               overdue=f.due_at <= found.moment) for f in found.followups],
        tasks=[TaskRead.model_validate(t) for t in found.tasks],
        call_backs=[TaskRead.model_validate(t) for t in found.call_backs])
