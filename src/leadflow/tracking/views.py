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
from leadflow.http import AppSettings, DbSession, PageActor, PublicClient, RawBody, WritingSession
from leadflow.leads import queries as leads_queries
from leadflow.tracking import domain, queries
from leadflow.tracking import service as tracking_service
from leadflow.web.pages import page_router, render

log = logging.getLogger("leadflow.tracking")

router = APIRouter(prefix="/t", tags=["tracking"], include_in_schema=False)
pages = page_router(tags=["pages"])

MAX_BEACON_BYTES = 64_000
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, max-age=0", "X-Content-Type-Options": "nosniff"}
ICONS = {"page_view": "👁", "email_open": "✉", "email_click": "🔗", "click": "🔗", "download": "⬇",
         "form_submit": "📝", "email_bounce": "⚠", "webinar_registered": "🎥", "webinar_attended": "🎥",
         "newsletter_subscribed": "📰", "newsletter_unsubscribed": "🚫", "call_outcome": "📞", "survey_answer": "☑"}


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


def _cors(request: Request, session, settings) -> tuple[dict[str, str], bool]:
    """CORS headers and whether the request's origin may send beacons (no Origin: not a browser page; allowed)."""
    origin = request.headers.get("origin")
    if not origin:
        return {"Vary": "Origin"}, True
    own = {_origin(str(request.base_url)), _origin(settings.base_url)}
    if origin in own or origin in tracking_service.allowed_origins(session, settings.tracking_origins):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}, True
    return {"Vary": "Origin"}, False


def _problem(status: int, errors: list[dict], headers: dict, error: str = "invalid") -> JSONResponse:
    return JSONResponse({"error": error, "errors": errors}, status_code=status, headers=headers)


@router.options("/collect")
def collect_preflight(request: Request, session: DbSession, settings: AppSettings):
    headers, allowed = _cors(request, session, settings)
    if not allowed:
        return _problem(403, [{"field": "origin", "reason": "this origin may not send tracking beacons"}], headers,
                        "forbidden_origin")
    return Response(status_code=204, headers={**headers, "Access-Control-Allow-Methods": "POST",
                                              "Access-Control-Allow-Headers": "Content-Type",
                                              "Access-Control-Max-Age": "600"})


@router.post("/collect")
def collect(request: Request, session: DbSession, settings: AppSettings, client: PublicClient, body: RawBody):
    """Beacons from /t/lf.js: 204 when stored; bots are answered the same and stored nowhere."""
    headers, allowed = _cors(request, session, settings)
    if not allowed:
        origin = request.headers.get("origin", "")[:200]
        return _problem(403, [{"field": "origin", "reason": f"{origin} may not send tracking beacons"}], headers,
                        "forbidden_origin")
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
    if events:
        tracking_service.retrying(session, lambda: tracking_service.collect(session, visitor_id, events))
    if problems:
        return _problem(422, [{"field": p.field, "reason": p.reason} for p in problems],
                        {**headers, "X-Leadflow-Accepted": str(len(events))})
    return Response(status_code=204, headers=headers)


@router.get("/o/{token}.gif")
def email_open(request: Request, token: str, session: WritingSession):
    """The open pixel: always a transparent GIF; only a token signed here records an open."""
    claims = tracking_service.read_token(request.app.state.secret_key, token, click=False)
    if claims is not None:
        tracking_service.record_email(session, claims, "email_open")
        session.commit()
    return Response(GIF, media_type="image/gif", headers=NO_STORE)


@router.get("/c/{token}")
def email_click(request: Request, token: str, session: WritingSession):
    """A click in an email: the target is inside the signed token, so this never redirects anywhere else."""
    claims = tracking_service.read_token(request.app.state.secret_key, token, click=True)
    if claims is None:
        return render(request, "tracking/bad_link.html", {}, status_code=400)
    if not domain.is_bot(request.headers.get("user-agent")):
        visitor = request.cookies.get("lf_vid")
        tracking_service.record_email(session, claims, "email_click",
                                      visitor_id=visitor if visitor and not domain.visitor_problem(visitor) else None)
        session.commit()
    return RedirectResponse(claims.url, status_code=302, headers=NO_STORE)


@pages.get("/leads/{lead_id:int}/events")
def lead_events(lead_id: int, request: Request, session: DbSession, actor: PageActor, cursor: str | None = None):
    """The lead page's behaviour panel (an htmx fragment), or a page of its own without JavaScript."""
    actor.require("leads:read")
    lead = leads_queries.visible_lead(session, actor, lead_id)
    rows, next_cursor = queries.lead_events(session, lead.id, cursor=cursor, limit=25)
    events = [{"event": e, "label": domain.label(e.type), "icon": ICONS.get(e.type, "•"),
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
