"""POST /api/v1/events: the answer per item, like /api/v1/leads/batch."""

from __future__ import annotations

from pydantic import BaseModel


class EventError(BaseModel):
    field: str
    reason: str


class EventItem(BaseModel):
    index: int
    outcome: str  # accepted, duplicate, rejected
    event_id: int | None = None
    lead_id: int | None = None
    errors: list[EventError] = []


class EventBatchResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    items: list[EventItem]
