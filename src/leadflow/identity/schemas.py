"""Possible duplicates, merges and the survivorship rules in the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.inputs import Id, Input
from leadflow.leads.schemas import LeadRead


class DuplicateRead(BaseModel):
    id: int
    status: str
    probability: float
    weight: float
    reasons: list[dict[str, Any]]
    found_by: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    lead: LeadRead
    other: LeadRead
    differences: list[str] = Field(description="fields whose values differ, for the side-by-side view")


class DuplicatePage(BaseModel):
    items: list[DuplicateRead]
    next_cursor: str | None


class Verdict(Input):
    verdict: Literal["merge", "not_same"]
    survivor_id: Id | None = Field(default=None, description="which lead survives a merge (default: the older)")


class MergeRequest(Input):
    other_id: Id = Field(description="the lead folded into this one")


class MergeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    survivor_id: int
    merged_id: int
    automatic: bool
    probability: float | None
    reasons: list[dict[str, Any]]
    actor: str
    merged_at: datetime
    undone_at: datetime | None


class SurvivorshipRules(Input):
    rules: dict[str, Literal["newest", "oldest", "survivor", "longest"]]
