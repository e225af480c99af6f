"""Quick entry for trade fairs and the phone, and a lead's raw captures."""

from __future__ import annotations

import json
import secrets
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Form, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from leadflow.campaigns.models import Campaign
from leadflow.capture import queries, quick_entry
from leadflow.http import AppSettings, DbSession, client_address
from leadflow.leads import queries as leads_queries
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render, set_cookie

router = page_router(tags=["pages"])

CAMPAIGN_COOKIE = "leadflow_quick_campaign"
MAX_PAYLOAD_SHOWN = 20_000
OUTCOME_WORDS = {"created": "new lead", "merged": "matched an existing lead"}


def _campaign_serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.secret_key, salt="leadflow.quick_campaign")


def _remembered_campaign(request: Request, user_id: int | None) -> int | None:
    raw = request.cookies.get(CAMPAIGN_COOKIE)
    if not raw:
        return None
    try:
        value = _campaign_serializer(request).loads(raw)
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("user") != user_id or not isinstance(value.get("campaign"), int):
        return None
    return value["campaign"]


def _form(request: Request, session, actor, *, values: dict, campaign_id: int | None, consent: bool = False,
          note: str = "", errors: dict | None = None, saved=None, status_code: int = 200):
    choices = quick_entry.campaigns(session)
    if campaign_id is not None and campaign_id not in {c.id for c in choices}:
        campaign_id = None
    return render(request, "capture/quick_entry.html", {
        "values": values, "campaign_id": campaign_id, "campaigns": choices, "consent": consent, "note": note,
        "errors": errors or {}, "saved": saved, "entry_key": secrets.token_urlsafe(16),
        "consent_text": quick_entry.CONSENT_TEXT}, status_code=status_code)


@router.get("/leads/new")
def quick_entry_page(request: Request, session: DbSession, actor: PageActor, saved: int | None = None):
    actor.require("leads:create")
    last = None
    if saved is not None and leads_queries.is_visible(actor, saved, session=session):
        last = leads_queries.visible_lead(actor, saved, session=session)
    return _form(request, session, actor, values={}, campaign_id=_remembered_campaign(request, actor.user_id),
                 saved=last)


@router.post("/leads/new")
def quick_entry_save(
    request: Request, session: DbSession, actor: PageActor, settings: AppSettings,
    first_name: Annotated[str, Form(max_length=1000)] = "", last_name: Annotated[str, Form(max_length=1000)] = "",
    email: Annotated[str, Form(max_length=1000)] = "", phone: Annotated[str, Form(max_length=1000)] = "",
    company: Annotated[str, Form(max_length=1000)] = "", job_title: Annotated[str, Form(max_length=1000)] = "",
    country: Annotated[str, Form(max_length=1000)] = "", note: Annotated[str, Form(max_length=20_000)] = "",
    campaign: Annotated[str, Form(max_length=40)] = "", consent: Annotated[str, Form(max_length=10)] = "",
    entry_key: Annotated[str, Form(max_length=100)] = "",
):
    actor.require("leads:create")
    values = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone, "company": company,
              "job_title": job_title, "country": country}
    agreed = bool(consent)
    campaign_id = int(campaign) if campaign.strip().isdecimal() else None
    errors = {}
    if campaign.strip() and (campaign_id is None or session.get(Campaign, campaign_id) is None):
        errors["campaign"] = "Choose a campaign from the list."
    if not errors:
        entered = quick_entry.enter(session, actor=actor, values=values, campaign_id=campaign_id, consent=agreed,
                                    note=note, idempotency_key=entry_key or None,
                                    remote_addr=client_address(request), default_country=settings.default_country)
        outcome = entered.outcome
        if outcome.outcome == "rejected":
            errors = {e.field: _sentence(e.reason) for e in outcome.errors}
            session.commit()  # the rejected entry stays in the capture log, as from any channel
    if errors:
        return _form(request, session, actor, values=values, campaign_id=campaign_id, consent=agreed, note=note,
                     errors=errors, status_code=422)
    session.commit()
    if outcome.lead_id is None:
        message = f"Kept the entry for {entered.name}; it could not be processed yet and will be retried."
        response = redirect(request, "/leads/new", message=message, kind="info")
    elif outcome.outcome == "merged" and not leads_queries.is_visible(actor, outcome.lead_id, session=session):
        message = f"Saved {entered.name}: it matched a lead you do not see, which now has these details."
        response = redirect(request, "/leads/new", message=message, kind="ok")
    else:
        message = f"Saved {entered.name} ({OUTCOME_WORDS.get(outcome.outcome, outcome.outcome)})."
        response = redirect(request, f"/leads/new?saved={outcome.lead_id}", message=message, kind="ok")
    remembered = {"user": actor.user_id, "campaign": campaign_id}
    set_cookie(request, response, CAMPAIGN_COOKIE, _campaign_serializer(request).dumps(remembered),
               max_age=180 * 24 * 3600)
    return response


def _sentence(reason: str) -> str:
    text = reason.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _pretty(payload: bytes, content_type: str | None) -> str:
    text = payload.decode("utf-8", errors="replace")
    if content_type and "json" in content_type or text.lstrip().startswith(("{", "[")):
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True)
        except ValueError:
            pass
    elif content_type and "x-www-form-urlencoded" in content_type:
        text = "\n".join(f"{k} = {v}" for k, v in parse_qsl(text, keep_blank_values=True) if k != "csrf_token")
    if len(text) > MAX_PAYLOAD_SHOWN:
        text = text[:MAX_PAYLOAD_SHOWN] + f"\n… ({len(text) - MAX_PAYLOAD_SHOWN} more characters)"
    return text


@router.get("/leads/{lead_id:int}/captures")
def lead_captures(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    """The lead page's panel of raw captures (an htmx fragment), or a page of its own without JavaScript."""
    actor.require("leads:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    rows, more = queries.capture_page(session=session, lead_id=lead.id, limit=50)
    ids = {c.campaign_id for c in rows if c.campaign_id}
    names = dict(session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(ids))).all()) if ids else {}
    senders = people_queries.actor_names({c.client for c in rows if c.client}, session=session)
    captures = [{"capture": c, "campaign": names.get(c.campaign_id), "payload": _pretty(c.payload, c.content_type),
                 "sender": senders.get(c.client, c.client)} for c in rows]
    fragment = request.headers.get("hx-request") == "true"
    return render(request, "capture/_lead_captures.html" if fragment else "capture/lead_captures.html",
                  {"lead": lead, "captures": captures, "more": more is not None})
