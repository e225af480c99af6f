"""Reads of the email stage: message outcomes for journeys and sends, a lead's messages, the message log, counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.email import render
from leadflow.email.models import EmailBounce, EmailExperiment, EmailMessage, EmailSuppression, EmailTemplate


def outcomes(message_ids, *, session: Session) -> dict[int, dict]:
    """Each message's {status, delivered, bounced, opened, clicked, reason} (ids not found are left out)."""
    ids = list({int(i) for i in message_ids})
    found: dict[int, dict] = {}
    for start in range(0, len(ids), 5000):
        rows = session.execute(select(EmailMessage.id, EmailMessage.status, EmailMessage.sent_at,
                                      EmailMessage.bounce_kind, EmailMessage.opened_at, EmailMessage.clicked_at,
                                      EmailMessage.reason).where(EmailMessage.id.in_(ids[start:start + 5000])))
        for message_id, status, sent_at, bounce_kind, opened_at, clicked_at, reason in rows:
            found[message_id] = {"status": status, "delivered": sent_at is not None and bounce_kind != "hard",
                                 "bounced": bounce_kind == "hard", "soft_bounced": bounce_kind == "soft",
                                 "opened": opened_at is not None or clicked_at is not None,
                                 "clicked": clicked_at is not None, "reason": reason}
    return found


def messages_of_runs(run_ids, *, session: Session) -> dict[int, dict[str, int]]:
    """Journey run -> {its step's id -> the message that step queued}."""
    ids = list({int(i) for i in run_ids})
    found: dict[int, dict[str, int]] = {}
    for start in range(0, len(ids), 5000):
        for run_id, step, message_id in session.execute(
                select(EmailMessage.journey_run_id, EmailMessage.journey_step, EmailMessage.id)
                .where(EmailMessage.journey_run_id.in_(ids[start:start + 5000])).order_by(EmailMessage.id)):
            found.setdefault(run_id, {})[step] = message_id
    return found


def lead_messages(lead_id: int, *, session: Session, limit: int = 50) -> list[tuple[EmailMessage, str]]:
    """A lead's messages, newest first, with their template's name."""
    return [tuple(row) for row in session.execute(
        select(EmailMessage, EmailTemplate.name).join(EmailTemplate, EmailTemplate.id == EmailMessage.template_id)
        .where(EmailMessage.lead_id == lead_id).order_by(EmailMessage.queued_at.desc(), EmailMessage.id.desc())
        .limit(limit))]


def message_log(*, session: Session, status: str | None = None, template_id: int | None = None,
                lead_ids=None, before: int | None = None, limit: int = 100) -> list[tuple[EmailMessage, str]]:
    """The message log, newest first (by id), filtered; `before`: the page after the one ending at that id.
    `lead_ids`: a select of the lead ids the reader may see (None: every lead)."""
    query = (select(EmailMessage, EmailTemplate.name)
             .join(EmailTemplate, EmailTemplate.id == EmailMessage.template_id)
             .order_by(EmailMessage.id.desc()).limit(limit))
    if status:
        query = query.where(EmailMessage.status == status)
    if template_id:
        query = query.where(EmailMessage.template_id == template_id)
    if lead_ids is not None:
        query = query.where(EmailMessage.lead_id.in_(lead_ids))
    if before:
        query = query.where(EmailMessage.id < before)
    return [tuple(row) for row in session.execute(query)]


def status_counts(*, session: Session, template_id: int | None = None, lead_ids=None) -> dict[str, int]:
    """Messages by status; `lead_ids`: a select of the lead ids the reader may see (None: every lead)."""
    query = select(EmailMessage.status, func.count()).group_by(EmailMessage.status)
    if template_id:
        query = query.where(EmailMessage.template_id == template_id)
    if lead_ids is not None:
        query = query.where(EmailMessage.lead_id.in_(lead_ids))
    return dict(session.execute(query).all())


def counts_by_template(*, session: Session) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    for template_id, status, count in session.execute(
            select(EmailMessage.template_id, EmailMessage.status, func.count())
            .group_by(EmailMessage.template_id, EmailMessage.status)):
        found.setdefault(template_id, {})[status] = count
    return found


def template_list(*, session: Session) -> list[EmailTemplate]:
    return list(session.scalars(select(EmailTemplate).order_by(EmailTemplate.name)))


def templates_linking_survey(key: str, *, session: Session) -> list[str]:
    """The names of the templates whose subject, preheader or body links the survey with this key
    (`survey_link("key")`), by name: a survey they use must not be deleted from under them."""
    if not key:
        return []
    maybe = (EmailTemplate.subject.contains(key, autoescape=True)
             | EmailTemplate.preheader.contains(key, autoescape=True)
             | EmailTemplate.body_mjml.contains(key, autoescape=True))
    rows = session.execute(select(EmailTemplate.name, EmailTemplate.subject, EmailTemplate.preheader,
                                  EmailTemplate.body_mjml).where(maybe).order_by(EmailTemplate.name))
    return [name for name, *texts in rows if any(key in render.survey_keys(text or "") for text in texts)]


def template_choices(*, session: Session) -> list[tuple[int, str]]:
    return [tuple(r) for r in session.execute(select(EmailTemplate.id, EmailTemplate.name)
                                              .order_by(EmailTemplate.name))]


def experiment_choices(*, session: Session) -> list[tuple[int, str]]:
    """The A/B tests a journey's send_email step may name, newest first."""
    return [tuple(r) for r in session.execute(select(EmailExperiment.id, EmailExperiment.name)
                                              .order_by(EmailExperiment.id.desc()))]


def suppressions(*, session: Session, limit: int = 500) -> list[EmailSuppression]:
    return list(session.scalars(select(EmailSuppression).order_by(EmailSuppression.at.desc()).limit(limit)))


def recent_bounces(*, session: Session, limit: int = 50) -> list[EmailBounce]:
    return list(session.scalars(select(EmailBounce).order_by(EmailBounce.id.desc()).limit(limit)))


def due_count(*, session: Session, at: datetime) -> int:
    return session.scalar(select(func.count()).select_from(EmailMessage).where(
        EmailMessage.status == "queued", EmailMessage.send_after <= at)) or 0
