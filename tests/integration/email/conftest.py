"""Email's fixtures: a real SMTP server (aiosmtpd) the worker sends through, the worker signing with the app's
secret, helpers to make templates (through the API) and leads, and to run the sender's pass through the worker."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from leadflow import clock, events, outbox, worker
from leadflow.leads.models import Consent, Lead
from leadflow.settings import get_settings
from tests.integration.live import free_port

SECRET = "test-secret-" + "x" * 40  # the settings fixture's: the app checks what the worker signs
BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ first_name | default("there") }} from {{ company | default("your company") }}</mj-text>
<mj-button href="https://example.com/brochure?x=1&amp;y=2">Get the brochure</mj-button>
<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""
_numbers = itertools.count(1)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def smtp_env(monkeypatch, port: int) -> None:
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false",
                        "SMTP_FROM": "news@example.com", "SECRET_KEY": SECRET,
                        "BASE_URL": "http://testserver"}.items():
        monkeypatch.setenv(f"LEADFLOW_{name}", value)
    get_settings.cache_clear()


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    smtp_env(monkeypatch, port)
    yield inbox
    controller.stop()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def real_clock():
    yield
    clock.set_clock(None)


def at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


def template(client, auth, *, name: str | None = None, purpose: str = "marketing", body: str = BODY,
             subject: str = 'Hi {{ first_name | default("there") }}') -> int:
    response = client.post("/api/v1/email/templates", headers=auth, json={
        "name": name or f"Template {next(_numbers)}", "subject": subject, "body_mjml": body, "purpose": purpose,
        "preheader": "A short note"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def lead(session, *, email: str | None = "auto", first_name: str | None = "Ann", company: str | None = "Acme",
         do_not_contact: bool = False, custom: dict | None = None) -> int:
    address = f"lead{next(_numbers)}@example.com" if email == "auto" else email
    row = Lead(email=address, first_name=first_name, company=company, do_not_contact=do_not_contact,
               custom_fields=custom or {})
    session.add(row)
    session.flush()
    return row.id


def withdraw(session, lead_id: int, purpose: str) -> None:
    session.add(Consent(lead_id=lead_id, purpose=purpose, granted=False, text="no thanks",
                        recorded_at=clock.now()))
    session.flush()


def queue(client, auth, lead_id: int, template_id: int, key: str | None = None) -> int:
    response = client.post("/api/v1/email/messages", headers=auth,
                           json={"lead_id": lead_id, "template_id": template_id, **({"key": key} if key else {})})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def send_pass(factory) -> None:
    """The sender's pass as the worker runs it (its self-booked next pass is not due yet)."""
    with factory() as session:
        outbox.publish(session, events.EMAIL_PASS, {"at": int(clock.now().timestamp())},
                       key=f"test-pass:{next(_numbers)}")
        session.commit()
    worker.drain(factory)


def message(client, auth, message_id: int) -> dict:
    response = client.get(f"/api/v1/email/messages/{message_id}", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
