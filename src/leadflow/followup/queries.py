"""Reads of follow-ups with no decision: each lead's follow-up state (due, overdue, followed up), a lead's history,
the list of follow-ups an actor sees; other stages (the inbox, the lead page) read them here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.clock import as_utc
from leadflow.followup import sla
from leadflow.followup.models import Followup
from leadflow.leads import queries as leads_queries
from leadflow.people.service import Actor

STATES = ("due", "overdue", "followed_up")


@dataclass(frozen=True)
class State:
    """A lead's follow-up now: `due` (open, before its due time), `overdue` (open, past it), `followed_up` (the
    owner's first contact closed it) or `none` (never handed over, or its last follow-up closed otherwise)."""

    status: str
    due_at: datetime | None = None
    overdue_by: timedelta | None = None
    first_contact_at: datetime | None = None
    owner_id: int | None = None
    followup_id: int | None = None

    @property
    def label(self) -> str:
        """A badge's words, read at the moment the state was made: Due in 5 h, Overdue 3 h, Followed up."""
        if self.status == "overdue":
            return f"Overdue {sla.describe(self.overdue_by or timedelta(0))}"
        if self.status == "due":
            return f"Due in {sla.describe(-(self.overdue_by or timedelta(0)))}"
        if self.status == "followed_up":
            return "Followed up"
        return ""

    def as_dict(self) -> dict:
        return {"status": self.status, "due_at": self.due_at, "first_contact_at": self.first_contact_at,
                "owner_id": self.owner_id, "followup_id": self.followup_id,
                "overdue_minutes": int(self.overdue_by.total_seconds() // 60)
                if self.overdue_by is not None and self.status == "overdue" else None}


NONE = State("none")


def state_of(row: Followup | None, moment: datetime) -> State:
    if row is None:
        return NONE
    due = as_utc(row.due_at)
    if row.status == "open":
        late = moment - due
        return State("overdue" if late >= timedelta(0) else "due", due, late, None, row.owner_id, row.id)
    if row.status == "followed_up":
        return State("followed_up", due, None, as_utc(row.first_contact_at), row.owner_id, row.id)
    return State("none", due, None, None, row.owner_id, row.id)


def states(lead_ids, *, session: Session, moment: datetime) -> dict[int, State]:
    """Each lead's state from its latest follow-up (one read; leads never handed over are `none`)."""
    wanted = sorted({int(i) for i in lead_ids})
    if not wanted:
        return {}
    latest = (select(func.max(Followup.id)).where(Followup.lead_id.in_(wanted)).group_by(Followup.lead_id)
              .scalar_subquery())
    rows = {row.lead_id: row for row in session.scalars(select(Followup).where(Followup.id.in_(latest)))}
    return {lead_id: state_of(rows.get(lead_id), moment) for lead_id in wanted}


def history(lead_id: int, *, session: Session, limit: int = 100) -> list[Followup]:
    """Every hand-over's follow-up of the lead, newest first (the lead's visibility is the caller's check)."""
    return list(session.scalars(select(Followup).where(Followup.lead_id == lead_id)
                                .order_by(Followup.id.desc()).limit(limit)))


def overdue_lead_ids(*, moment: datetime):
    """The ids of leads with an open follow-up past its due time, as a subquery (the inbox's filter)."""
    return select(Followup.lead_id).where(Followup.status == "open", Followup.due_at <= moment)


def page(actor: Actor, *, session: Session, moment: datetime, owner_id: int | None = None,
         state: str | None = None, after: int | None = None, limit: int = 100) -> list[Followup]:
    """The follow-ups of the leads the actor sees, newest first (by id, `after` an id for the next page): of one owner,
    and in one state when asked (due and overdue: open ones; followed_up: closed by the owner's contact)."""
    query = select(Followup).where(Followup.lead_id.in_(leads_queries.visible_ids(actor)))
    if owner_id is not None:
        query = query.where(Followup.owner_id == owner_id)
    if state == "due":
        query = query.where(Followup.status == "open", Followup.due_at > moment)
    elif state == "overdue":
        query = query.where(Followup.status == "open", Followup.due_at <= moment)
    elif state == "followed_up":
        query = query.where(Followup.status == "followed_up")
    if after is not None:
        query = query.where(Followup.id < after)
    return list(session.scalars(query.order_by(Followup.id.desc()).limit(limit)))


def due_timers(*, session: Session, moment: datetime, limit: int) -> list[tuple[int, datetime, str]]:
    """The due timers as a bare indexed scan (the benchmark's floor): id, next_at, next_step, soonest first."""
    return list(session.execute(select(Followup.id, Followup.next_at, Followup.next_step)
                                .where(Followup.next_at.is_not(None), Followup.next_at <= moment)
                                .order_by(Followup.next_at, Followup.id).limit(limit)))
