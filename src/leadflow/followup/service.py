"""Follow-up's decisions: a follow-up opened for each hand-over with its due time, closed by the owner's first
contact, by a new owner or by the lead leaving sales; the worker's pass over due timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.followup.models import Followup


@dataclass(frozen=True)
class Logged:
    """A contact attempt logged: by whom, for which lead, when (what closes the owner's open follow-up)."""

    lead_id: int
    user_id: int | None
    contact_id: int
    occurred_at: datetime


def contacts_logged(items: list[Logged], *, session: Session) -> list[int]:
    """The owner's first contact follows a lead up: each open follow-up of these leads owned by the person who
    logged the contact is closed as followed up (on time or late). Returns the follow-ups closed."""
    by_lead = {}
    for item in sorted(items, key=lambda i: i.occurred_at):
        by_lead.setdefault(item.lead_id, []).append(item)
    if not by_lead:
        return []
    rows = session.scalars(select(Followup).where(Followup.lead_id.in_(list(by_lead)),
                                                  Followup.status == "open").with_for_update()).all()
    closed = []
    for row in rows:
        first = next((i for i in by_lead[row.lead_id] if i.user_id is not None and i.user_id == row.owner_id
                      and i.occurred_at >= row.handed_at), None)
        if first is None:
            continue
        row.status = "followed_up"
        row.first_contact_at = first.occurred_at
        row.contact_id = first.contact_id
        row.closed_at = first.occurred_at
        row.next_at = None
        row.next_step = None
        closed.append(row.id)
    session.flush()
    return closed
