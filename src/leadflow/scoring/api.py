"""JSON routes: scoring rule sets (versions, validation, export/import, activation), rescore runs, a lead's score."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from leadflow.errors import Invalid
from leadflow.http import AppSettings, DbSession, WritingSession
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import permitted
from leadflow.people.service import Actor
from leadflow.scoring.predict import service as predict_service
from leadflow.scoring import service as scoring_service
from leadflow.scoring.schemas import (
    ActivateRead,
    PredictionRead,
    RuleSetCreate,
    RuleSetRead,
    RunRead,
    ScoreRead,
)

router = APIRouter(prefix="/api/v1", tags=["scoring"])

Reader = Annotated[Actor, permitted("leads:read")]
RuleMaker = Annotated[Actor, permitted("scoring:rules")]


@router.get("/scoring/rule-sets", response_model=list[RuleSetRead])
def list_rule_sets(session: WritingSession, actor: RuleMaker):
    """Every version, newest first: one active, drafts, and the retired history."""
    rows = scoring_service.list_rule_sets(session=session)
    session.commit()
    return rows


@router.post("/scoring/rule-sets", response_model=RuleSetRead, status_code=201)
def create_rule_set(body: RuleSetCreate, session: DbSession, actor: RuleMaker):
    """A new draft from a definition (object, or JSON/YAML text): 422 lists each problem with its path."""
    if (body.definition is None) == (body.text is None):
        raise Invalid.one("definition", "give either definition (an object) or text (JSON or YAML)")
    definition = body.definition if body.definition is not None else scoring_service.parse_text(body.text,
                                                                                                body.format)
    row = scoring_service.create_draft(definition, session=session, actor=actor.label, notes=body.notes)
    if body.activate:
        scoring_service.activate(row.id, session=session, actor=actor.label)
    session.commit()
    return row


@router.get("/scoring/rule-sets/{rule_set_id}", response_model=RuleSetRead)
def get_rule_set(rule_set_id: Id, session: DbSession, actor: RuleMaker,
                 format: Annotated[Literal["json", "yaml"] | None, Query()] = None):
    """A version; `?format=yaml` or `?format=json` exports its definition alone, ready to import."""
    row = scoring_service.get_rule_set(rule_set_id, session=session)
    if format:
        media = "application/yaml" if format == "yaml" else "application/json"
        return PlainTextResponse(scoring_service.export_text(row.definition, format), media_type=media, headers={
            "Content-Disposition": f'attachment; filename="scoring-rules-v{row.version}.{format}"'})
    return row


@router.post("/scoring/rule-sets/{rule_set_id}/activate", response_model=ActivateRead, status_code=202)
def activate_rule_set(rule_set_id: Id, session: DbSession, actor: RuleMaker):
    """Make a version active (the previous one retired) and rescore every lead in the background."""
    run = scoring_service.activate(rule_set_id, session=session, actor=actor.label)
    session.commit()
    return ActivateRead(rule_set=RuleSetRead.model_validate(scoring_service.get_rule_set(rule_set_id, session=session)),
                        run_id=run.id)


@router.get("/scoring/runs/{run_id}", response_model=RunRead)
def get_run(run_id: Id, session: DbSession, actor: RuleMaker):
    return scoring_service.get_run(run_id, session=session)


@router.get("/leads/{lead_id}/score", response_model=ScoreRead)
def lead_score(lead_id: Id, session: WritingSession, actor: Reader):
    """Why a lead has its score: fit rules hit, the strongest behaviour decayed to now, interests, thresholds."""
    leads_queries.visible_lead(actor, lead_id, session=session)
    result = scoring_service.explanation(lead_id, session=session)
    session.commit()
    return result


@router.get("/leads/{lead_id}/prediction", response_model=PredictionRead)
def lead_prediction(lead_id: Id, session: DbSession, actor: Reader, settings: AppSettings):
    """The lead's predicted chance to convert, the drivers, and the model's quality: `usable` is false while the
    model's cross-validated AUC is below LEADFLOW_PREDICT_MIN_AUC (the probability is then no better than a guess)."""
    leads_queries.visible_lead(actor, lead_id, session=session)
    row, model = predict_service.prediction(lead_id, session=session)
    judged = predict_service.quality(model, min_auc=settings.predict_min_auc)
    return PredictionRead(
        lead_id=lead_id, probability=row.probability if row else None, usable=judged.usable and row is not None,
        reason=judged.reason if row else (judged.reason or "not scored yet"),
        drivers=row.drivers if row else [], scored_at=row.scored_at if row else None,
        model={"id": model.id, "auc": model.auc, "rows": model.rows, "trained_at": model.created_at,
               "min_auc": judged.min_auc} if model else None)
