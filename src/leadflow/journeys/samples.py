"""The simulator's sample leads: the latest leads the actor sees, or a list of lead ids (a segment's members), as
contexts in the journey scope (what the journey's conditions read)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow.journeys.definition import Definition
from leadflow.leads.models import Lead
from leadflow.leads.visibility import visible_leads
from leadflow.people.service import Actor
from leadflow.routing import service as routing_service

MAX_SAMPLE = 5000


def condition_names(definition: Definition) -> set[str]:
    """The names the definition's conditions read (the lead's fields; survey answers come from the simulator)."""
    rules = [goal.condition for goal in definition.goals]
    rules += [entry.condition for entry in definition.entry if entry.condition is not None]
    for step in definition.steps.values():
        for way in getattr(step, "ways", ()):
            if way.when.condition is not None:
                rules.append(way.when.condition)
    return {name for rule in rules for name in rule.names if not name.startswith("survey.")} | {"stage"}


def contexts(definition: Definition, actor: Actor, *, session: Session, latest: int = 100,
             lead_ids: list[int] | None = None) -> list[dict]:
    query = visible_leads(actor)
    if lead_ids is not None:
        query = query.where(Lead.id.in_(lead_ids[:MAX_SAMPLE]))
    leads = list(session.scalars(query.order_by(Lead.id.desc()).limit(min(max(latest, 1), MAX_SAMPLE))))
    found = routing_service.lead_contexts(leads, condition_names(definition), session=session)
    return [{**found.get(lead.id, {}), "id": lead.id, "email": lead.email,
             "label": lead.email or f"lead {lead.id}"} for lead in leads]
