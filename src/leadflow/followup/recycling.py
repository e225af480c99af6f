"""Recycling a lead back to marketing: why (the managed list), a note and the day to look at it again. The lead goes
to nurture, its open tasks are canceled and its open follow-up closed; on the revisit day (a durable timer in the
outbox) it comes back: stage recycled, a task and a bell notice for the former owner, exactly once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow import clock, events
from leadflow.clock import now
from leadflow.db import begin_write
from leadflow.errors import FieldError, Invalid
from leadflow.followup import service as followup_service
from leadflow.followup import tasks
from leadflow.followup.models import Recycle
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.outbox import publish
from leadflow.people import notifications
from leadflow.people import queries as people_queries
from leadflow.people.service import Actor
from leadflow.pipeline import queries as pipeline_queries

REVISIT_AT = time(8, 0)
MAX_NOTE = 5000
RETURNS_FROM = ("nurture", "recycled")


def reasons(*, session: Session) -> list[tuple[str, str]]:
    return [(r.key, r.label) for r in pipeline_queries.close_reasons("recycle", session=session)]


_zone = clock.zone


def _timezone(user_id: int | None, *, session: Session) -> str:
    if user_id is None:
        return "UTC"
    found = people_queries.availability([user_id], session=session).get(user_id)
    return found.timezone if found else "UTC"


def revisit_moment(revisit_on: date, timezone: str) -> datetime:
    """08:00 on the revisit day in the owner's time zone, in UTC."""
    return datetime.combine(revisit_on, REVISIT_AT, tzinfo=_zone(timezone)).astimezone(now().tzinfo)


def recycle(lead: Lead, *, session: Session, actor: Actor, reason: str, note: str = "",
            revisit_on: date | None) -> Recycle:
    """Hand the lead back to marketing until `revisit_on` (a day after today in the owner's time zone)."""
    note = (note or "").strip()
    known = dict(reasons(session=session))
    timezone = _timezone(lead.owner_id or actor.user_id, session=session)
    today = now().astimezone(_zone(timezone)).date()
    found = []
    if reason not in known:
        found.append(FieldError("reason", f"must be one of {', '.join(known) or '(no reasons are set up)'}"))
    if revisit_on is None:
        found.append(FieldError("revisit_on", "give the day to look at the lead again"))
    elif revisit_on <= today:
        found.append(FieldError("revisit_on", "must be after today"))
    elif revisit_on > today + timedelta(days=3 * 366):
        found.append(FieldError("revisit_on", "more than three years ahead"))
    if len(note) > MAX_NOTE:
        found.append(FieldError("note", f"at most {MAX_NOTE} characters"))
    if found:
        raise Invalid(found)
    # Follow-ups before the lead (the one lock order): the open follow-up closes, timers and all.
    followup_service.leads_left([lead.id], session=session, reason="recycled")
    (lead,) = leads_service.lock_for_owner([lead.id], session=session) or (lead,)
    leads_service.change_stage(session=session, lead=lead, to="nurture", actor=actor.label, reason="recycled",
                               note=note or None)
    row = Recycle(lead_id=lead.id, reason=reason, note=note, revisit_on=revisit_on, owner_id=lead.owner_id,
                  recycled_by=actor.label, recycled_at=now())
    session.add(row)
    session.flush()
    tasks.cancel_open(lead.id, session=session, actor=actor.label, why="recycled to marketing")
    leads_service.add_activity(session=session, lead_id=lead.id, kind="recycled", actor=actor.label,
                               summary=f"Recycled to marketing: {known[reason]}; revisit on {revisit_on.isoformat()}"
                               + (f" \u2014 {note[:200]}" if note else ""),
                               data={"recycle_id": row.id, "reason": reason, "note": note,
                                     "revisit_on": revisit_on.isoformat()})
    publish(session, events.LEAD_REVISIT, {"recycle_id": row.id}, key=f"lead.revisit:{row.id}",
            available_at=revisit_moment(revisit_on, timezone))
    publish(session, events.LEAD_RECYCLED, {"lead_id": lead.id, "recycle_id": row.id, "reason": reason,
                                            "revisit_on": revisit_on.isoformat(), "owner_id": lead.owner_id})
    session.flush()
    return row


def revisit(recycle_ids: list[int], *, session: Session) -> list[int]:
    """The revisit day came: each recycled lead still in nurture (or recycled) comes back to the inbox as recycled,
    with a task "Revisit: <reason>" due that day and a bell notice for the person who handed it back. Once each
    (`returned_at`); a lead someone moved on meanwhile stays where it is, and a recycle superseded by a newer one of
    the same lead does nothing (its `returned_at` stays empty: the lead never came back from it). Returns the
    recycles that came back."""
    if not recycle_ids:
        return []
    if session.get_bind().dialect.name != "postgresql":
        begin_write(session)
    query = select(Recycle).where(Recycle.id.in_(sorted(set(recycle_ids))), Recycle.returned_at.is_(None))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    rows = list(session.scalars(query.order_by(Recycle.id).execution_options(populate_existing=True)))
    if not rows:
        return []
    leads = {lead.id: lead for lead in leads_service.lock_for_owner(sorted({r.lead_id for r in rows}),
                                                                     session=session)}
    latest = dict(session.execute(select(Recycle.lead_id, func.max(Recycle.id))
                                  .where(Recycle.lead_id.in_(sorted(leads))).group_by(Recycle.lead_id)).all())
    labels = {r.key: r.label for r in pipeline_queries.close_reasons("recycle", session=session, active_only=False)}
    moment = now()
    returned, notices = [], []
    for row in rows:
        lead = leads.get(row.lead_id)
        if lead is None or lead.stage not in RETURNS_FROM:
            continue
        if latest.get(row.lead_id) != row.id:
            continue  # superseded: the lead was recycled again since; only its latest recycle's day brings it back
        if lead.stage != "recycled":
            leads_service.change_stage(session=session, lead=lead, to="recycled", actor="system",
                                       reason="revisit", note=f"revisit day {row.revisit_on.isoformat()}")
        label = labels.get(row.reason, row.reason)
        task_owner = row.owner_id if row.owner_id is not None else lead.owner_id
        if task_owner is not None:
            tasks.create(lead, session=session, actor="system", kind="call", title=f"Revisit: {label}",
                         due_at=moment, owner_id=task_owner, origin="recycle")
        leads_service.add_activity(session=session, lead_id=lead.id, kind="recycled", actor="system",
                                   summary=f"Back from marketing: the revisit day came ({label})",
                                   data={"recycle_id": row.id, "reason": row.reason, "returned": True})
        row.returned_at = moment
        returned.append(row.id)
        if task_owner is not None:
            name = " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email
            notices.append(notifications.Notice(
                user_id=task_owner, kind="revisit", title=f"Revisit {name or 'a recycled lead'} today",
                body=f"You recycled this lead to marketing on {row.recycled_at:%Y-%m-%d} ({label})."
                     + (f"\n\n{row.note}" if row.note else ""),
                link=f"/leads/{lead.id}", key=f"revisit:{row.id}", lead_id=lead.id))
    notifications.notify_many(notices, session=session)
    session.flush()
    return returned

