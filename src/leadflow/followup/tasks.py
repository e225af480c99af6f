"""Tasks: made by hand, by a contact's outcome, by a policy at the hand-over, or by a recycled lead coming back; done,
canceled or moved to another time, each on the lead's timeline and published (`task.created`, `task.completed`).
Also the reads of tasks, always through the leads the reader sees."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from leadflow import events
from leadflow.clock import now
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.followup.models import Task
from leadflow.followup.outcomes import TASK_KINDS
from leadflow.leads import queries as leads_queries
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.leads.visibility import sees_all
from leadflow.outbox import publish, publish_many
from leadflow.people.service import Actor

MAX_DAYS_BACK = 30  # a task due further back than this is a typing mistake, not work still to do
MAX_TITLE = 300
ORIGINS = ("manual", "policy", "outcome", "recycle")


def _check(kind: str, title: str, due_at: datetime | None) -> list[tuple[str, str]]:
    found = []
    if kind not in TASK_KINDS:
        found.append(("kind", f"must be one of {', '.join(TASK_KINDS)}"))
    if not title.strip():
        found.append(("title", "say what is to be done"))
    elif len(title) > MAX_TITLE:
        found.append(("title", f"at most {MAX_TITLE} characters"))
    if due_at is None:
        found.append(("due_at", "give the time it is due"))
    elif due_at.tzinfo is None:
        found.append(("due_at", "give a time zone (e.g. 2026-12-07T09:00:00+02:00)"))
    elif due_at > now() + timedelta(days=3 * 366):
        found.append(("due_at", "more than three years ahead"))
    elif due_at < now() - timedelta(days=MAX_DAYS_BACK):
        found.append(("due_at", f"more than {MAX_DAYS_BACK} days ago: a task is for what is still to do"))
    return found


def owner_choices(actor: Actor, lead: Lead, *, session: Session) -> list:
    """Whom this actor may give a task of this lead: the lead's owner and themselves, and a manager's (or an
    admin's) teammates."""
    users = {u.id: u for u in leads_queries.assignable_owners(actor, session=session)} if (
        actor.can("leads:assign")) else {}
    wanted = {i for i in (lead.owner_id, actor.user_id) if i is not None} - set(users)
    users.update(leads_queries.users_by_id(wanted, session=session))
    return sorted(users.values(), key=lambda u: (u.name or u.email).lower())


def create(lead: Lead, *, session: Session, actor: str, kind: str, title: str, due_at: datetime | None,
           owner_id: int | None = None, origin: str = "manual", contact_id: int | None = None) -> Task:
    """A task for the lead, owned by `owner_id` (the lead's owner when none is given): the row, its timeline entry
    and `task.created`. The caller checks that the owner is one the actor may pick (owner_choices)."""
    problems = _check(kind, title, due_at)
    if problems:
        raise Invalid([FieldError(field, reason) for field, reason in problems])
    task = Task(lead_id=lead.id, owner_id=owner_id if owner_id is not None else lead.owner_id, kind=kind,
                title=title.strip(), due_at=due_at, origin=origin, contact_id=contact_id, created_by=actor,
                created_at=now())
    session.add(task)
    session.flush()
    leads_service.add_activity(session=session, lead_id=lead.id, kind="task", actor=actor,
                               summary=f"Task: {task.title} ({TASK_KINDS[kind].lower()}), due {_when(due_at)}",
                               data={"task_id": task.id, "kind": kind, "due_at": due_at.isoformat(),
                                     "owner_id": task.owner_id, "origin": origin, "status": "open"})
    publish(session, events.TASK_CREATED, {"lead_id": lead.id, "task_id": task.id, "owner_id": task.owner_id,
                                           "kind": kind, "due_at": due_at.isoformat(), "origin": origin})
    return task


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(now().tzinfo):%Y-%m-%d %H:%M} UTC"


def visible_task(actor: Actor, task_id: int, *, session: Session) -> Task:
    """A task of a lead this actor sees; any other is not found."""
    query = select(Task).where(Task.id == task_id)
    if not sees_all(actor):
        query = query.where(Task.lead_id.in_(leads_queries.visible_ids(actor)))
    task = session.scalar(query)
    if task is None:
        raise NotFound("task", task_id)
    return task


def finish(task: Task, *, session: Session, actor: str, status: str = "done") -> bool:
    """Mark an open task done (or canceled). Exactly one of many clients finishing it at once wins (a conditional
    update): it writes the timeline entry and `task.completed`; the others change nothing and get False."""
    moment = now()
    won = session.execute(update(Task).where(Task.id == task.id, Task.status == "open")
                          .values(status=status, done_at=moment, done_by=actor)
                          .execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(task)
    if won:
        _finished(task, session=session, actor=actor, status=status)
    return won


def _finished(task: Task, *, session: Session, actor: str, status: str, why: str | None = None) -> None:
    verb = "done" if status == "done" else "canceled"
    leads_service.add_activity(session=session, lead_id=task.lead_id, kind="task", actor=actor,
                               summary=f"Task {verb}: {task.title}" + (f" ({why})" if why else ""),
                               data={"task_id": task.id, "kind": task.kind, "status": status, "why": why})
    publish(session, events.TASK_COMPLETED, {"lead_id": task.lead_id, "task_id": task.id,
                                             "owner_id": task.owner_id, "kind": task.kind, "status": status})


def reschedule(task: Task, *, session: Session, actor: str, due_at: datetime | None) -> Task:
    """Move an open task to another time. A conditional update: a task finished meanwhile (by another client) is a
    Conflict and nothing changes (no "Task moved" entry)."""
    if task.status != "open":
        raise Conflict(f"the task is {task.status}: only an open task moves")
    problems = _check(task.kind, task.title, due_at)
    if problems:
        raise Invalid([FieldError(field, reason) for field, reason in problems])
    before = task.due_at
    moved = session.execute(update(Task).where(Task.id == task.id, Task.status == "open").values(due_at=due_at)
                            .execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(task)
    if not moved:
        raise Conflict(f"the task is {task.status}: only an open task moves")
    leads_service.add_activity(session=session, lead_id=task.lead_id, kind="task", actor=actor,
                               summary=f"Task moved: {task.title}, due {_when(due_at)} (was {_when(before)})",
                               data={"task_id": task.id, "due_at": due_at.isoformat(),
                                     "was": before.isoformat() if before else None, "status": "open"})
    session.flush()
    return task


def cancel_open(lead_id: int, *, session: Session, actor: str, why: str) -> list[int]:
    """Cancel every open task of the lead (it leaves sales): each on the timeline and published."""
    tasks = list(session.scalars(select(Task).where(Task.lead_id == lead_id, Task.status == "open")
                                 .order_by(Task.id)))
    canceled = []
    for task in tasks:
        moment = now()
        if session.execute(update(Task).where(Task.id == task.id, Task.status == "open")
                           .values(status="canceled", done_at=moment, done_by=actor)
                           .execution_options(synchronize_session=False)).rowcount == 1:
            session.refresh(task)
            _finished(task, session=session, actor=actor, status="canceled", why=why)
            canceled.append(task.id)
    return canceled


def cancel_policy_tasks(lead_ids, *, owner_ids: dict[int, int] | None = None, session: Session, actor: str,
                        why: str) -> list[int]:
    """Cancel the open hand-over tasks (origin "policy") of these leads when their follow-up closes (the lead was
    reassigned, recycled or left sales): of a lead in `owner_ids` only those its previous owner (the value) holds;
    of any other lead every one. One conditional UPDATE for all the leads (a task finished meanwhile by someone
    else is left as it is); each canceled task gets its timeline entry and `task.completed` (status canceled).
    Returns the canceled tasks' ids."""
    wanted = sorted({int(i) for i in lead_ids})
    if not wanted:
        return []
    owner_ids = {int(k): v for k, v in (owner_ids or {}).items() if v is not None}
    anyone = [i for i in wanted if i not in owner_ids]
    pairs = [(i, owner_ids[i]) for i in wanted if i in owner_ids]
    chosen = []
    if anyone:
        chosen.append(Task.lead_id.in_(anyone))
    if pairs:
        chosen.append(tuple_(Task.lead_id, Task.owner_id).in_(pairs))
    moment = now()
    rows = session.execute(
        update(Task).where(Task.status == "open", Task.origin == "policy", or_(*chosen))
        .values(status="canceled", done_at=moment, done_by=actor)
        .returning(Task.id, Task.lead_id, Task.owner_id, Task.kind, Task.title)
        .execution_options(synchronize_session=False)).all()
    rows.sort(key=lambda r: r.id)
    for row in rows:
        cached = session.identity_map.get(identity_key(Task, row.id))
        if cached is not None:
            session.expire(cached)
        leads_service.add_activity(session=session, lead_id=row.lead_id, kind="task", actor=actor,
                                   summary=f"Task canceled: {row.title} ({why})",
                                   data={"task_id": row.id, "kind": row.kind, "status": "canceled", "why": why})
    publish_many(session, [{"topic": events.TASK_COMPLETED,
                            "payload": {"lead_id": r.lead_id, "task_id": r.id, "owner_id": r.owner_id, "kind": r.kind,
                                        "status": "canceled"}} for r in rows])
    return [r.id for r in rows]


# --- reads -----------------------------------------------------------------------------------------------------------

def for_lead(lead_id: int, *, session: Session, open_only: bool = True, limit: int = 100) -> list[Task]:
    query = select(Task).where(Task.lead_id == lead_id)
    if open_only:
        query = query.where(Task.status == "open")
    return list(session.scalars(query.order_by(Task.due_at, Task.id).limit(limit)))


def listed(actor: Actor, *, session: Session, owner_id: int | None, due: str = "open", day_ends: datetime | None = None,
           since: datetime | None = None, until: datetime | None = None, limit: int = 500) -> list[Task]:
    """Tasks of the leads this actor sees: one owner's (None: everyone's), `due` "open" (every open one), "today"
    (open and due before the end of the day: overdue ones too), "overdue" (open, past due) or "all"."""
    moment = now()
    query = select(Task)
    if not sees_all(actor):
        query = query.where(Task.lead_id.in_(leads_queries.visible_ids(actor)))
    if owner_id is not None:
        query = query.where(Task.owner_id == owner_id)
    if due != "all":
        query = query.where(Task.status == "open")
    if due == "today":
        query = query.where(Task.due_at < (day_ends or moment))
    elif due == "overdue":
        query = query.where(Task.due_at < moment)
    if since is not None:
        query = query.where(or_(Task.due_at >= since, Task.created_at >= since))
    if until is not None:
        query = query.where(Task.due_at < until)
    return list(session.scalars(query.order_by(Task.due_at, Task.id).limit(limit)))


COLUMNS = ("id", "lead_id", "owner_id", "kind", "title", "due_at", "status", "origin", "contact_id", "done_at",
           "done_by", "created_by", "created_at")


def row(task: Task) -> dict:
    """A task as a row of the CSV export."""
    found = {column: getattr(task, column) for column in COLUMNS}
    for column in ("due_at", "done_at", "created_at"):
        found[column] = found[column].isoformat() if found[column] else ""
    return found
