"""Email templates: created and changed only when they compile (MJML and the personalisation, a 422 naming the
field and the line), each change a new version; the preview with sample or a lead's data; the test send."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow import mail
from leadflow.clock import now
from leadflow.email import render
from leadflow.email.models import EmailMessage, EmailTemplate
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.leads.domain import normalize_email
from leadflow.values import CONTROL
from leadflow.surveys import queries as surveys_queries

FIELDS = ("name", "subject", "preheader", "body_mjml", "purpose")
LIMITS = {"name": 200, "subject": 300, "preheader": 300, "body_mjml": 200_000, "purpose": 100}
STARTER = """<mjml>
  <mj-body background-color="#f4f4f4">
    <mj-section background-color="#ffffff" padding="24px">
      <mj-column>
        <mj-text font-size="20px" font-weight="bold">Hello {{ first_name | default("there") }},</mj-text>
        <mj-text>Thank you for your interest in {{ company | default("our products") }}.</mj-text>
        <mj-button href="https://example.com" background-color="#1f6feb">Read more</mj-button>
        <mj-text font-size="12px" color="#666666">
          <a href="{{ unsubscribe_url }}">Unsubscribe or choose which emails you get</a>
        </mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""


def get(template_id: int, *, session: Session) -> EmailTemplate:
    template = session.get(EmailTemplate, template_id)
    if template is None:
        raise NotFound("email template", template_id)
    return template


def _clean(values: dict, *, partial: bool) -> dict:
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise Invalid.one(unknown[0], "not a field of an email template")
    problems, out = [], {}
    for name in FIELDS:
        if name not in values:
            if not partial and name in ("name", "subject", "body_mjml"):
                problems.append(FieldError(name, "is required"))
            continue
        value = values[name]
        if value is not None and not isinstance(value, str):
            problems.append(FieldError(name, "must be text"))
            continue
        value = (value or "").strip() if name != "body_mjml" else (value or "")
        if name in ("name", "subject", "body_mjml", "purpose") and not value.strip():
            problems.append(FieldError(name, "must not be empty"))
        elif name == "purpose" and value.lower() in ("none", "null"):  # an empty box rendered once as "None"
            problems.append(FieldError(name, "a consent purpose such as marketing or newsletter, not 'None'"))
        elif len(value) > LIMITS[name]:
            problems.append(FieldError(name, f"at most {LIMITS[name]} characters"))
        out[name] = value
    if problems:
        raise Invalid(problems)
    return out


def create(values: dict, *, session: Session, user_id: int | None) -> EmailTemplate:
    clean = _clean(values, partial=False)
    clean.setdefault("purpose", "marketing")
    clean.setdefault("preheader", "")
    render.check(subject=clean["subject"], preheader=clean["preheader"], body_mjml=clean["body_mjml"])
    _trial(clean)
    template = EmailTemplate(**clean, version=1, created_at=now(), updated_at=now(), updated_by=user_id)
    try:
        with session.begin_nested():
            session.add(template)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"an email template named {clean['name']!r} exists already") from exc
    return template


def update(template: EmailTemplate, values: dict, *, session: Session, user_id: int | None) -> EmailTemplate:
    clean = _clean(values, partial=True)
    merged = {name: clean.get(name, getattr(template, name)) for name in FIELDS}
    render.check(subject=merged["subject"], preheader=merged["preheader"] or "", body_mjml=merged["body_mjml"])
    _trial(merged)
    changed = {k: v for k, v in clean.items() if getattr(template, k) != v}
    if not changed:
        return template
    try:
        with session.begin_nested():
            for name, value in changed.items():
                setattr(template, name, value)
            template.version += 1
            template.updated_at, template.updated_by = now(), user_id
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"an email template named {merged['name']!r} exists already") from exc
    return template


def _trial(values: dict) -> None:
    context = render.context_of(render.SAMPLE, unsubscribe_url="/u/preview", preferences_url="/u/preview")
    context["survey_link"] = lambda key: f"/s/preview-{key}"
    render.trial(subject=values["subject"], preheader=values["preheader"] or "", body_mjml=values["body_mjml"],
                 context=context)


def delete(template: EmailTemplate, *, session: Session) -> None:
    used = session.scalar(select(EmailMessage.id).where(EmailMessage.template_id == template.id).limit(1))
    if used is not None:
        raise Conflict("the template has messages (sent or queued): it is kept for their history")
    session.delete(template)
    session.flush()


def preview(template, *, session: Session, lead: dict | None = None, base_url: str = "") -> render.Rendered:
    """The email as a lead (or the sample person) would get it; links are not made tracking links, a survey's link
    is a placeholder (no message: no signed link). A `survey_link("key")` no survey has is an Invalid naming the
    field that links it, as the sender would skip the message."""
    base = base_url.rstrip("/")
    known = surveys_queries.ids_by_key(session=session)
    for name in ("subject", "preheader", "body_mjml"):
        missing = sorted(render.survey_keys(getattr(template, name, None) or "") - set(known))
        if missing:
            raise Invalid.one(name, str(render.SurveyMissing(missing[0])))
    context = render.context_of(lead or render.SAMPLE, unsubscribe_url=f"{base}/u/preview",
                                preferences_url=f"{base}/u/preview")
    keys = {key: key for key in known}
    context["survey_link"] = render.survey_linker(keys, lambda key: f"{base}/s/preview-{key}")
    try:
        return render.render(template, context)
    except render.RenderFailed as exc:
        raise Invalid.one("body_mjml", str(exc)) from exc


def test_send(template: EmailTemplate, to: str, *, session: Session, base_url: str, user_id: int | None) -> str:
    """The sample person's email to `to`, through the outbox (sent by the worker). Returns its key: each test send
    has its own (a random token in it), so the same address twice in a second queues two emails, never a clash."""
    to = (to or "").strip()
    if not to or len(to) > 320 or CONTROL.search(to) or any(c in to for c in " ,;<>\t\r\n"):
        raise Invalid.one("to", "one email address")
    try:
        to = normalize_email(to)
    except ValueError as exc:
        raise Invalid.one("to", f"not an email address: {exc}") from None
    rendered = preview(template, session=session, base_url=base_url)
    key = f"email.test:{template.id}:{template.version}:{to}:{int(now().timestamp())}:{secrets.token_hex(8)}"
    mail.queue(session, to=to, subject=f"[Test] {rendered.subject}", text=rendered.text, html=rendered.html, key=key)
    return key
