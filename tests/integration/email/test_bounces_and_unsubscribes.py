"""A hard bounce and an unsubscribe stop later sends (with the reason kept); complaints unsubscribe from everything;
the bounce webhook takes raw DSNs and providers' JSON (stored raw first), the CLI reads .eml and mbox files."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from leadflow.email.models import EmailBounce, EmailMessage
from leadflow.outbox import OutboxMessage
from tests.integration.email import reports
from tests.integration.email.conftest import NOON, at, lead, message, queue, send_pass, template


def _sent(client, auth, session, factory, smtp, *, purpose="marketing"):
    at(NOON)
    template_id = template(client, auth, purpose=purpose)
    lead_id = lead(session)
    message_id = queue(client, auth, lead_id, template_id, key="first")
    send_pass(factory)
    assert message(client, auth, message_id)["status"] == "sent"
    return template_id, lead_id, message_id, session.get(EmailMessage, message_id).to_address


def test_a_hard_bounce_suppresses_the_address_and_later_sends_are_skipped(client, auth, session, factory, smtp):
    template_id, lead_id, message_id, address = _sent(client, auth, session, factory, smtp)
    response = client.post("/api/v1/email/bounces", headers={**auth, "Content-Type": "message/rfc822"},
                           content=reports.dsn(address, message_id))
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "hard" and response.json()["addresses"] == [address]
    bounced = message(client, auth, message_id)
    assert bounced["status"] == "bounced" and bounced["bounce_kind"] == "hard" and "5.1.1" in bounced["reason"]
    published = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "email.bounced")).all()
    assert [(p.payload["message_id"], p.payload["kind"]) for p in published] == [(message_id, "hard")]
    stored = session.scalars(select(EmailBounce)).one()
    assert stored.raw.startswith("From: MAILER-DAEMON") and stored.source == "webhook"

    at(NOON + timedelta(days=1))
    later = queue(client, auth, lead_id, template_id, key="second")
    send_pass(factory)
    skipped = message(client, auth, later)
    assert skipped["status"] == "skipped"
    assert skipped["reason"].startswith(f"the address {address} is suppressed: it bounced hard")
    assert len(smtp.messages) == 1


def test_a_soft_bounce_is_noted_and_sending_goes_on(client, auth, session, factory, smtp):
    template_id, lead_id, message_id, address = _sent(client, auth, session, factory, smtp)
    response = client.post("/api/v1/email/bounces", headers=auth, content=reports.dsn(
        address, message_id, status="4.2.2", action="delayed", diagnostic="smtp; 452 4.2.2 Mailbox full"))
    assert response.status_code == 200
    assert message(client, auth, message_id)["status"] == "sent"
    later = queue(client, auth, lead_id, template_id, key="second")
    send_pass(factory)
    assert message(client, auth, later)["status"] == "sent"


def test_one_click_unsubscribe_stops_later_sends_of_that_purpose(client, auth, session, factory, smtp):
    template_id, lead_id, message_id, _ = _sent(client, auth, session, factory, smtp, purpose="newsletter")
    link = re.fullmatch(r"<http://testserver(/u/[^>]+)>", smtp.messages[0][1]["List-Unsubscribe"]).group(1)
    # RFC 8058: the mail program posts this body, with no cookie and no CSRF token.
    response = client.post(link, content="List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and "unsubscribed from newsletter" in response.text
    assert client.post(link, content="List-Unsubscribe=One-Click").status_code == 200  # twice: still fine
    published = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "email.unsubscribed")).all()
    assert [(p.payload["lead_id"], p.payload["purposes"], p.payload["how"]) for p in published] == [
        (lead_id, ["newsletter"], "one_click")]

    later = queue(client, auth, lead_id, template_id, key="second")
    other = queue(client, auth, lead_id, template(client, auth, purpose="marketing"), key="third")
    send_pass(factory)
    assert message(client, auth, later)["reason"] == "the lead withdrew consent for newsletter"
    assert message(client, auth, other)["status"] == "sent"  # another purpose still goes

    page = client.get(link)
    assert page.status_code == 200
    assert re.search(r'value="newsletter"\s*>', page.text) and re.search(r'value="marketing" checked>', page.text)


def test_the_preference_centre_withdraws_what_is_unticked_and_everything_on_request(client, auth, session, factory,
                                                                                   smtp):
    template_id, lead_id, _, _ = _sent(client, auth, session, factory, smtp)
    link = re.fullmatch(r"<http://testserver(/u/[^>]+)>", smtp.messages[0][1]["List-Unsubscribe"]).group(1)
    saved = client.post(link + "/preferences", data={"purpose": ["marketing", "surveys"], "action": "save"})
    assert saved.status_code == 200 and "Saved" in saved.text
    assert re.search(r'value="newsletter"\s*>', saved.text)
    assert re.search(r'value="surveys" checked>', saved.text)
    everything = client.post(link + "/preferences", data={"action": "all"})
    assert not re.search(r"checked>", everything.text)
    later = queue(client, auth, lead_id, template_id, key="second")
    send_pass(factory)
    assert message(client, auth, later)["reason"] == "the lead withdrew consent for marketing"


def test_a_forged_unsubscribe_link_changes_nothing(client, auth, session, factory, smtp):
    _sent(client, auth, session, factory, smtp)
    assert client.post("/u/WzEsMV0.forged", content="List-Unsubscribe=One-Click").status_code == 404
    assert client.get("/u/WzEsMV0.forged").status_code == 404


def test_a_complaint_suppresses_and_unsubscribes_from_everything(client, auth, session, factory, smtp):
    template_id, lead_id, message_id, address = _sent(client, auth, session, factory, smtp)
    response = client.post("/api/v1/email/bounces", headers=auth, content=reports.arf(address, message_id))
    assert response.json()["kind"] == "complaint"
    published = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "email.unsubscribed")).one()
    assert published.payload["how"] == "complaint" and "marketing" in published.payload["purposes"]
    later = queue(client, auth, lead_id, template(client, auth, purpose="surveys"), key="second")
    send_pass(factory)
    assert message(client, auth, later)["status"] == "skipped"


def test_providers_json_is_read(client, auth, session, factory, smtp):
    _, _, message_id, address = _sent(client, auth, session, factory, smtp)
    ses = {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": [
        {"emailAddress": address, "diagnosticCode": "smtp; 550 no such user"}]},
        "mail": {"headers": [{"name": "X-Leadflow-Message", "value": str(message_id)}]}}
    response = client.post("/api/v1/email/bounces", headers=auth, json=ses)
    assert response.json()["kind"] == "hard"
    assert message(client, auth, message_id)["status"] == "bounced"
    sendgrid = [{"email": "nobody@example.org", "event": "spamreport"}]
    assert client.post("/api/v1/email/bounces", headers=auth, json=sendgrid).json()["kind"] == "complaint"
    listed = client.get("/api/v1/email/suppressions", headers=auth).json()
    assert {(s["address"], s["reason"]) for s in listed} == {(address, "hard_bounce"),
                                                             ("nobody@example.org", "complaint")}


def test_the_webhook_needs_a_key_or_its_token_and_a_body(client, auth):
    assert client.post("/api/v1/email/bounces", content="x").status_code == 401
    assert client.post("/api/v1/email/bounces?token=wrong", content="x").status_code == 401
    assert client.post("/api/v1/email/bounces", params={"token": "\u00e9t\u00e9"}, content="x").status_code == 401
    empty = client.post("/api/v1/email/bounces", headers=auth, content=" ")
    assert empty.status_code == 422 and empty.json()


def test_the_bounce_mailbox_is_read_by_the_worker_each_report_kept_then_deleted(client, auth, session, factory, smtp,
                                                                               monkeypatch):
    from leadflow import events, outbox, worker
    from leadflow.settings import get_settings
    from tests.integration.email import imap

    _, lead_id, message_id, address = _sent(client, auth, session, factory, smtp)
    box = imap.Mailbox([reports.dsn(address, message_id), "From: someone\nSubject: hello\n\nnot a bounce\n"],
                       user="bounces", password="s3cret-from-env")
    server, port = imap.serve(box)
    try:
        monkeypatch.setenv("LEADFLOW_EMAIL_IMAP_PASSWORD", "s3cret-from-env")
        monkeypatch.setenv("LEADFLOW_EMAIL_IMAP_PORT", str(port))
        get_settings.cache_clear()
        assert client.put("/api/v1/email/settings", headers=auth, json={
            "bounce_imap_host": "127.0.0.1", "bounce_imap_user": "bounces"}).status_code == 200
        assert "password" not in client.get("/api/v1/email/settings", headers=auth).text
        with factory() as own:
            outbox.publish(own, events.EMAIL_BOUNCES, {}, key="test-read")
            own.commit()
        worker.drain(factory)
        assert box.logins == [("bounces", "s3cret-from-env")]
        assert box.messages == [None, None]  # both read and deleted
        assert message(client, auth, message_id)["status"] == "bounced"
        kept = session.scalars(select(EmailBounce).order_by(EmailBounce.id)).all()
        assert [(b.source, b.kind) for b in kept] == [("mailbox", "hard"), ("mailbox", "unknown")]
        assert kept[1].outcome == "no bounced address found in it"
    finally:
        server.shutdown()
        server.server_close()


def test_an_unsubscribe_link_of_a_lead_merged_since_unsubscribes_the_lead_it_lives_on_in(client, auth, session,
                                                                                         factory, smtp):
    template_id, merged_id, _, address = _sent(client, auth, session, factory, smtp, purpose="newsletter")
    link = re.fullmatch(r"<http://testserver(/u/[^>]+)>", smtp.messages[0][1]["List-Unsubscribe"]).group(1)
    survivor_id = lead(session, email=address)
    session.commit()
    merged = client.post(f"/api/v1/leads/{survivor_id}/merge", headers=auth, json={"other_id": merged_id})
    assert merged.status_code == 201, merged.text
    response = client.post(link, content="List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and "unsubscribed from newsletter" in response.text
    later = queue(client, auth, survivor_id, template_id, key="after-merge")
    send_pass(factory)
    assert message(client, auth, later)["reason"] == "the lead withdrew consent for newsletter"
    assert re.search(r'value="newsletter"\s*>', client.get(link).text)  # the centre shows the survivor's choice
