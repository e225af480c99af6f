"""Queueing: each message once by its key, in the caller's transaction, with the template's purpose."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.email import service as email_service
from leadflow.email.models import EmailMessage, EmailTemplate
from leadflow.leads.models import Lead


def _template(session, name="Welcome", purpose="newsletter") -> int:
    row = EmailTemplate(name=name, subject="Hello", body_mjml="<mjml><mj-body></mj-body></mjml>", purpose=purpose)
    session.add(row)
    session.flush()
    return row.id


def _lead(session, email="ann@example.com") -> int:
    row = Lead(email=email, first_name="Ann")
    session.add(row)
    session.flush()
    return row.id


def test_a_key_queued_twice_is_one_message(session):
    template_id, lead_id = _template(session), _lead(session)
    rows = [{"key": "run:1:s2", "lead_id": lead_id, "template_id": template_id, "journey_run_id": 1,
             "journey_step": "s2"}, {"key": "run:1:s2", "lead_id": lead_id, "template_id": template_id}]
    assert email_service.queue_messages(rows, session=session) == 1
    assert email_service.queue_messages(rows, session=session) == 0
    message = session.scalars(select(EmailMessage)).one()
    assert (message.status, message.purpose, message.journey_step) == ("queued", "newsletter", "s2")


def test_queue_message_returns_the_id_once(session):
    template_id, lead_id = _template(session), _lead(session)
    first = email_service.queue_message(session=session, key="k1", lead_id=lead_id, template_id=template_id)
    assert isinstance(first, int)
    assert email_service.queue_message(session=session, key="k1", lead_id=lead_id, template_id=template_id) is None
