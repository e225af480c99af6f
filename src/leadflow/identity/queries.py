"""Review-queue reads: open pairs of leads the actor may see, a lead's possible duplicates, its merges."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from leadflow.identity.models import LeadMerge, PossibleDuplicate
from leadflow.leads.models import Lead
from leadflow.leads.visibility import visible_leads
from leadflow.pages import keyset_page
from leadflow.people.service import Actor


def duplicate_page(actor: Actor, *, session: Session, status: str | None, lead_id: int | None,
                   cursor: str | None, limit: int) -> tuple[list[PossibleDuplicate], str | None]:
    """Pairs whose two leads are both visible to the actor and (for open pairs) both still surviving."""
    mine = visible_leads(actor).with_only_columns(Lead.id)
    query = select(PossibleDuplicate).where(PossibleDuplicate.lead_id.in_(mine), PossibleDuplicate.other_id.in_(mine))
    if status:
        query = query.where(PossibleDuplicate.status == status)
    if lead_id is not None:
        query = query.where(or_(PossibleDuplicate.lead_id == lead_id, PossibleDuplicate.other_id == lead_id))
    return keyset_page(session, query, PossibleDuplicate.id, cursor=cursor, limit=limit)


def leads_of(pairs: list[PossibleDuplicate], *, session: Session) -> dict[int, Lead]:
    ids = {p.lead_id for p in pairs} | {p.other_id for p in pairs}
    return {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))} if ids else {}


def merges_of(lead_id: int, *, session: Session) -> list[LeadMerge]:
    return list(session.scalars(select(LeadMerge).where(
        or_(LeadMerge.survivor_id == lead_id, LeadMerge.merged_id == lead_id)).order_by(LeadMerge.id.desc())))


def merged_lead(actor: Actor, lead_id: int, *, session: Session) -> Lead | None:
    """A merged-away lead, when the lead it lives on in (at the end of its merge chain) is visible to the actor
    (merged leads are out of every list)."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.merged_into_id is None:
        return None
    root, seen = lead, {lead.id}
    while root.merged_into_id is not None and root.merged_into_id not in seen:
        seen.add(root.merged_into_id)
        root = session.get(Lead, root.merged_into_id)
        if root is None:
            return None
    visible = session.scalar(visible_leads(actor).with_only_columns(Lead.id).where(Lead.id == root.id))
    return lead if visible is not None else None
