"""The bounce webhook, POST /api/v1/email/bounces: a raw DSN or complaint (message/rfc822, text/plain) or a
provider's JSON (Amazon SES through SNS, SendGrid, Mailgun, Postmark, or {email, type, reason}). The body is stored
raw first, then read. Authenticated by an API key holding email:manage, or by the signed `token` the settings page
shows (for providers that cannot send a header)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Query, Request

from leadflow.email import bounces
from leadflow.errors import Invalid, Unauthorized
from leadflow.http import DbSession, RawBody, retry_races
from leadflow.people.deps import api_actor

router = APIRouter(prefix="/api/v1/email", tags=["email"])


def webhook_token(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"leadflow.email.bounces", "sha256").hexdigest()[:40]


# The API key (scope email:manage) is what the docs authorize with; a provider that cannot send a header uses the
# signed `?token=` instead (docs/email.md, "Bounces and complaints").
@router.post("/bounces", openapi_extra={"security": [{"apiKey": []}], "requestBody": {"content": {
    "message/rfc822": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}},
    "text/plain": {"schema": {"type": "string"}}}}})
@retry_races
def receive_bounce(request: Request, session: DbSession, body: RawBody,
                   token: Annotated[str | None, Query(max_length=100)] = None):
    """Read a bounce or complaint: a hard bounce suppresses the address and marks its message bounced; a complaint
    suppresses it and unsubscribes its lead from everything. Answers what was found."""
    if token is None or not hmac.compare_digest(token.encode(), webhook_token(request.app.state.secret_key).encode()):
        if token is not None:
            raise Unauthorized("the bounce webhook's token is not this installation's")
        api_actor(request).require("email:manage")
    raw, cut = body
    if cut:
        raise Invalid.one("body", "too large")
    if not raw.strip():
        raise Invalid.one("body", "empty: send the bounce message or the provider's JSON")
    bounce = bounces.receive(raw.decode("utf-8", "replace"), source="webhook", session=session)
    session.commit()
    return {"id": bounce.id, "kind": bounce.kind, "addresses": bounce.addresses, "outcome": bounce.outcome}
