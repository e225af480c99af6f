"""The form builder: fields, consents, thank-you, allowed origins, live preview, embed code."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select

from leadflow.campaigns import queries as campaigns_queries
from leadflow.campaigns.models import Campaign
from leadflow.capture import queries as capture_queries
from leadflow.capture.domain import LEAD_FIELDS
from leadflow.capture.forms import builder
from leadflow.capture.forms import definition as forms
from leadflow.capture.forms import service as form_service
from leadflow.capture.models import Form
from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])

# --- Pages ---------------------------------------------------------------------------------------------------------

def _base(request: Request) -> str:
    return request.app.state.settings.base_url.rstrip("/")


def _embed(request: Request, slug: str) -> dict:
    base = _base(request)
    return {"page_url": f"{base}/f/{slug}",
            "embed_code": f'<script src="{base}/f/{slug}/embed.js" async></script>',
            "placed_code": f'<div data-leadflow-form="{slug}"></div>\n'
                           f'<script src="{base}/f/{slug}/embed.js" async></script>'}


def _preview(request: Request, values: dict) -> dict:
    """The hosted form's own layout for an unsaved definition; a definition that is not valid yet is previewed
    with blanks filled in, and its problems listed."""
    problems: list[str] = []
    try:
        builder.check(values)
        definition = forms.check_definition({**values, "slug": "preview", "languages": [
            values["default_language"], *values["languages"]]})
    except Invalid as exc:
        problems = [f"{e.field}: {e.reason}" for e in exc.errors][:8]
        definition = _lenient(values)
    if definition is None:
        return {"view": None, "problems": problems}
    language = definition["languages"][0]
    view = forms.layout(definition, language, id_prefix="lf-preview")
    return {"view": view, "problems": problems, "prefix": "lf-preview", "slug": "preview", "action": "#",
            "shown": "", "heading": 2, "thanks": forms.thank_you(definition, language),
            "redirect_url": definition["redirect_url"]}


def _lenient(values: dict) -> dict | None:
    """The definition with blanks filled in and unusable pieces left out, only to draw the preview."""
    language = values.get("default_language") or "en"
    if not forms.KEY_RE.match(language.replace("-", "_")):
        language = "en"
    fields, seen = [], set()
    for field in values["fields"]:
        maps_to = field["maps_to"]
        if maps_to in seen or not (maps_to in LEAD_FIELDS or maps_to.startswith(forms.CUSTOM_PREFIX)):
            continue
        seen.add(maps_to)
        kind = field["type"] or forms.DEFAULT_TYPE.get(maps_to, "text")
        if kind == "hidden":
            continue
        if kind not in forms.FIELD_TYPES:
            kind = "text"
        label = (field["label"] or {}).get(language) or builder.FIELD_LABELS.get(maps_to) or maps_to
        options = [{"value": o["value"], "label": o["label"]} for o in field.get("options", []) if o["value"]]
        fields.append({"maps_to": maps_to, "type": "text" if kind == "select" and not options else kind,
                       "required": field["required"], "label": {language: label},
                       "help": field.get("help") or {}, "options": options if kind == "select" else []})
    consents = [{"purpose": c["purpose"] or f"consent{i}", "required": c["required"],
                 "text": {language: (c["text"] or {}).get(language) or "(consent text)"}}
                for i, c in enumerate(values["consents"])]
    return {"name": values["name"] or "New form", "languages": [language], "fields": fields,
            "consents": consents, "title": values["title"], "submit_label": values["submit_label"],
            "thank_you": values["thank_you"], "redirect_url": None, "honeypot": "website_url"}


def _builder(request: Request, session, actor, *, draft: dict, form: Form | None, errors: dict | None = None,
             status_code: int = 200):
    values = builder.definition_values(draft, stored=form)
    return render(request, "capture/form_builder.html", {
        "form": form, "draft": draft, "errors": errors or {}, "preview": _preview(request, values),
        "lead_fields": LEAD_FIELDS, "field_labels": builder.FIELD_LABELS, "type_labels": builder.TYPE_LABELS,
        "campaigns": campaigns_queries.choices(session=session), "embed": _embed(request, form.slug) if form else None,
        "can_write": "forms:write" in actor.permissions,
        "action": f"/forms/{form.id}" if form else "/forms/new",
    }, status_code=status_code)


@router.get("/forms")
def form_list(request: Request, actor: PageActor, session: DbSession, cursor: str = ""):
    actor.require("forms:read")
    try:
        rows, next_cursor = form_service.page(session=session, active=None, cursor=cursor[:100] or None, limit=50)
    except Invalid:
        rows, next_cursor = form_service.page(session=session, active=None, cursor=None, limit=50)
    campaign_ids = {f.campaign_id for f in rows if f.campaign_id}
    campaigns = {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))} \
        if campaign_ids else {}
    return render(request, "capture/form_list.html", {
        "forms": rows, "campaigns": campaigns, "base": _base(request), "next_cursor": next_cursor,
        "first": not cursor, "submissions": capture_queries.form_submissions([f.id for f in rows], session=session),
        "can_write": "forms:write" in actor.permissions})


@router.get("/forms/new")
def new_form_page(request: Request, actor: PageActor, session: DbSession):
    actor.require("forms:write")
    return _builder(request, session, actor, draft=builder.new_draft(), form=None)


@router.post("/forms/preview")
async def preview(request: Request, actor: PageActor):
    """The live preview pane: the hosted form's template with the unsaved definition (htmx, while typing)."""
    actor.require("forms:read")
    draft = builder.draft_from(await request.form())
    return render(request, "capture/form_preview.html", {"preview": _preview(request,
                                                                             builder.definition_values(draft))})


@lru_cache
def _preview_css() -> str:
    """The hosted form's own styles (an inline <style> there), served from here for the builder's strict CSP."""
    text = resources.files("leadflow.capture").joinpath("templates/forms/_style.html").read_text("utf-8")
    return re.sub(r"</?style[^>]*>", "", text)


@router.get("/forms/preview.css")
def preview_css():
    return Response(_preview_css(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@router.get("/forms/by-campaign/{campaign_id}")
def campaign_forms(request: Request, campaign_id: int, actor: PageActor, session: DbSession):
    """The forms of one campaign, as a fragment for the campaign page."""
    actor.require("forms:read")
    rows = list(session.scalars(select(Form).where(Form.campaign_id == campaign_id).order_by(Form.name, Form.id)))
    return render(request, "capture/form_campaign.html", {
        "forms": rows, "base": _base(request), "campaign_id": campaign_id,
        "submissions": capture_queries.form_submissions([f.id for f in rows], session=session),
        "can_write": "forms:write" in actor.permissions})


async def _posted(request: Request, form: Form | None, session, actor):
    posted = await request.form()
    draft = builder.draft_from(posted)
    op = str(posted.get("op") or "save")
    if op != "save":
        if not builder.apply(draft, op):
            return None, draft, _builder(request, session, actor, draft=draft, form=form, status_code=422,
                                         errors={"form": "That change is not possible."})
        return None, draft, _builder(request, session, actor, draft=draft, form=form)
    values = builder.definition_values(draft, stored=form)
    try:
        builder.check(values)
        if form is None:
            saved = form_service.create(session=session, values=values)
        else:
            saved = form_service.update(session=session, form=form, values=values)
    except Invalid as exc:
        session.rollback()
        if form is not None:
            form = form_service.get(form.id, session=session)
        return None, draft, _builder(request, session, actor, draft=draft, form=form,
                                     errors=builder.input_errors(exc.errors, values), status_code=422)
    return saved, draft, None


@router.post("/forms/new")
async def create_form(request: Request, actor: PageActor, session: DbSession):
    actor.require("forms:write")
    saved, _, page = await _posted(request, None, session, actor)
    if page is not None:
        return page
    session.commit()
    return redirect(request, f"/forms/{saved.id}", message=f"Form “{saved.name}” created: copy the embed code "
                    "below into your website.", kind="ok")


@router.get("/forms/{form_id}")
def form_builder(request: Request, form_id: int, actor: PageActor, session: DbSession):
    actor.require("forms:read")
    form = form_service.get(form_id, session=session)
    return _builder(request, session, actor, draft=builder.draft_of(form), form=form)


@router.post("/forms/{form_id}")
async def update_form(request: Request, form_id: int, actor: PageActor, session: DbSession):
    actor.require("forms:write")
    form = form_service.get(form_id, session=session)
    saved, _, page = await _posted(request, form, session, actor)
    if page is not None:
        return page
    session.commit()
    return redirect(request, f"/forms/{saved.id}", message="Form saved: the public page shows it now.", kind="ok")
