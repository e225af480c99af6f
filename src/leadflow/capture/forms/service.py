"""Hosted forms: save checked definitions, find a form by its address, and take one posted form in."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow.campaigns.domain import code_key
from leadflow.campaigns.models import Campaign
from leadflow.capture.forms import definition as forms
from leadflow.capture.intake import service as capture_service
from leadflow.capture.models import Capture, Form
from leadflow.clock import now
from leadflow.errors import FieldError, Invalid, NotFound
from leadflow.pages import keyset_page
from leadflow.tracking import service as tracking_service

DEFINITION_KEYS = ("slug", "name", "languages", "title", "submit_label", "fields", "consents", "honeypot",
                   "thank_you", "redirect_url", "allowed_origins", "active")


def definition_of(form: Form) -> dict:
    return {key: getattr(form, key) for key in DEFINITION_KEYS}


def _campaign_id(values: dict, current: int | None, *, session: Session) -> int | None:
    code = values.pop("campaign", None)
    if "campaign_id" in values:
        current = values.pop("campaign_id")
        if current is not None and session.get(Campaign, current) is None:
            raise Invalid.one("campaign_id", "no such campaign")
    if code:
        current = session.scalar(select(Campaign.id).where(Campaign.code_key == code_key(code)))
        if current is None:
            raise Invalid.one("campaign", "no campaign with this code")
    return current


def _languages(values: dict, current: list[str]) -> list[str]:
    default = values.pop("default_language", None) or (current[0] if current else "en")
    others = values.pop("languages", None)
    if others is None:
        others = current[1:]
    return [default, *others]


def _free_slug(name: str, *, session: Session) -> str:
    base = forms.slugify(name)
    taken = set(session.scalars(select(Form.slug).where(Form.slug.like(f"{base}%"))))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _check_slug_free(slug: str, form_id: int | None, *, session: Session) -> None:
    found = session.scalar(select(Form.id).where(Form.slug == slug))
    if found is not None and found != form_id:
        raise Invalid.one("slug", "is taken by another form")


def create(*, session: Session, values: dict) -> Form:
    values = dict(values)
    campaign_id = _campaign_id(values, None, session=session)
    values["languages"] = _languages(values, [])
    if not values.get("slug"):
        values["slug"] = _free_slug(values.get("name") or "", session=session)
    definition = forms.check_definition(values)
    _check_slug_free(definition["slug"], None, session=session)
    moment = now()
    form = Form(**definition, campaign_id=campaign_id, created_at=moment, updated_at=moment)
    _save(form, session=session)
    return form


def _save(form: Form, *, session: Session) -> None:
    """Flush in a savepoint: a form saved at the same moment with the same slug is the client's 422, not a 500."""
    try:
        with session.begin_nested():
            session.add(form)
    except IntegrityError:
        raise Invalid.one("slug", "is taken by another form") from None


def update(*, session: Session, form: Form, values: dict) -> Form:
    values = dict(values)
    campaign_id = _campaign_id(values, form.campaign_id, session=session)
    languages = _languages(values, form.languages)
    definition = forms.check_definition({**definition_of(form), **values, "languages": languages})
    _check_slug_free(definition["slug"], form.id, session=session)
    for key, value in definition.items():
        setattr(form, key, value)
    form.campaign_id = campaign_id
    form.updated_at = now()
    _save(form, session=session)
    return form


def get(form_id: int, *, session: Session) -> Form:
    form = session.get(Form, form_id)
    if form is None:
        raise NotFound("form", form_id)
    return form


def page(*, session: Session, active: bool | None, cursor: str | None, limit: int) -> tuple[list[Form], str | None]:
    query = select(Form)
    if active is not None:
        query = query.where(Form.active == active)
    return keyset_page(session, query, Form.id, cursor=cursor, limit=limit)


def by_slug(slug: str, *, session: Session) -> Form | None:
    """The active form at /f/{slug}, or None."""
    return session.scalar(select(Form).where(Form.slug == slug, Form.active.is_(True)))


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="leadflow.forms.shown")


def shown_token(form: Form, *, secret_key: str) -> str:
    """Signed (form, moment shown), put in the rendered form to notice a post faster than a person."""
    return _signer(secret_key).dumps([form.id, int(now().timestamp())])


def _shown_at(form: Form, token: str | None, secret_key: str) -> float | None:
    if not token:
        return None
    try:
        form_id, moment = _signer(secret_key).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return float(moment) if form_id == form.id and isinstance(moment, int) else None


def submit(*, session: Session, form: Form, capture: Capture, values: dict[str, str], language: str,
           secret_key: str, default_country: str | None) -> capture_service.Outcome:
    """Read a stored post into a lead. A bot's post is kept as rejected yet must be answered as accepted."""
    definition = definition_of(form)
    if forms.is_spam(definition, values):
        return capture_service.reject(capture, [FieldError("honeypot", "the hidden honeypot field was filled in")])
    if forms.filled_too_fast(_shown_at(form, values.get("_ts"), secret_key), now().timestamp()):
        return capture_service.reject(capture, [FieldError("timing", "sent back sooner after the form was shown"
                                                                     " than a person can fill it in")])
    submission, errors = forms.read_post(definition, values, language)
    if errors:
        return capture_service.reject(capture, errors)
    outcome = capture_service.process(capture, submission, session=session, default_country=default_country,
                                      campaign_id=form.campaign_id)
    if outcome.lead_id is not None and outcome.outcome in ("created", "merged"):
        tracking_service.record_form_submit(session=session, lead_id=outcome.lead_id, capture_id=capture.id,
                                            form=form.slug,
                                            url=values.get("landing_page") or None)
    return outcome


def is_bot(outcome: capture_service.Outcome) -> bool:
    return outcome.outcome == "rejected" and any(e.field in ("honeypot", "timing") for e in outcome.errors)
