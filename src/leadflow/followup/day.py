"""A salesperson's day, as /my-day and GET /api/v1/my-day show it: their new leads, their open follow-ups (soonest
first), their tasks due today or overdue, and their call-backs with their times, all through the leads the reader
sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.clock import now
from leadflow.followup import tasks
from leadflow.followup.models import Contact, Followup, Task
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Lead
from leadflow.leads.visibility import sees_all
from leadflow.people import queries as people_queries
from leadflow.people.service import Actor

MAX_ROWS = 200


@dataclass
class Day:
    user_id: int | None
    timezone: str
    moment: datetime
    day_ends: datetime
    new_leads: list[Lead] = field(default_factory=list)
    followups: list[Followup] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    call_backs: list[Task] = field(default_factory=list)
    leads: dict[int, Lead] = field(default_factory=dict)

    def name(self, lead_id: int) -> str:
        lead = self.leads.get(lead_id)
        if lead is None:
            return f"Lead {lead_id}"
        return " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead {lead_id}"

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(_zone(self.timezone))


_zone = clock.zone


def ends(user_id: int | None, *, session: Session) -> tuple[str, datetime]:
    """The person's time zone and the end of their today (midnight where they are), in UTC."""
    moment = now()
    found = people_queries.availability([user_id], session=session).get(user_id) if user_id else None
    timezone = found.timezone if found else "UTC"
    zone = _zone(timezone)
    tomorrow = moment.astimezone(zone).date() + timedelta(days=1)
    return timezone, datetime.combine(tomorrow, time(0, 0), tzinfo=zone).astimezone(moment.tzinfo)


def of(actor: Actor, user_id: int | None, *, session: Session) -> Day:
    """The day of `user_id` (the actor's own, or a teammate's a manager picked) as the actor may see it."""
    moment = now()
    timezone, day_ends = ends(user_id, session=session)
    day = Day(user_id=user_id, timezone=timezone, moment=moment, day_ends=day_ends)
    if user_id is None:
        return day
    day.new_leads, _ = leads_queries.lead_page(actor, leads_queries.LeadFilter(owner=user_id, unseen=True),
                                               session=session, cursor=None, limit=50)
    query = select(Followup).where(Followup.owner_id == user_id, Followup.status == "open")
    if not sees_all(actor):
        query = query.where(Followup.lead_id.in_(leads_queries.visible_ids(actor)))
    day.followups = list(session.scalars(query.order_by(Followup.due_at, Followup.id).limit(MAX_ROWS)))
    due = tasks.listed(actor, session=session, owner_id=user_id, due="today", day_ends=day_ends, limit=MAX_ROWS)
    open_tasks = tasks.listed(actor, session=session, owner_id=user_id, due="open", limit=MAX_ROWS)
    made_by = [t.contact_id for t in open_tasks if t.contact_id is not None]
    backs = set(session.scalars(select(Contact.id).where(Contact.id.in_(made_by), Contact.outcome == "call_back"))
                ) if made_by else set()
    day.call_backs = [t for t in open_tasks if t.contact_id in backs]
    day.tasks = [t for t in due if t.contact_id not in backs]
    wanted = {f.lead_id for f in day.followups} | {t.lead_id for t in due} | {t.lead_id for t in day.call_backs}
    day.leads = {lead.id: lead for lead in day.new_leads}
    day.leads.update(leads_queries.leads_by_id(wanted - set(day.leads), session=session))
    return day
