"""Reads with no decision: a person's call lists and the leads on them that they may see, hottest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.leads.models import Lead
from leadflow.leads.visibility import visible_leads
from leadflow.people.models import CallList, CallListLead, User
from leadflow.people.service import Actor

MAX_LISTS = 50


@dataclass
class Listed:
    call_list: CallList
    owner: str
    leads: list[Lead]
    total: int  # visible leads on the list; the first `len(leads)` are shown


def call_lists(session: Session, actor: Actor, *, per_list: int = 200) -> list[Listed]:
    """The actor's own call lists, newest first (everyone's for those who make call lists), each with its leads
    the actor may see: not yet disqualified or customers first, then by score, highest first."""
    query = select(CallList, User.name, User.email).join(User, User.id == CallList.owner_id)
    if not actor.can("call_lists:manage"):
        query = query.where(CallList.owner_id == actor.user_id)
    found = session.execute(query.order_by(CallList.created_at.desc(), CallList.id.desc()).limit(MAX_LISTS)).all()
    if not found:
        return []
    ids = [call_list.id for call_list, _, _ in found]
    visible = visible_leads(actor).with_only_columns(Lead.id).subquery()
    totals = dict(session.execute(
        select(CallListLead.call_list_id, func.count()).join(visible, visible.c.id == CallListLead.lead_id)
        .where(CallListLead.call_list_id.in_(ids)).group_by(CallListLead.call_list_id)).all())
    closed = Lead.stage.in_(("customer", "disqualified"))
    listed = []
    for call_list, name, email in found:
        leads = list(session.scalars(
            visible_leads(actor).join(CallListLead, CallListLead.lead_id == Lead.id)
            .where(CallListLead.call_list_id == call_list.id)
            .order_by(closed, Lead.score.is_(None), Lead.score.desc(), Lead.id).limit(per_list)))
        listed.append(Listed(call_list, name or email, leads, totals.get(call_list.id, 0)))
    return listed
