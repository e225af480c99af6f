"""Google Ads lead form webhooks, drop-in: the form's webhook URL and key point here."""

from __future__ import annotations

from fastapi import APIRouter, Request

from leadflow.capture.channels.answer import finish, parse_json, reject, replay
from leadflow.capture.compat import google_ads
from leadflow.capture.compat.common import in_sender_words
from leadflow.capture.intake import service as capture_service
from leadflow.errors import FieldError, Invalid
from leadflow.http import AppSettings, DbSession, PublicClient, RawBody

router = APIRouter(prefix="/compat/google-ads", tags=["compatibility"])


@router.post("/leadform", responses={
    200: {"description": "stored"}, 403: {"description": "google_key does not match"},
    503: {"description": "LEADFLOW_GOOGLE_ADS_KEY is not set"}})
def webhook(request: Request, session: DbSession, settings: AppSettings, body: RawBody, address: PublicClient):
    """A lead form webhook post: google_key checked, one capture per lead_id, answered 200."""
    raw, cut = body
    key = settings.google_ads_key
    stored = raw.replace(key.encode(), b"[google_key]") if key else raw  # the shared key stays out of the log
    inbound = dict(channel="google_ads", payload=stored, content_type=request.headers.get("content-type"),
                   remote_addr=address)

    def refuse(status: int, errors: list[FieldError], error: str):
        capture, _ = capture_service.receive(capture_service.Inbound(**inbound, client="google_ads"),
        session=session)
        return reject(session, capture, status, errors, error=error)

    if cut:
        return refuse(413, [FieldError("body", f"larger than {settings.max_body_bytes} bytes")], "too_large")
    if not key:
        return refuse(503, [FieldError("google_key", "cannot be checked: LEADFLOW_GOOGLE_ADS_KEY is not set on "
                                       "this server, and posts without a checked key are refused")], "not_configured")
    try:
        data = parse_json(raw)
    except ValueError as exc:
        return refuse(400, [FieldError("body", str(exc))], "malformed")
    if not google_ads.key_matches(data, key):
        return refuse(403, [FieldError("google_key", "does not match the key set for leadflow")], "forbidden")
    try:
        post = google_ads.read(data)
    except Invalid as exc:
        return refuse(422, exc.errors, "invalid")
    capture, is_new = capture_service.receive(capture_service.Inbound(
        **inbound, client=post.client, external_id=post.external_id, idempotency_key=post.idempotency_key),
        session=session)
    if not is_new:
        session.commit()
        return replay(capture)
    if google_ads.is_test(data):
        capture_service.reject(capture, [FieldError("is_test", google_ads.TEST_REASON)])
        return finish(session, capture, 200, {"capture_id": capture.id, "outcome": "rejected", "test": True})
    outcome = capture_service.process(capture, post.submission, session=session,
                                      default_country=settings.default_country)
    if outcome.outcome == "rejected":
        capture_service.reject(capture, in_sender_words(outcome.errors, post.names))
    return finish(session, capture, 200, {"capture_id": capture.id, "outcome": capture.outcome,
                                          "lead_id": capture.lead_id})
