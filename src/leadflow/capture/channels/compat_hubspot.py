"""HubSpot Forms API v3, drop-in: a site that submits to api.hsforms.com can submit here unchanged."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from leadflow.capture.channels.answer import finish, parse_json, replay
from leadflow.capture.compat import hubspot
from leadflow.capture.compat.common import in_sender_words
from leadflow.capture.intake import service as capture_service
from leadflow.errors import FieldError, Invalid
from leadflow.http import AppSettings, DbSession, PublicClient, RawBody

router = APIRouter(prefix="/compat/hubspot", tags=["compatibility"])

THANK_YOU = "Thanks for submitting the form."


@router.post("/submissions/v3/integration/submit/{portal_id}/{form_guid}", responses={
    200: {"description": "stored: HubSpot's {inlineMessage}"},
    400: {"description": "invalid: HubSpot's {status: error, message, errors[{message, errorType}]}"},
    413: {"description": "too large, in HubSpot's error shape"}})
def submit(portal_id: str, form_guid: str, request: Request, session: DbSession, settings: AppSettings,
           body: RawBody, address: PublicClient):
    """A Forms API v3 submission (JSON): stored raw, read, answered as HubSpot answers."""
    raw, cut = body
    inbound = dict(channel="hubspot", payload=raw, content_type=request.headers.get("content-type"),
                   client=f"hubspot:{portal_id[:40]}/{form_guid[:80]}", remote_addr=address)
    if cut:
        capture, _ = capture_service.receive(capture_service.Inbound(**inbound), session=session)
        return _refuse(session, capture, 413, [FieldError("body", f"larger than {settings.max_body_bytes} bytes")],
                       "The request is too large")
    try:
        data = parse_json(raw)
    except ValueError as exc:
        capture, _ = capture_service.receive(capture_service.Inbound(**inbound), session=session)
        return _refuse(session, capture, 400, [FieldError("body", str(exc))], "Invalid input JSON")
    try:
        post = hubspot.read(data, portal_id=portal_id, form_guid=form_guid)
    except Invalid as exc:
        capture, _ = capture_service.receive(capture_service.Inbound(**inbound), session=session)
        return _refuse(session, capture, 400, exc.errors)
    capture, is_new = capture_service.receive(capture_service.Inbound(
        **inbound, external_id=post.external_id, idempotency_key=post.idempotency_key), session=session)
    if not is_new:
        session.commit()
        return replay(capture)
    outcome = capture_service.process(capture, post.submission, session=session,
                                      default_country=settings.default_country)
    if outcome.outcome == "rejected":
        return _refuse(session, capture, 400, in_sender_words(outcome.errors, post.names))
    return finish(session, capture, 200, {"inlineMessage": THANK_YOU}, {"X-Capture-Id": str(capture.id)})


def _refuse(session, capture, status: int, errors: list[FieldError], message: str = "The request is not valid"):
    """HubSpot's error shape: each problem as "Error in '<field>'. <reason>" with HubSpot's errorType."""
    errors = capture_service.reject(capture, errors).errors
    answer = {
        "status": "error", "message": message, "correlationId": str(uuid.uuid4()),
        "errors": [{"message": f"Error in '{e.field}'. {e.reason}", "errorType": hubspot.error_type(e.field, e.reason)}
                   for e in errors],
        "capture_id": capture.id,
    }
    return finish(session, capture, status, answer, {"X-Capture-Id": str(capture.id)})
