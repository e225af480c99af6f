"""Logging a contact (a call, email, meeting or visit with its outcome): the row, the timeline entry, `contact.logged`,
the owner's open follow-up closed, and the next step the outcome sets (or the one the person chose instead).
Also the reads of contacts, always through the leads the reader sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import events
from leadflow.clock import now
from leadflow.errors import FieldError, Invalid
from leadflow.followup import outcomes
from leadflow.followup import service as followup_service
from leadflow.followup import tasks
from leadflow.followup.models import Contact, Task
from leadflow.leads import queries as leads_queries
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.leads.visibility import sees_all
from leadflow.outbox import publish
from leadflow.people import public_holidays
from leadflow.people import queries as people_queries
from leadflow.people.service import Actor


@dataclass(frozen=True)
class NextTask:
    """The next step the person chose instead of the outcome's: a task of their own (kind, title, due time)."""

    kind: str
    title: str
    due_at: datetime | None


@dataclass(frozen=True)
class Logged:
    contact: Contact
    step: outcomes.NextStep
    task: Task | None


def log(lead: Lead, *, session: Session, actor: Actor, kind: str, outcome: str, note: str = "",
        occurred_at: datetime | None = None, duration_minutes: int | None = None, at: datetime | None = None,
        next_task: NextTask | None = None, no_next_step: bool = False, call_list: bool = False) -> Logged:
    """Log a contact with the lead by the actor (its user is the one who made it). The outcome's next step becomes
    a task for the lead's owner (or the actor when nobody owns it) unless the person chose their own task
    (`next_task`) or none (`no_next_step`). `call_list`: a call list's call (telemarketing), which may end as
    qualified or do not call."""
    moment = now()
    occurred_at = occurred_at or moment
    note = (note or "").strip()
    naive = [(name, "give a time zone (e.g. 2026-12-07T09:00:00+02:00)")
             for name, value in (("occurred_at", occurred_at), ("at", at))
             if value is not None and value.tzinfo is None]
    found = naive or outcomes.problems(kind, outcome, occurred_at=occurred_at, at=at, moment=moment, note=note,
                                       duration_minutes=duration_minutes, call_list=call_list)
    if found:
        raise Invalid([FieldError(field, reason) for field, reason in found])
    followup_service.lock_open([lead.id], session=session)  # follow-ups before the lead: the worker's lock order
    worker = lead.owner_id or actor.user_id
    availability = people_queries.working_time([worker], session=session).get(worker) if worker else None
    step = outcomes.next_step(kind, outcome, moment=moment, at=at,
                              timezone=availability.timezone if availability else "UTC",
                              working_hours=availability.working_hours if availability else None,
                              holidays=public_holidays.calendar(availability.holiday_country,
                                                                availability.holiday_region) if availability else None)
    if next_task is not None:
        step = outcomes.NextStep(next_task.kind, next_task.title, next_task.due_at, "chosen by the person")
    elif no_next_step:
        step = outcomes.NextStep(None, None, None, "no next step, as the person chose", step.suggest)
    contact = Contact(lead_id=lead.id, user_id=actor.user_id, kind=kind, outcome=outcome, note=note,
                      occurred_at=occurred_at, duration_minutes=duration_minutes, actor=actor.label,
                      data={"next_step": step.as_dict(), **({"at": at.isoformat()} if at else {})},
                      created_at=moment)
    session.add(contact)
    session.flush()
    label = outcomes.LABELS.get(outcome, outcome)
    summary = f"{outcomes.KINDS[kind]}: {label}" + (f" \u2014 {note[:200]}" if note else "")
    leads_service.add_activity(session=session, lead_id=lead.id, kind="contact", actor=actor.label, summary=summary,
                               data={"contact_id": contact.id, "kind": kind, "outcome": outcome, "note": note,
                                     "occurred_at": occurred_at.isoformat(), "duration_minutes": duration_minutes,
                                     "next_step": step.as_dict()})
    publish(session, events.CONTACT_LOGGED, {"lead_id": lead.id, "contact_id": contact.id, "user_id": actor.user_id,
                                             "kind": kind, "outcome": outcome, "occurred_at": occurred_at.isoformat()})
    followup_service.contacts_logged([followup_service.Logged(lead_id=lead.id, user_id=actor.user_id,
                                                              contact_id=contact.id, occurred_at=occurred_at,
                                                              logged_at=moment)],
                                     session=session)
    task = None
    if step.task_kind is not None:
        task = tasks.create(lead, session=session, actor=actor.label, kind=step.task_kind, title=step.title or "",
                            due_at=step.due_at, owner_id=worker, origin="outcome", contact_id=contact.id)
    session.flush()
    return Logged(contact, step, task)


# --- reads -----------------------------------------------------------------------------------------------------------

def for_lead(lead_id: int, *, session: Session, limit: int = 50) -> list[Contact]:
    return list(session.scalars(select(Contact).where(Contact.lead_id == lead_id)
                                .order_by(Contact.occurred_at.desc(), Contact.id.desc()).limit(limit)))


def listed(actor: Actor, *, session: Session, since: datetime | None = None, until: datetime | None = None,
           user_id: int | None = None, limit: int | None = 1000) -> list[Contact]:
    """Contacts logged on the leads this actor sees, oldest first; `user_id`: only those this person made."""
    query = select(Contact)
    if not sees_all(actor):
        query = query.where(Contact.lead_id.in_(leads_queries.visible_ids(actor)))
    if since is not None:
        query = query.where(Contact.occurred_at >= since)
    if until is not None:
        query = query.where(Contact.occurred_at < until)
    if user_id is not None:
        query = query.where(Contact.user_id == user_id)
    query = query.order_by(Contact.occurred_at, Contact.id)
    return list(session.scalars(query.limit(limit) if limit else query))


COLUMNS = ("id", "lead_id", "user_id", "kind", "outcome", "note", "occurred_at", "duration_minutes", "next_task_kind",
           "next_task_due_at", "actor", "created_at")


def row(contact: Contact) -> dict:
    """A contact as a row of the CSV export."""
    step = (contact.data or {}).get("next_step") or {}
    return {"id": contact.id, "lead_id": contact.lead_id, "user_id": contact.user_id, "kind": contact.kind,
            "outcome": contact.outcome, "note": contact.note, "occurred_at": contact.occurred_at.isoformat(),
            "duration_minutes": contact.duration_minutes, "next_task_kind": step.get("task_kind") or "",
            "next_task_due_at": step.get("due_at") or "", "actor": contact.actor,
            "created_at": contact.created_at.isoformat()}
