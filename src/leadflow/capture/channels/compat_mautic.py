"""Mautic forms, drop-in: a form that posts mauticform[...] fields to /form/submit?formId=N can post here."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from leadflow.capture.channels.answer import finish, reject
from leadflow.capture.channels.compat_answer import form_status, redirect, with_query
from leadflow.capture.compat import mautic
from leadflow.capture.compat.common import form_pairs, in_sender_words
from leadflow.capture.intake import service as capture_service
from leadflow.errors import FieldError, Invalid
from leadflow.http import AppSettings, DbSession, PublicClient, RawBody

router = APIRouter(prefix="/compat/mautic", tags=["compatibility"])

THANK_YOU = "Thank you for your submission."


@router.post("/form/submit", responses={
    302: {"description": "stored; the browser is sent back to mauticform[return] or the page it came from"},
    200: {"description": "stored; for the JS embed (messenger or XMLHttpRequest): Mautic's {success: 1}"},
    413: {"description": "too large"}, 415: {"description": "not a form post"},
    422: {"description": "invalid: each field with its reason (Mautic's validationErrors for the JS embed)"}})
def submit(request: Request, session: DbSession, settings: AppSettings, body: RawBody, address: PublicClient,
           form_id: str | None = Query(default=None, alias="formId", max_length=40)):
    """A Mautic form post (multipart or url-encoded): stored raw, read, answered as Mautic answers."""
    raw, cut = body
    content_type = request.headers.get("content-type")
    capture, _ = capture_service.receive(capture_service.Inbound(
        channel="mautic", payload=raw, content_type=content_type, client="mautic", remote_addr=address),
        session=session)
    if cut:
        return reject(session, capture, 413, [FieldError("body", f"larger than {settings.max_body_bytes} bytes")],
                      error="too_large")
    try:
        pairs = form_pairs(raw, content_type)
        post = mautic.read(pairs, form_id=form_id, referer=request.headers.get("referer"))
    except Invalid as exc:
        status = form_status(exc.errors)
        return reject(session, capture, status, exc.errors, error="invalid" if status == 422 else "malformed")
    capture.client = post.client
    scripted = request.headers.get("x-requested-with", "").lower() == "xmlhttprequest" or any(
        name == "mauticform[messenger]" and value.strip() for name, value in pairs)
    outcome = capture_service.process(capture, post.submission, session=session,
                                      default_country=settings.default_country)
    if outcome.outcome == "rejected":
        errors = in_sender_words(outcome.errors, post.names)
        if not scripted:
            return reject(session, capture, 422, errors)
        errors = capture_service.reject(capture, errors).errors
        answer = {"success": 0, "validationErrors": {_alias(e.field): e.reason for e in errors},
                  "formName": mautic.form_name(pairs), "capture_id": capture.id}
        return finish(session, capture, 422, answer)
    if scripted:
        return finish(session, capture, 200, {"success": 1, "successMessage": THANK_YOU,
                                              "formName": mautic.form_name(pairs), "capture_id": capture.id},
                      {"X-Capture-Id": str(capture.id)})
    if post.return_url:
        return redirect(session, capture, with_query(post.return_url, mauticMessage=THANK_YOU), status=302)
    return finish(session, capture, 200, {"success": 1, "successMessage": THANK_YOU, "capture_id": capture.id},
                  {"X-Capture-Id": str(capture.id)})


def _alias(name: str) -> str:
    return name.removeprefix("mauticform[").removesuffix("]")

