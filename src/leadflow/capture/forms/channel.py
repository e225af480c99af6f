"""Hosted forms: the definition API (/api/v1/forms), the page and its post (/f/{slug}), the embed and CORS."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import Headers
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from leadflow.capture.channels.answer import error_body
from leadflow.capture.forms import definition as forms
from leadflow.capture.forms import service as form_service
from leadflow.capture.forms.schemas import FormCreate, FormPage, FormRead, FormUpdate
from leadflow.capture.intake import service as capture_service
from leadflow.capture.models import Capture, Form
from leadflow.errors import FieldError, NotFound
from leadflow.http import AppSettings, DbSession, PublicClient, RawBody, client_address
from leadflow.inputs import Id
from leadflow.people.deps import permitted
from leadflow.people.service import Actor
from leadflow.tracking import service as tracking_service

router = APIRouter(tags=["forms"])

Reader = Annotated[Actor, permitted("forms:read")]
Writer = Annotated[Actor, permitted("forms:write")]

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PAGE_HEADERS = {
    "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'",
}


@lru_cache
def _templates() -> Environment:
    return Environment(loader=PackageLoader("leadflow.capture", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=False, lstrip_blocks=False)


@lru_cache
def _embed_script() -> bytes:
    return resources.files("leadflow.capture").joinpath("static/embed.js").read_bytes()


def _base(request: Request) -> str:
    return request.app.state.settings.base_url.rstrip("/")


def _read(request: Request, form: Form) -> FormRead:
    definition = form_service.definition_of(form)
    base = _base(request)
    return FormRead(**definition, id=form.id, default_language=form.languages[0], campaign_id=form.campaign_id,
                    page_url=f"{base}/f/{form.slug}",
                    embed_code=f'<script src="{base}/f/{form.slug}/embed.js" async></script>',
                    created_at=form.created_at, updated_at=form.updated_at)


@router.post("/api/v1/forms", response_model=FormRead, status_code=201)
def create_form(request: Request, body: FormCreate, session: DbSession, actor: Writer):
    form = form_service.create(session=session, values=body.model_dump())
    session.commit()
    return _read(request, form)


@router.get("/api/v1/forms", response_model=FormPage)
def list_forms(request: Request, session: DbSession, actor: Reader, active: bool | None = None,
               cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50):
    rows, next_cursor = form_service.page(session=session, active=active, cursor=cursor, limit=limit)
    return FormPage(items=[_read(request, form) for form in rows], next_cursor=next_cursor)


@router.get("/api/v1/forms/{form_id}", response_model=FormRead)
def get_form(request: Request, form_id: Id, session: DbSession, actor: Reader):
    return _read(request, form_service.get(form_id, session=session))


@router.patch("/api/v1/forms/{form_id}", response_model=FormRead)
def update_form(request: Request, form_id: Id, body: FormUpdate, session: DbSession, actor: Writer):
    form = form_service.get(form_id, session=session)
    form_service.update(session=session, form=form, values=body.model_dump(exclude_unset=True))
    session.commit()
    return _read(request, form)


def _active_form(session, slug: str) -> Form:
    form = form_service.by_slug(slug, session=session)
    if form is None:
        raise NotFound("form", slug)
    return form


def _own_origins(request: Request) -> set[str]:
    return {origin for origin in (forms.origin_of(str(request.base_url)), forms.origin_of(_base(request))) if origin}


def _cors(request: Request, form: Form | None) -> dict[str, str]:
    """CORS headers for an allowed origin only; every answer says it varies by Origin."""
    origin = request.headers.get("origin")
    if form is not None and origin and origin in form.allowed_origins:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"Vary": "Origin"}


def _render(request: Request, form: Form, language: str, *, values: dict | None = None,
            errors: list[FieldError] | None = None, template: str = "forms/page.html", action: str | None = None,
            heading: int = 1) -> str:
    prefix = f"lf-{form.slug}"
    view = forms.layout(form_service.definition_of(form), language, values=values, errors=errors, id_prefix=prefix)
    shown = (values or {}).get("_ts") or form_service.shown_token(form, secret_key=request.app.state.secret_key)
    return _templates().get_template(template).render(
        view=view, action=action or f"/f/{form.slug}", slug=form.slug, prefix=prefix, shown=shown, heading=heading)


def _query_values(request: Request) -> dict[str, str]:
    """Attribution from the page's own address; the referrer is the page that linked here."""
    values = {name: request.query_params[name] for name in forms.ATTRIBUTION_FIELDS if request.query_params.get(name)}
    referer = request.headers.get("referer")
    if "referrer" not in values and referer and forms.origin_of(referer) not in _own_origins(request):
        values["referrer"] = referer
    values.setdefault("landing_page", str(request.url))
    return values


@router.get("/f/{slug}", response_class=HTMLResponse, include_in_schema=False)
def form_page(request: Request, slug: str, session: DbSession, lang: str | None = None):
    form = _active_form(session, slug)
    language = forms.choose_language(form_service.definition_of(form), lang, request.headers.get("accept-language"))
    return HTMLResponse(_render(request, form, language, values=_query_values(request)), headers=PAGE_HEADERS)


@router.get("/f/{slug}/definition", include_in_schema=False)
def form_definition(request: Request, slug: str, session: DbSession, lang: str | None = None):
    """What the embed script shows: the same form as the hosted page, posting back here."""
    form = _active_form(session, slug)
    definition = form_service.definition_of(form)
    language = forms.choose_language(definition, lang, request.headers.get("accept-language"))
    html = _templates().get_template("forms/_style.html").render() + _render(
        request, form, language, template="forms/form.html", action=f"{_base(request)}/f/{form.slug}", heading=2)
    body = {"slug": form.slug, "language": language, "languages": form.languages, "html": html,
            "failed_message": forms.words(language)["failed"]}
    return JSONResponse(body, headers={**_cors(request, form), "Cache-Control": "no-store"})


@router.get("/f/{slug}/embed.js", include_in_schema=False)
def embed_script(slug: str, session: DbSession):
    _active_form(session, slug)
    return Response(_embed_script(), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@router.options("/f/{slug}", include_in_schema=False)
@router.options("/f/{slug}/definition", include_in_schema=False)
def preflight(request: Request, slug: str, session: DbSession):
    form = form_service.by_slug(slug, session=session)
    headers = _cors(request, form)
    if "Access-Control-Allow-Origin" not in headers:
        return JSONResponse(error_body([FieldError("origin", "this origin may not use this form")],
                                       error="forbidden_origin"), status_code=403, headers=headers)
    return Response(status_code=204, headers={
        **headers, "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Max-Age": "600",
        "Access-Control-Allow-Headers": "Accept, Content-Type"})


@dataclass
class Posted:
    raw: bytes
    cut: bool
    values: dict[str, str] = field(default_factory=dict)
    error: FieldError | None = None
    status: int = 400


async def posted_form(request: Request, body: RawBody) -> Posted:
    """The body as sent (for the capture) and its fields read by Starlette's parsers; the first value of a name wins."""
    raw, cut = body
    posted = Posted(raw=raw, cut=cut)
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if cut:
        return posted
    if media not in FORM_TYPES:
        posted.error, posted.status = FieldError("content-type", "send application/x-www-form-urlencoded or "
                                                                 "multipart/form-data"), 415
        return posted

    async def stream():
        yield raw
        yield b""

    headers = Headers({"content-type": content_type})
    parser = (FormParser(headers, stream(), max_fields=1000) if media == FORM_TYPES[0]
              else MultiPartParser(headers, stream(), max_files=0, max_fields=1000))
    try:
        data = await parser.parse()
    except MultiPartException as exc:
        posted.error = FieldError("body", f"not a form this endpoint reads: {exc.message}")
        return posted
    for name, value in data.multi_items():
        if isinstance(value, str):
            posted.values.setdefault(name, value)
    await data.close()
    return posted


PostedForm = Annotated[Posted, Depends(posted_form)]


@router.post("/f/{slug}", include_in_schema=False)
def submit_form(request: Request, slug: str, session: DbSession, settings: AppSettings, client: PublicClient,
                posted: PostedForm):
    form = form_service.by_slug(slug, session=session)
    capture, _ = capture_service.receive(capture_service.Inbound(
        channel="form", payload=posted.raw, content_type=request.headers.get("content-type"), client=slug[:200],
        remote_addr=client_address(request), form_id=form.id if form else None), session=session)
    json_wanted = "application/json" in request.headers.get("accept", "")
    cors = _cors(request, form)
    if form is None:
        return _refuse(session, capture, 404, FieldError("slug", "no active form at this address"), "not_found", cors)
    if posted.cut:
        return _refuse(session, capture, 413, FieldError("body", f"larger than {settings.max_body_bytes} bytes"),
                       "too_large", cors)
    origin = request.headers.get("origin")
    if origin and origin not in _own_origins(request) and origin not in form.allowed_origins:
        return _refuse(session, capture, 403, FieldError("origin", f"{origin[:200]} may not post this form"),
                       "forbidden_origin", cors)
    if posted.error is not None:
        return _refuse(session, capture, posted.status, posted.error, "malformed", cors)

    definition = form_service.definition_of(form)
    language = forms.choose_language(definition, posted.values.get("_lang"), request.headers.get("accept-language"))
    outcome = form_service.submit(session=session, form=form, capture=capture, values=posted.values, language=language,
                                  secret_key=request.app.state.secret_key, default_country=settings.default_country)
    if outcome.lead_id is not None and posted.values.get("lf_vid"):  # the tracking script's visitor joins the lead
        tracking_service.identify(posted.values["lf_vid"], outcome.lead_id, session=session, how="form_submit")
    if outcome.outcome == "rejected" and not form_service.is_bot(outcome):
        session.commit()
        if json_wanted:
            body = error_body(outcome.errors, capture_id=capture.id)
            for error in body["errors"]:
                error["message"] = forms.message_for(FieldError(error["field"], error["reason"]), language)
            return JSONResponse({"ok": False, **body}, status_code=422, headers=cors)
        html = _render(request, form, language, values=posted.values, errors=outcome.errors)
        return HTMLResponse(html, status_code=422, headers={**PAGE_HEADERS, "X-Capture-Id": str(capture.id)})
    session.commit()
    message = forms.thank_you(definition, language)
    if json_wanted:
        return JSONResponse({"ok": True, "message": message, "redirect_url": form.redirect_url}, headers=cors)
    if form.redirect_url:
        return RedirectResponse(form.redirect_url, status_code=303)
    title = forms.layout(definition, language)["title"]
    html = _templates().get_template("forms/thanks.html").render(language=language, title=title, message=message)
    return HTMLResponse(html, headers=PAGE_HEADERS)


def _refuse(session, capture: Capture, status: int, error: FieldError, kind: str, headers: dict) -> JSONResponse:
    capture_service.reject(capture, [error])
    session.commit()
    return JSONResponse(error_body([error], capture_id=capture.id, error=kind), status_code=status, headers=headers)
