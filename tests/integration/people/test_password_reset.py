"""Password reset by email: the message goes through the outbox and the worker to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from leadflow import clock, events, worker
from leadflow.outbox import OutboxMessage
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in


def ask_for_reset(client, email: str):
    token = form_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": email, "csrf_token": token})


def reset_link(inbox) -> str:
    body = inbox.messages[-1][1].get_content()
    return urlsplit(re.search(r"(https?://\S+/password/reset/\S+)", body).group(1)).path


def choose(client, link: str, password: str, confirm: str | None = None):
    token = form_token(client, link)
    return client.post(link, data={"password": password, "confirm": confirm or password, "csrf_token": token},
                       follow_redirects=False)


def test_a_reset_link_arrives_by_email_works_once_and_the_new_password_signs_in(client, factory, smtp):
    rep = person(factory, "sales_rep")
    answer = ask_for_reset(client, rep.email)
    assert answer.status_code == 200 and "If an account exists" in answer.text
    assert worker.drain(factory) >= 1
    (recipients, message), = smtp.messages
    assert recipients == [rep.email] and message["From"] == "crm@example.com"
    assert message["Subject"] == "Reset your leadflow password"
    link = reset_link(smtp)
    assert choose(client, link, "short", "short").status_code == 422
    assert choose(client, link, "a brand new passphrase", "something else").status_code == 422
    done = choose(client, link, "a brand new passphrase")
    assert done.status_code == 303 and done.headers["location"] == "/login"
    again = client.get(link)
    assert again.status_code == 400 and "expired or was already used" in again.text
    assert choose_blind(client, link).status_code == 400
    assert sign_in(client, rep.email).status_code == 401  # the old password is gone
    assert sign_in(client, rep.email, "a brand new passphrase").status_code == 303


def choose_blind(client, link: str):
    token = form_token(client, "/login")
    return client.post(link, data={"password": "another new passphrase", "confirm": "another new passphrase",
                                   "csrf_token": token})


def test_a_reset_link_expires_after_an_hour(client, factory, smtp):
    rep = person(factory, "sales_rep")
    ask_for_reset(client, rep.email)
    worker.drain(factory)
    link = reset_link(smtp)
    later = clock.now() + timedelta(minutes=61)
    clock.set_clock(lambda: later)
    try:
        assert client.get(link).status_code == 400
    finally:
        clock.set_clock(None)
    assert client.get(link).status_code == 200


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, factory, session, smtp):
    rep = person(factory, "sales_rep")
    known, unknown = ask_for_reset(client, rep.email), ask_for_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(rep.email, "X") == unknown.text.replace("nobody@example.com", "X")
    queued = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == events.EMAIL_SEND)).all()
    assert [m.payload["to"] for m in queued] == [rep.email]
    worker.drain(factory)
    assert [r for r, _ in smtp.messages] == [[rep.email]]


def test_a_reset_lifts_the_lockout_and_ends_other_sessions(app, client, factory, smtp):
    from fastapi.testclient import TestClient

    rep = person(factory, "sales_rep")
    with TestClient(app) as laptop:
        assert sign_in(laptop, rep.email).status_code == 303
        for _ in range(5):
            sign_in(client, rep.email, "wrong password!")
        assert sign_in(client, rep.email).status_code == 429
        ask_for_reset(client, rep.email)
        worker.drain(factory)
        assert choose(client, reset_link(smtp), "a brand new passphrase").status_code == 303
        assert laptop.get("/", follow_redirects=False).status_code == 303
    assert sign_in(client, rep.email, "a brand new passphrase").status_code == 303
