"""Behaviour events through the API: POST /api/v1/events (batches of up to 1,000) and a lead's events."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from leadflow.http import DbSession, RawBody
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import permitted
from leadflow.people.service import Actor
from leadflow.tracking import domain, queries
from leadflow.tracking import service as tracking_service
from leadflow.tracking.schemas import EventBatchResult, EventItem, EventPage, EventRead

router = APIRouter(prefix="/api/v1", tags=["tracking"])

Sender = Annotated[Actor, permitted("events:write")]
Reader = Annotated[Actor, permitted("leads:read")]

BATCH_SCHEMA = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["events"], "properties": {"events": {
        "type": "array", "maxItems": domain.MAX_BATCH, "items": {
            "type": "object", "required": ["type"], "properties": {
                "type": {"type": "string", "description": "page_view, email_open, ... or custom:<name>"},
                "lead_id": {"type": "integer"}, "email": {"type": "string"},
                "visitor_id": {"type": "string"}, "occurred_at": {"type": "string", "format": "date-time"},
                "external_id": {"type": "string", "maxLength": domain.MAX_EXTERNAL_ID},
                "properties": {"type": "object"}}}}}}}}}}


def _refuse(status: int, field: str, reason: str, error: str = "invalid") -> JSONResponse:
    return JSONResponse({"error": error, "errors": [{"field": field, "reason": reason}]}, status_code=status)


@router.post("/events", response_model=EventBatchResult, openapi_extra=BATCH_SCHEMA)
def post_events(session: DbSession, actor: Sender, body: RawBody):
    """Record events; each item is accepted, a duplicate (its external_id was seen) or rejected with its reason."""
    raw, cut = body
    if cut:
        return _refuse(413, "body", "too large", "too_large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return _refuse(400, "body", f"malformed JSON: {exc}", "malformed")
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        return _refuse(422, "events", "send a JSON object with an 'events' list")
    if not data["events"]:
        return _refuse(422, "events", "is empty")
    if len(data["events"]) > domain.MAX_BATCH:
        return _refuse(422, "events", f"at most {domain.MAX_BATCH} events per request")
    results = tracking_service.retrying(lambda: tracking_service.ingest(actor, data["events"], session=session),
                                        session=session)
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for result in results:
        counts[result.outcome] += 1
    return EventBatchResult(accepted=counts["accepted"], duplicates=counts["duplicate"], rejected=counts["rejected"],
                            items=[EventItem(index=r.index, outcome=r.outcome, event_id=r.event_id, lead_id=r.lead_id,
                                             errors=r.errors) for r in results])


@router.get("/leads/{lead_id}/events", response_model=EventPage)
def lead_events(lead_id: Id, session: DbSession, actor: Reader, cursor: str | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> EventPage:
    """A lead's events, newest first, a page at a time (the cursor of the next page; none at the end)."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    rows, next_cursor = queries.lead_events(lead.id, session=session, cursor=cursor, limit=limit)
    return EventPage(items=[EventRead.model_validate(row, from_attributes=True) for row in rows],
                     next_cursor=next_cursor)
