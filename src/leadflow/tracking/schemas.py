"""POST /api/v1/events: the answer per item, like /api/v1/leads/batch."""

from __future__ import annotations

from datetime import datetime

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


class EventRead(BaseModel):
    id: int
    type: str
    occurred_at: datetime
    received_at: datetime
    source: str
    visitor_id: str | None = None
    external_id: str | None = None
    properties: dict
    unscored: str | None = None  # why the event counts for nothing (a repeat or machine email open)


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str | None = None
