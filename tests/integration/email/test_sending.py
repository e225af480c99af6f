"""Sending through a real SMTP server: the headers (List-Unsubscribe one-click, Message-ID from the key), the
personalisation, tracked links and pixel; sent once; opens and clicks come back onto the message."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from leadflow.email.models import EmailMessage
from tests.integration.email.conftest import NOON, at, lead, message, queue, send_pass, template


def test_a_queued_message_goes_once_through_smtp_with_one_click_unsubscribe_headers(client, auth, session, factory,
                                                                                    smtp):
    at(NOON)
    template_id = template(client, auth)
    lead_id = lead(session, first_name="Ann", company="Acme")
    message_id = queue(client, auth, lead_id, template_id, key="welcome-ann")
    send_pass(factory)
    send_pass(factory)

    assert len(smtp.messages) == 1
    recipients, mime = smtp.messages[0]
    assert recipients == [session.get(EmailMessage, message_id).to_address]
    assert mime["Subject"] == "Hi Ann"
    key = "api:welcome-ann"
    assert mime["Message-ID"] == f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}.email@example.com>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://testserver/u/[\w.\-]+>", mime["List-Unsubscribe"])
    html = mime.get_body(("html",)).get_content()
    text = mime.get_body(("plain",)).get_content()
    assert "Hello Ann from Acme" in html and "Hello Ann from Acme" in text
    assert "http://testserver/t/o/" in html  # the open pixel
    assert re.search(r'href="http://testserver/t/c/[^"]+"', html)  # the brochure link, tracked
    assert 'href="https://example.com/brochure' not in html  # only inside the signed token
    assert 'href="http://testserver/u/' in html  # the unsubscribe link itself stays leadflow's own
    got = message(client, auth, message_id)
    assert got["status"] == "sent" and got["sent_at"] and got["subject"] == "Hi Ann" and got["template_version"] == 1


def test_opens_and_clicks_from_tracking_are_set_on_the_message(client, auth, session, factory, smtp):
    at(NOON)
    template_id = template(client, auth)
    message_id = queue(client, auth, lead(session), template_id)
    send_pass(factory)
    html = smtp.messages[0][1].get_body(("html",)).get_content()
    pixel = re.search(r'src="http://testserver(/t/o/[^"]+)"', html).group(1)
    link = re.search(r'href="http://testserver(/t/c/[^"]+)"', html).group(1)
    at(NOON + timedelta(hours=2))  # a person's open, not a scanner's seconds after sending
    browser = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537"}
    assert client.get(pixel, headers=browser).status_code == 200
    from leadflow import worker

    worker.drain(factory)
    got = message(client, auth, message_id)
    assert got["opened_at"] and not got["clicked_at"]
    clicked = client.get(link, headers=browser, follow_redirects=False)
    assert clicked.status_code == 302 and clicked.headers["location"].startswith("https://example.com/brochure")
    worker.drain(factory)
    assert message(client, auth, message_id)["clicked_at"]


def test_the_same_key_queued_twice_sends_one_email(client, auth, session, factory, smtp):
    at(NOON)
    template_id = template(client, auth)
    lead_id = lead(session)
    first = queue(client, auth, lead_id, template_id, key="once")
    again = client.post("/api/v1/email/messages", headers=auth,
                        json={"lead_id": lead_id, "template_id": template_id, "key": "once"})
    assert again.json() == {"id": None, "created": False}
    send_pass(factory)
    assert len(smtp.messages) == 1 and message(client, auth, first)["status"] == "sent"


def test_a_test_send_goes_to_the_address_given_with_sample_data(client, auth, factory, smtp):
    template_id = template(client, auth)
    response = client.post(f"/api/v1/email/templates/{template_id}/test", headers=auth, json={"to": "me@example.com"})
    assert response.status_code == 202
    from leadflow import worker

    worker.drain(factory)
    recipients, mime = smtp.messages[0]
    assert recipients == ["me@example.com"] and mime["Subject"] == "[Test] Hi Alex"
