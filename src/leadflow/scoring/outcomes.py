"""A lead's scored result: the state kept in `lead_scores` read back, the outcome at a moment (score, band,
explanation, interests) and the values written for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.leads import service as leads_service
from leadflow.scoring import bands, rules
from leadflow.scoring.models import LeadScore


EXPLANATION_ON_LEAD = 5


def state_of(row: LeadScore) -> rules.BehaviourState:
    return rules.BehaviourState(points=row.behaviour or 0.0, as_of=clock.as_utc(row.as_of).timestamp(),
                                interests=dict(row.interests or {}),
                                contributions=[tuple(c) for c in (row.contributions or [])],
                                counters={k: dict(v) for k, v in (row.counters or {}).items() if k != "_fit"})


@dataclass
class Outcome:
    """A lead's scored result, ready to be written."""

    lead_id: int
    fit: rules.FitResult
    state: rules.BehaviourState
    score: int
    band: str
    explanation: list[dict]
    interests: dict[str, float]


def outcome_of(compiled: rules.RuleSet, lead_id: int, fit: rules.FitResult, state: rules.BehaviourState,
             at: float) -> Outcome:
    behaviour = rules.behaviour_at(compiled, state, at)
    score = rules.total_score(fit.points, behaviour)
    if len(state.contributions) > compiled.explanation_size:
        rules.trim(state, compiled)
    return Outcome(lead_id, fit, state, score, bands.band_of(score, compiled.bands),
                   rules.explain(compiled, fit, state, at, EXPLANATION_ON_LEAD),
                   rules.interests_at(compiled, state, at))


def row_values(rule_set_id: int, outcome: Outcome, moment) -> dict:
    state = outcome.state
    return {"lead_id": outcome.lead_id, "rule_set_id": rule_set_id, "behaviour": state.points,
            "as_of": to_datetime(state.as_of), "fit": round(outcome.fit.points), "grade": outcome.fit.grade,
            "score": outcome.score, "band": outcome.band, "interests": state.interests,
            "contributions": [list(c) for c in state.contributions], "counters": state.counters,
            "updated_at": moment, "fit_hits": [list(h) for h in outcome.fit.hits]}


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def write_leads(outcomes: list[Outcome], *, session: Session) -> None:
    """The score columns kept on each lead, through the leads stage."""
    leads_service.set_scores({o.lead_id: {"score": o.score, "grade": o.fit.grade, "band": o.band,
                                                   "score_explanation": o.explanation, "interests": o.interests}
                                       for o in outcomes}, session=session)


def fit_hits(row: LeadScore) -> tuple:
    hits = (row.counters or {}).get("_fit") if isinstance(row.counters, dict) else None
    return tuple(tuple(h) for h in (hits or ()))


def insertable(values: dict) -> dict:
    values = dict(values)
    hits = values.pop("fit_hits")
    values["counters"] = {**values["counters"], "_fit": hits}
    return values


def set_row(row: LeadScore, values: dict) -> None:
    values = insertable(values)
    for key, value in values.items():
        if key != "lead_id":
            setattr(row, key, value)
