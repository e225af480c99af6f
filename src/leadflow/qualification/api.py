"""JSON routes of qualification: a lead's BANT answers and stage moves with their history, the Sales Ready rule
(read, save with validation, preview)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.inputs import Id, Input
from leadflow.leads import queries as leads_queries
from leadflow.leads.lifecycle import DISQUALIFY_REASONS, STAGES, allowed_moves
from leadflow.leads.models import Lead
from leadflow.people.deps import permitted
from leadflow.people.service import Actor
from leadflow.qualification import bant, salesready
from leadflow.qualification import service as qualification_service

router = APIRouter(prefix="/api/v1", tags=["qualification"])

Reader = Annotated[Actor, permitted("leads:read")]
Writer = Annotated[Actor, permitted("leads:write")]
RuleEditor = Annotated[Actor, permitted("qualification:rule")]


class BantUpdate(Input):
    """The answers to set; null (or "unknown") withdraws one; criteria not given stay as they are."""

    budget: str | int | float | bool | None = Field(default=None)
    authority: str | None = Field(default=None, max_length=500)
    need: str | None = Field(default=None, max_length=500)
    timeline: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, description="lead, telemarketer, sales, marketing or import; "
                                                          "by default the one of your role")


class StageMove(Input):
    to: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)


class RuleUpdate(Input):
    expression: str = Field(max_length=salesready.MAX_LENGTH)
    note: str | None = Field(default=None, max_length=1000)


class RulePreview(Input):
    expression: str = Field(max_length=salesready.MAX_LENGTH)


def bant_read(session, lead: Lead) -> dict:
    current = qualification_service.bant_current(lead.id, session=session)
    values = {c: (a.value if a else None) for c, a in current.items()}
    return {
        "lead_id": lead.id, "known": bant.known_count(values),
        "criteria": {c: {"value": a.value if a else None, "label": bant.label(c, a.value if a else None),
                         "source": a.source if a else None, "actor": a.actor if a else None,
                         "set_at": a.set_at if a else None} for c, a in current.items()},
        "score": lead.score, "grade": lead.grade, "band": lead.band, "stage": lead.stage,
        "sales_ready_at": lead.sales_ready_at,
    }


def _jsonable(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else _jsonable(v) if isinstance(v, dict) else v)
            for k, v in data.items()}


@router.get("/leads/{lead_id}/bant")
def get_bant(lead_id: Id, session: DbSession, actor: Reader):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    body = bant_read(session, lead)
    body["history"] = [{"criterion": a.criterion, "value": a.value, "source": a.source, "actor": a.actor,
                        "set_at": a.set_at} for a in qualification_service.bant_history(lead.id, session=session)]
    return body


@router.put("/leads/{lead_id}/bant")
def put_bant(lead_id: Id, body: BantUpdate, session: DbSession, actor: Writer):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    given = body.model_dump(exclude_unset=True)
    source = given.pop("source", None) or bant.source_for_role(actor.role)
    if source not in bant.SOURCES:
        raise Invalid.one("source", f"must be one of {', '.join(bant.SOURCES)}")
    if not bant.may_record(actor.role, source):
        raise Invalid.one("source", f"the {actor.role.replace('_', ' ')} role records answers as "
                                    f"'{bant.source_for_role(actor.role)}'")
    qualification_service.set_bant(lead.id, given, source, actor.label, session=session)
    session.commit()
    session.refresh(lead)
    return bant_read(session, lead)


def stage_read(lead: Lead) -> dict:
    return {"lead_id": lead.id, "stage": lead.stage, "disqualify_reason": lead.disqualify_reason,
            "sales_ready_at": lead.sales_ready_at, "allowed_moves": list(allowed_moves(lead.stage))}


@router.post("/leads/{lead_id}/stage")
def post_stage(lead_id: Id, body: StageMove, session: DbSession, actor: Writer):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    try:
        qualification_service.move_stage(lead, body.to, body.reason, body.note, actor.label, session=session)
    except Invalid as exc:
        session.rollback()
        return JSONResponse(_jsonable({
            "error": "invalid", "errors": [{"field": e.field, "reason": e.reason} for e in exc.errors],
            "stage": lead.stage, "allowed_moves": list(allowed_moves(lead.stage)),
            "reasons": list(DISQUALIFY_REASONS)}), status_code=422)
    session.commit()
    return stage_read(lead)


@router.get("/leads/{lead_id}/stages")
def get_stages(lead_id: Id, session: DbSession, actor: Reader):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return {**stage_read(lead), "stages": list(STAGES), "reasons": DISQUALIFY_REASONS,
            "history": [{"from": c.from_stage, "to": c.to_stage, "reason": c.reason, "note": c.note,
                         "actor": c.actor, "changed_at": c.changed_at}
                        for c in qualification_service.stage_history(lead.id, session=session)]}


def rule_read(rule) -> dict:
    return {"version": rule.version, "expression": rule.expression, "note": rule.note,
            "created_by": rule.created_by, "created_at": rule.created_at}


@router.get("/sales-ready-rule")
def get_rule(session: DbSession, actor: Reader):
    rule = qualification_service.current_rule(session=session)
    return {**rule_read(rule), "default": salesready.DEFAULT_RULE, "names": salesready.NAMES,
            "versions": [rule_read(r) for r in qualification_service.rule_versions(session=session)]}


def _rule_error(expression: str) -> JSONResponse | None:
    error = salesready.problems(expression)
    if error is None:
        return None
    return JSONResponse({"error": "invalid", "errors": [{
        "field": "expression", "reason": f"{error.message} (at column {error.position + 1})",
        "position": error.position, "column": error.position + 1}]}, status_code=422)


@router.put("/sales-ready-rule")
def put_rule(body: RuleUpdate, session: DbSession, actor: RuleEditor):
    problem = _rule_error(body.expression.strip())
    if problem is not None:
        return problem
    rule = qualification_service.save_rule(session=session, expression=body.expression, note=body.note,
                                           actor=actor.label)
    session.commit()
    return rule_read(rule)


@router.post("/sales-ready-rule/preview")
def preview_rule(body: RulePreview, session: DbSession, actor: Reader):
    problem = _rule_error(body.expression.strip())
    if problem is not None:
        return problem
    query = leads_queries.visible_leads(actor).where(Lead.merged_into_id.is_(None))
    found = qualification_service.preview(query, body.expression.strip(), session=session)
    return {"matched": found["matched"], "looked_at": found["looked_at"], "complete": found["complete"],
            "sample": [{"id": lead.id, "email": lead.email, "name": " ".join(
                p for p in (lead.first_name, lead.last_name) if p) or None, "score": lead.score,
                "grade": lead.grade, "band": lead.band, "stage": lead.stage} for lead in found["sample"]]}
