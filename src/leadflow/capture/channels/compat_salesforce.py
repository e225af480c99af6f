"""Salesforce Web-to-Lead, drop-in: a form that posts to servlet.WebToLead can post here unchanged."""

from __future__ import annotations

from fastapi import APIRouter, Request

from leadflow.capture.channels.answer import finish, reject
from leadflow.capture.channels.compat_answer import form_status, redirect
from leadflow.capture.compat import salesforce
from leadflow.capture.compat.common import form_pairs, in_sender_words
from leadflow.capture.intake import service as capture_service
from leadflow.errors import FieldError, Invalid
from leadflow.http import AppSettings, DbSession, PublicClient, RawBody

router = APIRouter(prefix="/compat/salesforce", tags=["compatibility"])


@router.post("/servlet.WebToLead", status_code=303, responses={
    303: {"description": "stored; the browser is sent on to retURL, as Salesforce does"},
    200: {"description": "stored (no retURL was posted)"}, 413: {"description": "too large"},
    415: {"description": "not a form post"}, 422: {"description": "invalid: each field with its reason"}})
@router.post("/servlet/servlet.WebToLead", include_in_schema=False)
def web_to_lead(request: Request, session: DbSession, settings: AppSettings, body: RawBody, address: PublicClient,
                encoding: str | None = None):
    """A Web-to-Lead post (form-encoded): stored raw, read, and the browser redirected to retURL."""
    raw, cut = body
    content_type = request.headers.get("content-type")
    capture, _ = capture_service.receive(capture_service.Inbound(
        channel="salesforce", payload=raw, content_type=content_type, client="salesforce", remote_addr=address),
        session=session)
    if cut:
        return reject(session, capture, 413, [FieldError("body", f"larger than {settings.max_body_bytes} bytes")],
                      error="too_large")
    try:
        post = salesforce.read(form_pairs(raw, content_type, charset=encoding),
                               referer=request.headers.get("referer"))
    except Invalid as exc:
        return reject(session, capture, form_status(exc.errors), exc.errors,
                      error="malformed" if form_status(exc.errors) != 422 else "invalid")
    capture.client = post.client
    outcome = capture_service.process(capture, post.submission, session=session,
                                      default_country=settings.default_country)
    if outcome.outcome == "rejected":
        return reject(session, capture, 422, in_sender_words(outcome.errors, post.names))
    # Anyone may post a Web-to-Lead form: the answer says it was received, never whether the person was known.
    body = {"capture_id": capture.id, "outcome": "received"}
    if post.return_url is None:
        return finish(session, capture, 200, body, {"X-Capture-Id": str(capture.id)})
    return redirect(session, capture, post.return_url)

