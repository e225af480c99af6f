"""Scoring's JSON shapes: rule sets, rescore runs, a lead's explained score."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadflow.inputs import Input


class RuleSetCreate(Input):
    """A new draft: the definition as an object, or as JSON/YAML text in `text`."""

    definition: dict[str, Any] | None = None
    text: str | None = Field(default=None, max_length=500_000)
    format: str | None = Field(default=None, pattern="^(json|yaml)$")
    notes: str | None = Field(default=None, max_length=5000)
    activate: bool = False


class RuleSetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    version: int
    name: str
    status: str
    definition: dict[str, Any]
    notes: str | None
    created_by: str
    created_at: datetime
    activated_at: datetime | None


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    rule_set_id: int | None
    status: str
    total: int
    done: int
    last_lead_id: int
    result: dict[str, Any]
    error: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None


class ActivateRead(BaseModel):
    rule_set: RuleSetRead
    run_id: int


class ScoreRead(BaseModel):
    lead_id: int
    score: int
    grade: str
    band: str
    fit_points: float
    behaviour_points: float
    fit: list[dict[str, Any]]
    behaviour: list[dict[str, Any]]
    interests: dict[str, float]
    bands: dict[str, float]
    grades: dict[str, float]
    half_life_days: float | None
    rule_set: dict[str, Any]
    formula: str


class PredictionModelRead(BaseModel):
    id: int
    auc: float | None
    rows: int
    trained_at: datetime
    min_auc: float


class PredictionRead(BaseModel):
    """A lead's predicted probability; `usable` says whether the model is good enough to act on it."""

    lead_id: int
    probability: float | None
    usable: bool
    reason: str | None = None
    drivers: list[dict[str, Any]] = []
    scored_at: datetime | None = None
    model: PredictionModelRead | None = None
