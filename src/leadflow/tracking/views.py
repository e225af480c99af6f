"""The public tracking endpoints (/t/lf.js, /t/collect, email open pixel and click redirect) and the lead page's
events panel."""

from __future__ import annotations

import base64
import json
import logging
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from leadflow.clock import now
from leadflow.http import AppSettings, DbSession, PublicClient, RawBody, WritingSession
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import PageActor
from leadflow.tracking import domain, queries
from leadflow.tracking import email_service
from leadflow.tracking import service as tracking_service
from leadflow.web.pages import page_router, render

log = logging.getLogger("leadflow.tracking")

router = APIRouter(prefix="/t", tags=["tracking"], include_in_schema=False)
pages = page_router(tags=["pages"])

MAX_BEACON_BYTES = 64_000
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, max-age=0", "X-Content-Type-Options": "nosniff"}
# The icon (web/templates/icons.html) beside each event's name on the lead page.
ICONS = {"page_view": "eye", "email_open": "mail", "email_click": "link", "click": "link", "download": "download",
         "form_submit": "form", "email_bounce": "warning", "webinar_registered": "video", "webinar_attended": "video",
         "newsletter_subscribed": "newsletter", "newsletter_unsubscribed": "ban", "call_outcome": "phone",
         "survey_answer": "checkbox"}


@lru_cache
def _script() -> bytes:
    return resources.files("leadflow.tracking").joinpath("static/lf.js").read_bytes()


@router.get("/lf.js")
def script():
    return Response(_script(), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _cors(request: Request, session, settings) -> tuple[dict[str, str], str | None]:
    """CORS headers, and why the request may not send beacons (None: it may). A browser sends Origin with every
    POST (sendBeacon and fetch alike), so a beacon without one is not from a page of an allowed site."""
    origin = request.headers.get("origin")
    if not origin:
        return {"Vary": "Origin"}, "a beacon must come from a web page of an allowed site (no Origin header)"
    own = {_origin(str(request.base_url)), _origin(settings.base_url)}
    if origin in own or origin in tracking_service.allowed_origins(settings.tracking_origins, session=session):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}, None
    return {"Vary": "Origin"}, f"{origin[:200]} may not send tracking beacons"


def _problem(status: int, errors: list[dict], headers: dict, error: str = "invalid") -> JSONResponse:
    return JSONResponse({"error": error, "errors": errors}, status_code=status, headers=headers)


@router.options("/collect")
def collect_preflight(request: Request, session: DbSession, settings: AppSettings):
    headers, refused = _cors(request, session, settings)
    if refused:
        return _problem(403, [{"field": "origin", "reason": refused}], headers, "forbidden_origin")
    return Response(status_code=204, headers={**headers, "Access-Control-Allow-Methods": "POST",
                                              "Access-Control-Allow-Headers": "Content-Type",
                                              "Access-Control-Max-Age": "600"})


@router.post("/collect")
def collect(request: Request, session: DbSession, settings: AppSettings, client: PublicClient, body: RawBody):
    """Beacons from /t/lf.js: 204 when stored; bots are answered the same and stored nowhere. A beacon may hand
    back the token of an email click (`identify`): the visitor is then the clicker's lead from this beacon on."""
    headers, refused = _cors(request, session, settings)
    if refused:
        return _problem(403, [{"field": "origin", "reason": refused}], headers, "forbidden_origin")
    raw, cut = body
    if cut or len(raw) > MAX_BEACON_BYTES:
        return _problem(413, [{"field": "body", "reason": f"larger than {MAX_BEACON_BYTES} bytes"}], headers,
                        "too_large")
    if domain.is_bot(request.headers.get("user-agent")):
        request.app.state.tracking_bots = getattr(request.app.state, "tracking_bots", 0) + 1
        return Response(status_code=204, headers={**headers, "X-Leadflow-Bot": "1"})
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return _problem(400, [{"field": "body", "reason": f"malformed JSON: {exc}"}], headers, "malformed")
    visitor_id, events, problems = domain.check_beacon(data, now())
    click_id = _click_of(request, data, problems) if events else None

    def work() -> int | None:
        lead_id = email_service.join_click(click_id, visitor_id, session=session) if click_id is not None else None
        tracking_service.collect(visitor_id, events, session=session)
        return lead_id

    if events and tracking_service.retrying(work, session=session) is None and click_id is not None:
        problems.append(domain.Problem("identify", "belongs to another browser's click"))
    if problems:
        return _problem(422, [{"field": p.field, "reason": p.reason} for p in problems],
                        {**headers, "X-Leadflow-Accepted": str(len(events))})
    return Response(status_code=204, headers=headers)


def _click_of(request: Request, data: dict, problems: list) -> int | None:
    """The email click a beacon's `identify` token names, or None (with the problem noted when it is no good)."""
    token = data.get("identify")
    if token is None:
        return None
    reason = domain.visit_token_problem(token)
    click_id = None
    if reason is None:
        click_id, reason = email_service.read_visit_token(request.app.state.secret_key, token)
    if reason:
        problems.append(domain.Problem("identify", reason))
    return click_id


@router.get("/o/{token}.gif")
def email_open(request: Request, token: str, session: WritingSession):
    """The open pixel: always a transparent GIF; only a token signed here records an open (scored once per
    message, and never for a machine's load)."""
    claims = email_service.read_token(request.app.state.secret_key, token, click=False)
    if claims is not None:
        def work():
            return email_service.record_open(claims, session=session, user_agent=request.headers.get("user-agent"))

        tracking_service.retrying(work, session=session)
    return Response(GIF, media_type="image/gif", headers=NO_STORE)


@router.get("/c/{token}")
def email_click(request: Request, token: str, session: WritingSession):
    """A click in an email: the target is inside the signed token, so this never redirects anywhere else. A
    person's click lands with `lf_t`, a token of the click (not of the person) that lf.js on the website exchanges
    within minutes to join its visitor to the lead."""
    claims = email_service.read_token(request.app.state.secret_key, token, click=True)
    if claims is None:
        return render(request, "tracking/bad_link.html", {}, status_code=400)
    target = claims.url
    if not domain.is_bot(request.headers.get("user-agent")):
        visitor = request.cookies.get("lf_vid")

        def work():
            return email_service.record_click(
                claims, session=session,
                visitor_id=visitor if visitor and not domain.visitor_problem(visitor) else None)

        click = tracking_service.retrying(work, session=session)
        if click is not None:
            target = email_service.landing_url(claims.url, email_service.visit_token(
                request.app.state.secret_key, click.id))
    return RedirectResponse(target, status_code=302, headers=NO_STORE)


@pages.get("/leads/{lead_id:int}/events")
def lead_events(lead_id: int, request: Request, session: DbSession, actor: PageActor, cursor: str | None = None):
    """The lead page's behaviour panel (an htmx fragment), or a page of its own without JavaScript."""
    actor.require("leads:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    rows, next_cursor = queries.lead_events(lead.id, session=session, cursor=cursor, limit=25)
    events = [{"event": e, "label": domain.label(e.type), "icon": ICONS.get(e.type, "dot"),
               "url": _link(e.properties),
               "details": _details(e.properties)} for e in rows]
    context = {"lead": lead, "events": events, "next_cursor": next_cursor, "first_page": cursor is None}
    if request.headers.get("hx-request") == "true":
        template = "tracking/_lead_events.html" if cursor is None else "tracking/_event_rows.html"
        return render(request, template, context)
    return render(request, "tracking/lead_events.html", context)


def _link(properties: object) -> str | None:
    url = properties.get("url") if isinstance(properties, dict) else None
    return url if isinstance(url, str) and domain.is_web_url(url) else None


def _details(properties: object) -> list[tuple[str, str]]:
    if not isinstance(properties, dict):
        return []
    shown = []
    for key, value in properties.items():
        if key in ("url", "path"):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        shown.append((str(key)[:60], text[:300]))
    return shown[:12]
