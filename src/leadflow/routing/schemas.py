"""Routing's JSON: rule sets (as data or YAML/JSON text), previews, assignments with their reasons, capacities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadflow.inputs import Input


class RuleSetCreate(Input):
    """A rule set as an object (`definition`) or as YAML/JSON text (`text`), as `leadflow routing import` reads."""

    definition: dict[str, Any] | None = None
    text: str | None = Field(default=None, max_length=1_000_000)
    format: str | None = Field(default=None, pattern="^(json|yaml)$")
    notes: str | None = Field(default=None, max_length=2000)
    activate: bool = False


class RuleSetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    status: str
    definition: dict[str, Any]
    notes: str | None
    created_by: str
    created_at: datetime
    activated_at: datetime | None


class PreviewCreate(Input):
    """Rules to try (the active ones when neither is given) on the open leads nobody owns; nothing is written."""

    definition: dict[str, Any] | None = None
    text: str | None = Field(default=None, max_length=1_000_000)
    format: str | None = Field(default=None, pattern="^(json|yaml)$")


class PreviewSample(BaseModel):
    id: int
    name: str
    company: str | None
    city: str | None
    country: str | None


class PreviewTarget(BaseModel):
    target: str
    name: str | None
    count: int
    rules: dict[str, int]
    sample: list[PreviewSample]


class PreviewRead(BaseModel):
    version: int | None
    leads: int
    capped: bool
    targets: list[PreviewTarget]


class AssignCreate(Input):
    """`user:EMAIL`, a user id, or `queue:NAME`; a note for the history."""

    to: str = Field(min_length=1, max_length=400)
    note: str | None = Field(default=None, max_length=2000)


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    user_id: int | None
    user_email: str | None = None
    queue: str | None
    previous_user_id: int | None
    method: str
    trigger: str
    rule: str | None
    rule_set_version: int | None
    reasons: dict[str, Any]
    actor: str
    assigned_at: datetime


class RoutedRead(BaseModel):
    lead_id: int
    assignment: AssignmentRead | None
    reasons: dict[str, Any]


class CapacityUpdate(Input):
    max_open: int | None = Field(default=None, ge=0, le=100_000)
    max_per_day: int | None = Field(default=None, ge=0, le=100_000)
    weight: int = Field(default=1, ge=0, le=100)


class CapacityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    max_open: int | None
    max_per_day: int | None
    weight: int
