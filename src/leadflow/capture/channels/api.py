"""The JSON API channel: POST /api/v1/leads (one) and /api/v1/leads/batch (up to 1,000)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import ValidationError

from leadflow.capture.channels.answer import OUTCOME_STATUS, error_body, field_errors, finish, parse_json, reject, replay
from leadflow.capture.intake import service as capture_service
from leadflow.capture.schemas import BatchItem, BatchResult, LeadBatch, LeadCreate
from leadflow.errors import FieldError
from leadflow.http import AppSettings, DbSession, RawBody, client_address
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Lead
from leadflow.leads.schemas import LeadRead
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1", tags=["capture"])

Creator = Annotated[Actor, permitted("leads:create")]


def _body_schema(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema(
        ref_template="#/components/schemas/{model}")}}}}


@router.post("/leads", status_code=201, response_model=LeadRead, openapi_extra=_body_schema(LeadCreate),
             responses={200: {"description": "merged into an existing lead"}, 422: {"description": "invalid"}})
def create_lead(request: Request, session: DbSession, actor: Creator, settings: AppSettings, body: RawBody,
                idempotency_key: str | None = Header(default=None, max_length=200)):
    """Capture one lead: 201 with the new lead, or 200 with the lead it merged into."""
    raw, cut = body
    inbound = capture_service.Inbound(
        channel="api", payload=raw, content_type=request.headers.get("content-type"), client=actor.label,
        remote_addr=client_address(request),
        idempotency_key=f"api:{actor.id}:{idempotency_key}" if idempotency_key else None,
    )
    capture, is_new = capture_service.receive(inbound, session=session)
    if not is_new:
        session.commit()
        return replay(capture)
    if cut:
        return reject(session, capture, 413, [FieldError("body", f"larger than {settings.max_body_bytes} bytes")],
                      error="too_large")
    try:
        data = parse_json(raw)
    except ValueError as exc:
        return reject(session, capture, 400, [FieldError("body", str(exc))], error="malformed")
    if not isinstance(data, dict):
        return reject(session, capture, 422, [FieldError("body", "must be a JSON object")])
    try:
        item = LeadCreate.model_validate(data)
    except ValidationError as exc:
        return reject(session, capture, 422, field_errors(exc))
    outcome = capture_service.process(capture, item.to_submission(),
                                      session=session, default_country=settings.default_country)
    return _answer(session, outcome, actor)


def _item_bytes(data: object) -> bytes:
    """One item of a batch as the bytes of its own capture; text that is not valid Unicode stays escaped."""
    try:
        return json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(data).encode()


def _answer(session, outcome, actor: Actor):
    status = OUTCOME_STATUS[outcome.outcome]
    if outcome.outcome == "rejected":
        return finish(session, outcome.capture, status, error_body(outcome.errors, capture_id=outcome.capture.id))
    headers = {"X-Capture-Id": str(outcome.capture.id)}
    if outcome.lead_id is None:
        return finish(session, outcome.capture, status, {"capture_id": outcome.capture.id, "outcome": "pending"},
                      headers)
    lead = session.get(Lead, outcome.lead_id)
    if outcome.outcome == "merged" and not leads_queries.is_visible(actor, lead.id, session=session):
        # Merged into a lead the actor may not see: kept (nothing is lost), but the answer names no lead and
        # none of its fields; the capture is the caller's own.
        return finish(session, outcome.capture, status, {"capture_id": outcome.capture.id, "outcome": "merged"},
                      headers)
    headers["Location"] = f"/api/v1/leads/{lead.id}"
    return finish(session, outcome.capture, status, LeadRead.model_validate(lead).model_dump(mode="json"), headers)


@router.post("/leads/batch", response_model=BatchResult, openapi_extra=_body_schema(LeadBatch))
def create_leads(request: Request, session: DbSession, actor: Creator, settings: AppSettings, body: RawBody,
                 idempotency_key: str | None = Header(default=None, max_length=200)):
    """Capture up to 1,000 leads; each item gets its own answer and its own capture."""
    raw, cut = body
    base = dict(channel="api", content_type="application/json", client=actor.label,
                remote_addr=client_address(request))
    if cut or not raw.lstrip().startswith(b"{"):
        capture, _ = capture_service.receive(capture_service.Inbound(payload=raw, **base), session=session)
        if cut:
            return reject(session, capture, 413, [FieldError("body", f"larger than {settings.max_body_bytes} bytes")],
                          error="too_large")
        return reject(session, capture, 400, [FieldError("body", "must be a JSON object with a 'leads' list")],
                      error="malformed")
    try:
        batch = LeadBatch.model_validate(parse_json(raw))
    except (ValueError, ValidationError) as exc:
        capture, _ = capture_service.receive(capture_service.Inbound(payload=raw, **base), session=session)
        errors = field_errors(exc) if isinstance(exc, ValidationError) else [FieldError("body", str(exc))]
        return reject(session, capture, 422 if isinstance(exc, ValidationError) else 400, errors)
    items, counts = [], {"created": 0, "merged": 0, "rejected": 0, "pending": 0, "failed": 0}
    for index, data in enumerate(batch.leads):
        key = f"api:{actor.id}:{idempotency_key}:{index}" if idempotency_key else None
        capture, is_new = capture_service.receive(capture_service.Inbound(
            payload=_item_bytes(data), idempotency_key=key, **base), session=session)
        if not is_new:
            outcome_name, lead_id, errors = capture.outcome, capture.lead_id, capture.reasons
        else:
            try:
                item = LeadCreate.model_validate(data)
            except ValidationError as exc:
                outcome = capture_service.reject(capture, field_errors(exc))
            else:
                outcome = capture_service.process(capture, item.to_submission(),
                                                  session=session, default_country=settings.default_country)
            outcome_name, lead_id = outcome.outcome, outcome.lead_id
            errors = [{"field": e.field, "reason": e.reason} for e in outcome.errors]
        if outcome_name == "merged" and lead_id is not None and not leads_queries.is_visible(actor, lead_id,
                                                                                             session=session):
            lead_id = None   # merged into a lead the caller may not see: not named
        counts[outcome_name] += 1
        items.append(BatchItem(index=index, status=OUTCOME_STATUS[outcome_name], outcome=outcome_name,
                               capture_id=capture.id, lead_id=lead_id,
                               errors=[] if outcome_name != "rejected" else errors))
    session.commit()
    return BatchResult(created=counts["created"], merged=counts["merged"], rejected=counts["rejected"], items=items)
