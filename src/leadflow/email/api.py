"""Email's JSON routes under /api/v1/email: templates (with preview and test send), messages (queue one, the log,
requeue), settings, per-domain limits, suppressions, bounces. Holders of email:read read; email:manage changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadflow import mail
from leadflow.email import queries, sender, template_service
from leadflow.email import service as email_service
from leadflow.email import settings_service as email_settings
from leadflow.email.models import EmailMessage
from leadflow.email.schemas import (DomainLimitIn, MessageIn, MessageOut, SettingsIn, SuppressionIn, TemplateIn,
                                    TemplateOut, TemplatePatch, TestSend)
from leadflow.errors import NotFound
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/email", tags=["email"])
Reader = Annotated[Actor, permitted("email:read")]
Manager = Annotated[Actor, permitted("email:manage")]
STATUSES = "queued|sending|sent|skipped|bounced|failed|unconfirmed"


@router.get("/templates", response_model=list[TemplateOut])
def list_templates(session: DbSession, actor: Reader):
    return queries.template_list(session=session)


@router.post("/templates", response_model=TemplateOut, status_code=201)
@retry_races
def create_template(payload: TemplateIn, session: DbSession, actor: Manager):
    """A template: the body is MJML (https://mjml.io) personalised with {{ first_name | default("there") }};
    one that does not compile is a 422 naming the field and the line."""
    template = template_service.create(payload.model_dump(), session=session, user_id=actor.user_id)
    session.commit()
    return template


@router.get("/templates/{template_id}", response_model=TemplateOut)
def get_template(template_id: Id, session: DbSession, actor: Reader):
    return template_service.get(template_id, session=session)


@router.patch("/templates/{template_id}", response_model=TemplateOut)
@retry_races
def update_template(template_id: Id, payload: TemplatePatch, session: DbSession, actor: Manager):
    """Change some fields; a change makes a new version (messages keep the version they were sent with)."""
    template = template_service.get(template_id, session=session)
    template = template_service.update(template, payload.model_dump(exclude_unset=True), session=session,
                                       user_id=actor.user_id)
    session.commit()
    return template


@router.delete("/templates/{template_id}", status_code=204)
@retry_races
def delete_template(template_id: Id, session: DbSession, actor: Manager):
    template_service.delete(template_service.get(template_id, session=session), session=session)
    session.commit()
    return Response(status_code=204)


@router.get("/templates/{template_id}/preview")
def preview_template(template_id: Id, request: Request, session: DbSession, actor: Reader,
                     lead_id: Annotated[Id | None, Query(gt=0)] = None):
    """The subject, HTML and text as the sample person (or a lead you see) would get them."""
    template = template_service.get(template_id, session=session)
    lead = None
    if lead_id is not None:
        found = leads_queries.visible_lead(actor, lead_id, session=session)
        lead = {name: getattr(found, name, None) for name in ("first_name", "last_name", "email", "company",
                                                              "job_title", "city", "region", "country", "language",
                                                              "phone")} | {"custom": found.custom_fields or {}}
    rendered = template_service.preview(template, session=session, lead=lead,
                                        base_url=request.app.state.settings.base_url)
    return {"subject": rendered.subject, "html": rendered.html, "text": rendered.text}


@router.post("/templates/{template_id}/test", status_code=202)
@retry_races
def test_send(template_id: Id, payload: TestSend, request: Request, session: DbSession, actor: Manager):
    """The sample person's email sent to `to` (subject marked [Test]) by the worker. Each call queues its own email.
    When SMTP is not configured, `warning` says the email waits until it is."""
    template = template_service.get(template_id, session=session)
    key = template_service.test_send(template, payload.to, session=session,
                                     base_url=request.app.state.settings.base_url, user_id=actor.user_id)
    session.commit()
    answer = {"queued": True, "key": key}
    if mail.smtp_server() is None:
        answer["warning"] = f"The email is queued but cannot be sent: {mail.NOT_CONFIGURED}."
    return answer


@router.post("/messages", status_code=201)
@retry_races
def queue_message(payload: MessageIn, session: DbSession, actor: Manager):
    """Queue one message to a lead you see; the sender's pass sends it (consent, suppressions, quiet hours and
    caps respected). The same key twice queues it once (200 with created false)."""
    leads_queries.visible_lead(actor, payload.lead_id, session=session)
    template_service.get(payload.template_id, session=session)
    key = payload.key or f"api:{payload.lead_id}:{payload.template_id}"
    message_id = email_service.queue_message(session=session, key=f"api:{key}" if payload.key else key,
                                             lead_id=payload.lead_id, template_id=payload.template_id,
                                             send_after=payload.send_after)
    session.commit()
    return {"id": message_id, "created": message_id is not None}


@router.get("/messages", response_model=list[MessageOut])
def list_messages(session: DbSession, actor: Reader,
                  status: Annotated[str | None, Query(pattern=f"^({STATUSES})$")] = None,
                  template_id: Annotated[Id | None, Query(gt=0)] = None,
                  lead_id: Annotated[Id | None, Query(gt=0)] = None,
                  before: Annotated[Id | None, Query(gt=0, description="the page after this message id")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """Newest first; each with its status and, when it was not sent, the reason."""
    if lead_id is not None:
        leads_queries.visible_lead(actor, lead_id, session=session)
        return [m for m, _ in queries.lead_messages(lead_id, session=session, limit=limit)]
    visible = None if leads_queries.sees_all(actor) else leads_queries.visible_ids(actor)
    return [m for m, _ in queries.message_log(session=session, status=status, template_id=template_id,
                                              lead_ids=visible, before=before, limit=limit)]


def _visible_message(actor: Actor, message_id: int, session) -> EmailMessage:
    message = session.get(EmailMessage, message_id)
    if message is None or not leads_queries.is_visible(actor, message.lead_id, session=session):
        raise NotFound("email message", message_id)
    return message


@router.get("/messages/{message_id}", response_model=MessageOut)
def get_message(message_id: Id, session: DbSession, actor: Reader):
    return _visible_message(actor, message_id, session)


@router.post("/messages/{message_id}/requeue")
@retry_races
def requeue_message(message_id: Id, session: DbSession, actor: Manager):
    """An unconfirmed or failed message queued again (it may then arrive twice: the choice is yours)."""
    _visible_message(actor, message_id, session)
    changed = sender.requeue([message_id], session=session)
    session.commit()
    return {"requeued": bool(changed)}


@router.get("/settings")
def get_email_settings(session: DbSession, actor: Reader):
    row = email_settings.settings_row(session=session)
    return {**{name: getattr(row, name) for name in email_settings.EDITABLE},
            "domain_limits": email_settings.domain_limits(session=session)}


@router.put("/settings")
@retry_races
def put_email_settings(payload: SettingsIn, session: DbSession, actor: Manager):
    """Change any setting (quiet hours in minutes after midnight in the lead's time zone, else `time_zone`). Null sets
    from_name, from_address, time_zone, cap_days and bounce_imap_folder back to their defaults ("", "", UTC, 7,
    INBOX) and clears the others; texts with control characters, an address that is not one, or quiet hours
    outside 0-1439 are a 422 naming the field."""
    email_settings.update(payload.model_dump(exclude_unset=True), session=session)
    session.commit()
    return get_email_settings(session, actor)


@router.put("/domains/{domain}")
@retry_races
def put_domain_limit(domain: str, payload: DomainLimitIn, session: DbSession, actor: Manager):
    email_settings.set_domain_limit(domain, payload.per_minute, session=session)
    session.commit()
    return {"domain": domain.lower(), "per_minute": payload.per_minute}


@router.delete("/domains/{domain}", status_code=204)
@retry_races
def delete_domain_limit(domain: str, session: DbSession, actor: Manager):
    email_settings.set_domain_limit(domain, None, session=session)
    session.commit()
    return Response(status_code=204)


@router.get("/suppressions")
def list_suppressions(session: DbSession, actor: Reader):
    return [{"address": s.address, "reason": s.reason, "detail": s.detail, "at": s.at}
            for s in queries.suppressions(session=session)]


@router.post("/suppressions", status_code=201)
@retry_races
def add_suppression(payload: SuppressionIn, session: DbSession, actor: Manager):
    added = email_settings.suppress(payload.address, "manual", payload.detail, session=session)
    session.commit()
    return {"address": payload.address.strip().lower(), "added": added}


@router.delete("/suppressions/{address}", status_code=204)
@retry_races
def delete_suppression(address: str, session: DbSession, actor: Manager):
    if not email_settings.unsuppress(address, session=session):
        raise NotFound("suppressed address", address)
    session.commit()
    return Response(status_code=204)
