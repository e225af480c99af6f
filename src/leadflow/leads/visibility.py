"""Who sees which leads: every list, detail, export and API path for leads starts here."""

from __future__ import annotations

from sqlalchemy import Select, select

from leadflow.leads.models import Lead
from leadflow.people.service import Actor


def visible_leads(actor: Actor) -> Select:
    """The leads this actor may see; merged-away leads are gone from every list.

    Until users and roles exist (issue 4), API keys and the system see every lead.
    """
    query = select(Lead).where(Lead.merged_into_id.is_(None))
    if actor.role in ("admin", "marketing") or actor.kind == "system":
        return query
    if actor.user_id is None:
        return query.where(False)
    return query.where(Lead.owner_id == actor.user_id)
