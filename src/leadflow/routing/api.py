"""JSON routes: routing rule sets (versions, import/export, activation, preview), a lead's assignments and
hand-over by hand, routing a queued lead again, salespeople's capacities."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from leadflow.errors import Invalid
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.leads.visibility import sees_all
from leadflow.people.deps import permitted
from leadflow.people.service import Actor
from leadflow.routing import service
from leadflow.routing.schemas import (
    AssignCreate,
    AssignmentRead,
    CapacityRead,
    CapacityUpdate,
    PreviewCreate,
    PreviewRead,
    RoutedRead,
    RuleSetCreate,
    RuleSetRead,
)
from leadflow.scoring import rule_sets as documents

router = APIRouter(prefix="/api/v1", tags=["routing"])

Reader = Annotated[Actor, permitted("leads:read")]
Assigner = Annotated[Actor, permitted("leads:assign")]
RuleMaker = Annotated[Actor, permitted("routing:rules")]


def _document(definition: dict | None, text: str | None, fmt: str | None):
    if definition is not None and text is not None:
        raise Invalid.one("definition", "give either definition (an object) or text (YAML or JSON), not both")
    return definition if text is None else documents.parse_text(text, fmt)


@router.get("/routing/rule-sets", response_model=list[RuleSetRead])
def list_rule_sets(session: DbSession, actor: RuleMaker):
    """Every version, newest first: the active one, drafts, and the retired history."""
    return service.versions(session=session)


@router.post("/routing/rule-sets", response_model=RuleSetRead, status_code=201)
@retry_races
def create_rule_set(body: RuleSetCreate, session: DbSession, actor: RuleMaker):
    """A new version from a definition (an object, or YAML/JSON text as `leadflow routing import` reads); 422 names
    each problem's place (`rules[1].when`). `activate: true` makes it the one routing uses."""
    if body.definition is None and body.text is None:
        raise Invalid.one("definition", "give the rules as definition (an object) or text (YAML or JSON)")
    row = service.save_rule_set(_document(body.definition, body.text, body.format), session=session,
                                actor=actor.label, notes=body.notes, activate=body.activate)
    session.commit()
    return row


@router.get("/routing/rule-sets/active", response_model=RuleSetRead)
def active_rule_set(session: DbSession, actor: RuleMaker,
                    format: Annotated[Literal["json", "yaml"] | None, Query()] = None):
    """The rules routing uses now; `?format=yaml` exports them alone, ready to import."""
    row = service.active_rule_set(session=session)
    if row is None:
        raise Invalid.one("version", "no routing rules are active yet: every lead goes to the fallback queue")
    return _exported(row, format)


@router.get("/routing/rule-sets/{version}", response_model=RuleSetRead)
def get_rule_set(version: Id, session: DbSession, actor: RuleMaker,
                 format: Annotated[Literal["json", "yaml"] | None, Query()] = None):
    """A version; `?format=yaml` or `?format=json` exports its rules alone, ready to import."""
    return _exported(service.get_version(version, session=session), format)


def _exported(row, fmt):
    if fmt:
        media = "application/yaml" if fmt == "yaml" else "application/json"
        return PlainTextResponse(documents.export_text(row.definition, fmt), media_type=media)
    return row


@router.post("/routing/rule-sets/{version}/activate", response_model=RuleSetRead)
@retry_races
def activate_rule_set(version: Id, session: DbSession, actor: RuleMaker):
    row = service.activate_version(version, session=session, actor=actor.label)
    session.commit()
    return row


@router.post("/routing/preview", response_model=PreviewRead)
def preview(body: PreviewCreate, session: DbSession, actor: RuleMaker,
            limit: Annotated[int, Query(ge=1, le=20000)] = 20000):
    """Where the open leads nobody owns would go under these rules (the active ones when none are given), and a
    few of each; nothing is written."""
    document = None if body.definition is None and body.text is None else \
        _document(body.definition, body.text, body.format)
    found = service.preview(document, session=session, limit=limit)
    session.rollback()
    return found


@router.get("/leads/{lead_id}/assignments", response_model=list[AssignmentRead])
def lead_assignments(lead_id: Id, session: DbSession, actor: Reader):
    """The lead's owners and queues, newest first, each with why: the rule, the members considered, who was skipped
    and why, or who handed it over."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return _reads(service.history(lead.id, session=session), session)


def _reads(rows, session) -> list[AssignmentRead]:
    emails = leads_queries.owner_emails({r.user_id for r in rows if r.user_id}, session=session)
    found = []
    for row in rows:
        read = AssignmentRead.model_validate(row)
        read.user_email = emails.get(row.user_id) if row.user_id else None
        found.append(read)
    return found


@router.post("/leads/{lead_id}/assign", response_model=AssignmentRead, status_code=201)
@retry_races
def assign(lead_id: Id, body: AssignCreate, session: DbSession, actor: Assigner):
    """Hand the lead to someone (`user:EMAIL` or a user id) or put it in a queue (`queue:NAME`); the history keeps
    every earlier owner. A lead given by hand is never routed over."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    if not sees_all(actor) and (body.to.startswith("user:") or body.to.strip().isdecimal()):
        owners = leads_queries.assignable_owners(actor, session=session)
        target = body.to.partition(":")[2].strip().lower() if ":" in body.to else body.to.strip()
        if target not in {u.email for u in owners} | {str(u.id) for u in owners}:
            raise Invalid.one("to", "you can hand leads only to yourself and your teams' members")
    row = service.assign(lead, session=session, to=body.to, actor=actor.label, note=body.note)
    session.commit()
    return _reads([row], session)[0]


@router.post("/leads/{lead_id}/route", response_model=RoutedRead)
@retry_races
def route_again(lead_id: Id, session: DbSession, actor: Assigner):
    """Route a lead nobody owns now (one waiting in a queue): the rules as they are, with today's availability."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    if lead.owner_id is not None:
        raise Invalid.one("lead_id", "the lead has an owner: hand it over with POST /leads/{id}/assign")
    routed = service.route([lead.id], session=session, trigger="reroute", actor=actor.label)
    session.commit()
    if not routed:
        raise Invalid.one("lead_id", "only open leads (new to opportunity) are routed")
    found = routed[0]
    rows = [r for r in service.history(lead.id, session=session, limit=1) if r.id == found.assignment_id]
    return RoutedRead(lead_id=lead.id, assignment=_reads(rows, session)[0] if rows else None,
                      reasons=found.decision.as_dict())


@router.get("/routing/capacities", response_model=list[CapacityRead])
def list_capacities(session: DbSession, actor: RuleMaker):
    """Each salesperson's limits routing respects (no row: no limit, weight 1)."""
    return list(service.capacities(session=session).values())


@router.put("/routing/capacities/{user_id}", response_model=CapacityRead)
@retry_races
def set_capacity(user_id: Id, body: CapacityUpdate, session: DbSession, actor: RuleMaker):
    row = service.set_capacity(user_id, session=session, max_open=body.max_open, max_per_day=body.max_per_day,
                               weight=body.weight)
    session.commit()
    return row
