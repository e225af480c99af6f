"""Email's pages: templates (list, new, edit with the preview in a sandboxed frame, test send, delete), the message
log with status and reason, and the lead page's Emails panel. Holders of email:read see; email:manage change."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from leadflow import mail
from leadflow.email import queries, template_service
from leadflow.email.models import STATUSES
from leadflow.errors import Conflict, Invalid
from leadflow.http import DbSession, retry_races
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import PageActor
from leadflow.web.pages import Posted, is_htmx, page_router, redirect, render

router = page_router(tags=["pages"])
BASE = "/email/templates"
# The email as shown in the editor's frame: no script runs, nothing loads but images, no form posts, and it is
# framed only by leadflow's own pages (`sandbox` keeps it in an origin of its own).
PREVIEW_HEADERS = {"Content-Security-Policy": "sandbox; default-src 'none'; img-src * data:; "
                                              "style-src 'unsafe-inline'; frame-ancestors 'self'",
                   "X-Frame-Options": "SAMEORIGIN", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                   "Referrer-Policy": "no-referrer"}


def _errors(exc: Invalid) -> dict[str, str]:
    return {e.field: e.reason[:1].upper() + e.reason[1:] for e in exc.errors}


def _values(form: dict[str, str]) -> dict[str, str]:
    return {name: (form.get(name) or "") for name in template_service.FIELDS}


@router.get(BASE)
def template_list(request: Request, session: DbSession, actor: PageActor):
    actor.require("email:read")
    counts = queries.counts_by_template(session=session)
    return render(request, "email/templates.html", {"templates": queries.template_list(session=session),
                                                    "counts": counts})


def _editor(request: Request, template=None, *, values: dict | None = None, errors: dict | None = None,
            status_code: int = 200):
    values = values or ({name: getattr(template, name) or "" for name in template_service.FIELDS} if template else
                        {"name": "", "subject": 'Hello {{ first_name | default("there") }}', "preheader": "",
                         "body_mjml": template_service.STARTER, "purpose": "marketing"})
    return render(request, "email/editor.html", {"template": template, "values": values, "errors": errors or {}},
                  status_code=status_code)


@router.get(BASE + "/new")
def new_template(request: Request, actor: PageActor):
    actor.require("email:manage")
    return _editor(request)


@router.post(BASE)
@retry_races
def create_template(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require("email:manage")
    values = _values(form)
    try:
        template = template_service.create(values, session=session, user_id=actor.user_id)
    except Invalid as exc:
        session.rollback()
        return _editor(request, values=values, errors=_errors(exc), status_code=422)
    except Conflict as exc:
        session.rollback()
        return _editor(request, values=values, errors={"name": str(exc)}, status_code=409)
    session.commit()
    return redirect(request, f"{BASE}/{template.id}", message=f"Saved the template {template.name}.", kind="ok")


@router.get(BASE + "/{template_id:int}")
def edit_template(template_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("email:read")
    return _editor(request, template_service.get(template_id, session=session))


@router.post(BASE + "/{template_id:int}")
@retry_races
def save_template(template_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require("email:manage")
    template = template_service.get(template_id, session=session)
    values = _values(form)
    try:
        template_service.update(template, values, session=session, user_id=actor.user_id)
    except Invalid as exc:
        session.rollback()
        return _editor(request, template_service.get(template_id, session=session), values=values,
                       errors=_errors(exc), status_code=422)
    except Conflict as exc:
        session.rollback()
        return _editor(request, template_service.get(template_id, session=session), values=values,
                       errors={"name": str(exc)}, status_code=409)
    session.commit()
    return redirect(request, f"{BASE}/{template_id}", message=f"Saved version {template.version}.", kind="ok")


@router.post(BASE + "/{template_id:int}/delete")
@retry_races
def delete_template(template_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("email:manage")
    template = template_service.get(template_id, session=session)
    try:
        template_service.delete(template, session=session)
    except Conflict as exc:
        session.rollback()
        return redirect(request, f"{BASE}/{template_id}", message=str(exc), kind="error")
    session.commit()
    return redirect(request, BASE, message="Deleted the template.", kind="ok")


def _framed(html: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers=PREVIEW_HEADERS)


def _problem_page(exc: Invalid) -> HTMLResponse:
    from html import escape

    items = "".join(f"<li><b>{escape(e.field)}</b>: {escape(e.reason)}</li>" for e in exc.errors)
    return _framed(f"<!doctype html><meta charset=utf-8><title>Cannot be shown</title>"
                   f"<p>The template cannot be shown:</p><ul>{items}</ul>", 422)


@router.get(BASE + "/{template_id:int}/preview")
def preview_saved(template_id: int, request: Request, session: DbSession, actor: PageActor):
    """The saved version as the sample person gets it (shown in the editor's sandboxed frame)."""
    actor.require("email:read")
    template = template_service.get(template_id, session=session)
    try:
        rendered = template_service.preview(template, session=session,
                                            base_url=request.app.state.settings.base_url)
    except Invalid as exc:
        return _problem_page(exc)
    return _framed(rendered.html)


@router.post(BASE + "/preview")
def preview_draft(request: Request, actor: PageActor, session: DbSession, form: Posted):
    """The editor's draft, not saved, as the sample person would get it (the form targets the frame)."""
    actor.require("email:read")
    from types import SimpleNamespace

    from leadflow.email import render as email_render

    values = _values(form)
    try:
        email_render.check(subject=values["subject"], preheader=values["preheader"], body_mjml=values["body_mjml"])
        draft = SimpleNamespace(id=0, version=0, **values)
        rendered = template_service.preview(draft, session=session, base_url=request.app.state.settings.base_url)
    except Invalid as exc:
        return _problem_page(exc)
    return _framed(rendered.html)


@router.post(BASE + "/{template_id:int}/test")
@retry_races
def test_send(template_id: int, request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require("email:manage")
    template = template_service.get(template_id, session=session)
    to = (form.get("to") or "").strip()
    try:
        template_service.test_send(template, to, session=session, base_url=request.app.state.settings.base_url,
                                   user_id=actor.user_id)
    except Invalid as exc:
        session.rollback()
        return redirect(request, f"{BASE}/{template_id}", message=f"Test send: {exc}", kind="error")
    session.commit()
    if mail.smtp_server() is None:
        return redirect(request, f"{BASE}/{template_id}", kind="warning",
                        message=f"The test email to {to} is queued but cannot be sent: {mail.NOT_CONFIGURED}.")
    return redirect(request, f"{BASE}/{template_id}", message=f"A test email to {to} is on its way.", kind="ok")


@router.get("/email/messages")
def message_log(request: Request, session: DbSession, actor: PageActor, status: str | None = None,
                template_id: str | None = None, before: str | None = None):
    actor.require("email:read")
    status = status if status in STATUSES else None
    template = int(template_id) if template_id and template_id.isdecimal() else None
    cursor = int(before) if before and before.isdecimal() else None
    visible = None if leads_queries.sees_all(actor) else leads_queries.visible_ids(actor)
    rows = queries.message_log(session=session, status=status, template_id=template, lead_ids=visible,
                               before=cursor, limit=100)
    names = leads_queries.names_by_id({m.lead_id for m, _ in rows}, session=session)
    return render(request, "email/messages.html", {
        "rows": rows, "names": names, "statuses": STATUSES, "status": status, "template_id": template,
        "templates": queries.template_choices(session=session),
        "counts": queries.status_counts(session=session, template_id=template, lead_ids=visible),
        "next_before": rows[-1][0].id if len(rows) == 100 else None})


@router.get("/leads/{lead_id:int}/emails")
def lead_emails(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    """The lead page's Emails panel (an htmx fragment), or a page of its own without JavaScript."""
    actor.require("email:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    context = {"lead": lead, "rows": queries.lead_messages(lead_id, session=session)}
    if is_htmx(request):
        return render(request, "email/_lead_panel.html", context)
    return render(request, "email/lead_emails.html", context)
