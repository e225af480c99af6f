"""Meta (Facebook, Instagram) Lead Ads webhooks, drop-in: the verify handshake and signed leadgen posts."""

from __future__ import annotations

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from leadflow.capture.channels.answer import parse_json, reject
from leadflow.capture.compat import meta
from leadflow.capture.compat.common import in_sender_words
from leadflow.capture.intake import service as capture_service
from leadflow.errors import FieldError, Invalid
from leadflow.http import AppSettings, DbSession, PublicClient, RawBody

router = APIRouter(prefix="/compat/meta", tags=["compatibility"])


@router.get("/leadgen", response_class=PlainTextResponse, responses={
    200: {"description": "hub.challenge, echoed"}, 403: {"description": "wrong or unset verify token"}})
def verify(settings: AppSettings, address: PublicClient,
           mode: str | None = Query(default=None, alias="hub.mode", max_length=40),
           token: str | None = Query(default=None, alias="hub.verify_token", max_length=500),
           challenge: str | None = Query(default=None, alias="hub.challenge", max_length=200)):
    """Meta's subscription handshake: echo hub.challenge when hub.verify_token is ours."""
    if not settings.meta_verify_token:
        return _forbidden("hub.verify_token", "LEADFLOW_META_VERIFY_TOKEN is not set on this server",
                          "not_configured")
    if mode != "subscribe":
        return _forbidden("hub.mode", "must be subscribe")
    if not meta.token_matches(token, settings.meta_verify_token):
        return _forbidden("hub.verify_token", "does not match")
    if not challenge:
        return JSONResponse({"error": "invalid", "errors": [{"field": "hub.challenge", "reason": "is required"}]},
                            status_code=400)
    return PlainTextResponse(challenge, headers={"X-Content-Type-Options": "nosniff"})


def _forbidden(field: str, reason: str, error: str = "forbidden") -> JSONResponse:
    return JSONResponse({"error": error, "errors": [{"field": field, "reason": reason}]}, status_code=403)


@router.post("/leadgen", responses={
    200: {"description": "each leadgen entry with its capture and outcome"},
    403: {"description": "not signed with the app secret"}, 503: {"description": "no app secret set"}})
def webhook(request: Request, session: DbSession, settings: AppSettings, body: RawBody, address: PublicClient,
            signature: str | None = Header(default=None, alias="X-Hub-Signature-256")):
    """A signed webhook post: one capture per leadgen entry, keyed meta:<leadgen_id>; answered 200 at once."""
    raw, cut = body
    inbound = dict(channel="meta", payload=raw, content_type=request.headers.get("content-type"),
                   remote_addr=address)

    def refuse(status: int, errors: list[FieldError], error: str):
        capture, _ = capture_service.receive(capture_service.Inbound(**inbound, client="meta"),
        session=session)
        return reject(session, capture, status, errors, error=error)

    if cut:
        return refuse(413, [FieldError("body", f"larger than {settings.max_body_bytes} bytes")], "too_large")
    if not settings.meta_app_secret:
        return refuse(503, [FieldError(meta.SIGNATURE_HEADER, "cannot be checked: LEADFLOW_META_APP_SECRET is not "
                                       "set on this server, and unsigned posts are refused")], "not_configured")
    problem = meta.signature_problem(settings.meta_app_secret, raw, signature)
    if problem:
        return refuse(403, [FieldError(meta.SIGNATURE_HEADER, problem)], "forbidden")
    try:
        leads = meta.read(parse_json(raw))
    except ValueError as exc:
        return refuse(400, [FieldError("body", str(exc))], "malformed")
    except Invalid as exc:
        return refuse(422, exc.errors, "invalid")
    if not leads:
        capture, _ = capture_service.receive(capture_service.Inbound(**inbound, client="meta"),
        session=session)
        capture_service.reject(capture, [FieldError("entry", "holds no leadgen change")])
        session.commit()
        return JSONResponse({"received": [], "capture_id": capture.id})
    received = [_record(session, settings, inbound, lead) for lead in leads]
    session.commit()
    return JSONResponse({"received": received})


def _record(session, settings, inbound: dict, lead: meta.Leadgen) -> dict:
    capture, is_new = capture_service.receive(capture_service.Inbound(
        **inbound, client=lead.client, external_id=lead.leadgen_id, idempotency_key=f"meta:{lead.leadgen_id}"),
        session=session)
    if not is_new:
        if lead.submission is None or capture.outcome != "pending" or capture.lead_id is not None:
            return _item(lead, capture, replayed=True)
        first, (capture, is_new) = capture, capture_service.receive(capture_service.Inbound(
            **inbound, client=lead.client, external_id=lead.leadgen_id,
            idempotency_key=f"meta:{lead.leadgen_id}:fields"),
        session=session)
        if not is_new:
            return _item(lead, capture, replayed=True)
        _process(session, settings, capture, lead)
        if capture.lead_id is not None:
            first.outcome, first.lead_id = "merged", capture.lead_id
            first.reasons = [{"field": "leadgen_id", "reason": f"fields arrived with capture {capture.id}"}]
        return _item(lead, capture)
    if lead.submission is None:
        capture.reasons = [{"field": "leadgen_id", "reason": meta.PENDING_REASON}]
        return _item(lead, capture)
    _process(session, settings, capture, lead)
    return _item(lead, capture)


def _process(session, settings, capture, lead: meta.Leadgen) -> None:
    outcome = capture_service.process(capture, lead.submission, session=session,
                                      default_country=settings.default_country)
    if outcome.outcome == "rejected":
        capture_service.reject(capture, in_sender_words(outcome.errors, lead.names or {}))


def _item(lead: meta.Leadgen, capture, replayed: bool = False) -> dict:
    item = {"leadgen_id": lead.leadgen_id, "capture_id": capture.id, "outcome": capture.outcome,
            "lead_id": capture.lead_id}
    if replayed:
        item["replayed"] = True
    return item
