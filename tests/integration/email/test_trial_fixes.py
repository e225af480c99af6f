"""What a day of use found in email, through the API and the pages: settings that refuse null, control characters
and out-of-range quiet hours by field; test sends each with their own key (parallel ones never clash) to a checked
address; the warning when SMTP is not configured; an empty purpose shown empty; the metric's human words; a bounce
nobody can read logged in one line."""

from __future__ import annotations

import itertools
import logging
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow import db
from leadflow.app import create_app
from leadflow.campaigns.models import Campaign
from leadflow.email.models import EmailBounce, EmailTemplate
from leadflow.people import service as people_service
from leadflow.settings import get_settings
from tests.conftest import make_settings
from tests.integration.email.conftest import BODY, SECRET, template
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in


_codes = itertools.count(1)


def _errors(response) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in response.json().get("errors", [])}


@pytest.fixture
def no_smtp(monkeypatch):
    monkeypatch.delenv("LEADFLOW_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# --- 1. settings ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "default"), [("from_name", ""), ("bounce_imap_folder", "INBOX"),
                                                ("from_address", ""), ("time_zone", "UTC"), ("cap_days", 7)])
def test_null_sets_a_setting_that_always_has_a_value_back_to_its_default(client, auth, field, default):
    changed = {"from_name": "Acme", "bounce_imap_folder": "Bounces", "from_address": "news@acme.example",
               "time_zone": "Europe/Helsinki", "cap_days": 3}[field]
    assert client.put("/api/v1/email/settings", headers=auth, json={field: changed}).json()[field] == changed
    back = client.put("/api/v1/email/settings", headers=auth, json={field: None})
    assert back.status_code == 200, back.text
    assert back.json()[field] == default
    assert client.get("/api/v1/email/settings", headers=auth).json()[field] == default


def test_null_clears_a_setting_that_may_be_empty(client, auth):
    client.put("/api/v1/email/settings", headers=auth, json={"reply_to": "help@acme.example"})
    cleared = client.put("/api/v1/email/settings", headers=auth, json={"reply_to": None})
    assert cleared.status_code == 200 and cleared.json()["reply_to"] is None


@pytest.mark.parametrize(("field", "value"), [("reply_to", "help\u0086@acme.example"), ("reply_to", "a\x00b@acme.example"),
                                              ("from_name", "Acme\r\nBcc: all@example.com"), ("from_name", "Ac\u0007me"),
                                              ("bounce_imap_folder", "IN\u0085BOX"), ("reply_to", "not an address")])
def test_texts_with_control_characters_or_not_addresses_are_a_422_naming_the_field(client, auth, field, value):
    before = client.get("/api/v1/email/settings", headers=auth).json()
    bad = client.put("/api/v1/email/settings", headers=auth, json={field: value})
    assert bad.status_code == 422, bad.text
    assert field in _errors(bad)
    assert client.get("/api/v1/email/settings", headers=auth).json() == before


@pytest.mark.parametrize("body", [{"quiet_start": 60, "quiet_end": 1630}, {"quiet_start": -1, "quiet_end": 60},
                                  {"quiet_start": 60, "quiet_end": 1440}, {"quiet_end": 163},
                                  {"quiet_start": 60, "quiet_end": "late"}])
def test_quiet_hours_out_of_range_are_a_422_naming_the_field(client, auth, body):
    bad = client.put("/api/v1/email/settings", headers=auth, json=body)
    assert bad.status_code == 422, bad.text
    assert set(_errors(bad)) & {"quiet_start", "quiet_end"}


def test_quiet_hours_in_range_are_kept(client, auth):
    ok = client.put("/api/v1/email/settings", headers=auth, json={"quiet_start": 1260, "quiet_end": 163})
    assert ok.status_code == 200 and (ok.json()["quiet_start"], ok.json()["quiet_end"]) == (1260, 163)


def test_the_settings_page_refuses_control_characters_and_bad_hours_by_field(client, factory):
    marketing = person(factory, "marketing")
    sign_in(client, marketing.email)
    token = form_token(client, "/settings/email")
    fields = {"csrf_token": token, "from_name": "Acme", "from_address": "news@acme.example", "reply_to": "",
              "quiet_start": "", "quiet_end": "", "time_zone": "UTC", "cap_messages": "", "cap_days": "7",
              "default_per_minute": "", "bounce_imap_host": "", "bounce_imap_user": "", "bounce_imap_folder": ""}
    for name, value in [("reply_to", "help\u0086@acme.example"), ("from_name", "Ac\u0007me"),
                        ("quiet_end", "16:3x"), ("quiet_start", "25:00")]:
        changed = {**fields, name: value}
        if name.startswith("quiet"):
            changed = {**changed, "quiet_start": changed["quiet_start"] or "21:00",
                       "quiet_end": changed["quiet_end"] or "08:00"}
        bad = client.post("/settings/email", data=changed)
        assert bad.status_code == 422, (name, bad.status_code)
        assert f'id="error-{name}"' in bad.text, name
    saved = client.post("/settings/email", data={**fields, "bounce_imap_folder": "", "from_name": ""},
                        follow_redirects=False)
    assert saved.status_code == 303
    got = client.get("/api/v1/email/settings", headers=marketing.headers).json()
    assert (got["from_name"], got["bounce_imap_folder"]) == ("", "INBOX")


# --- 2. and 3. test sends -------------------------------------------------------------------------------------------

def test_the_same_test_send_twice_in_a_second_queues_two_emails(client, auth, factory, smtp):
    template_id = template(client, auth)
    first = client.post(f"/api/v1/email/templates/{template_id}/test", headers=auth, json={"to": "me@example.com"})
    second = client.post(f"/api/v1/email/templates/{template_id}/test", headers=auth, json={"to": "me@example.com"})
    assert (first.status_code, second.status_code) == (202, 202), second.text
    assert first.json()["key"] != second.json()["key"]
    assert "warning" not in first.json()
    from leadflow import worker

    worker.drain(factory)
    assert [recipients for recipients, _ in smtp.messages] == [["me@example.com"], ["me@example.com"]]


@pytest.mark.parametrize("to", ["\u0086w@d", "w@d", "two@example.com, three@example.com", "no-at-sign", "a@b\x00.com"])
def test_a_test_send_to_something_not_an_address_is_a_422_on_to(client, auth, to):
    template_id = template(client, auth)
    bad = client.post(f"/api/v1/email/templates/{template_id}/test", headers=auth, json={"to": to})
    assert bad.status_code == 422, bad.text
    assert "to" in _errors(bad)


def test_parallel_test_sends_to_one_address_never_fail(fresh_database, monkeypatch):
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", SECRET)
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    try:
        with TestClient(create_app(make_settings(fresh_database.url)), raise_server_exceptions=False) as client:
            with db.unit_of_work(db.make_sessionmaker(engine)) as session:
                _, key = people_service.create_api_key(session=session, name="tests")
            auth = {"Authorization": f"Bearer {key}"}
            template_id = template(client, auth)
            start, answers = threading.Barrier(6), []

            def send() -> None:
                start.wait(timeout=60)
                for _ in range(3):
                    answers.append(client.post(f"/api/v1/email/templates/{template_id}/test", headers=auth,
                                               json={"to": "me@example.com"}))

            threads = [threading.Thread(target=send) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
        assert len(answers) == 18
        assert sorted({a.status_code for a in answers}) == [202], [a.text for a in answers if a.status_code != 202]
        assert len({a.json()["key"] for a in answers}) == 18
    finally:
        engine.dispose()


def _campaign(session) -> int:
    code = f"spring-{next(_codes)}"
    campaign = Campaign(name=f"Spring fair {code}", code=code, code_key=code, channel="event")
    session.add(campaign)
    session.commit()
    return campaign.id


def test_without_smtp_the_test_send_and_the_settings_page_say_so(client, auth, factory, session, no_smtp):
    template_id = template(client, auth)
    queued = client.post(f"/api/v1/email/templates/{template_id}/test", headers=auth, json={"to": "me@example.com"})
    assert queued.status_code == 202 and queued.json()["queued"] is True
    assert "SMTP is not configured" in queued.json()["warning"]
    marketing = person(factory, "marketing")
    sign_in(client, marketing.email)
    page = client.get("/settings/email")
    assert 'id="smtp-status"' in page.text and "SMTP is not configured" in page.text
    token = form_token(client, f"/email/templates/{template_id}")
    sent = client.post(f"/email/templates/{template_id}/test", data={"csrf_token": token, "to": "me@example.com"},
                       follow_redirects=True)
    assert "flash-warning" in sent.text and "cannot be sent" in sent.text and "on its way" not in sent.text
    send = client.post("/api/v1/email/sends", headers=auth, json={"name": "Spring", "template_id": template_id,
                                                                 "campaign_id": _campaign(session), "draft": True})
    assert send.status_code == 201, send.text
    assert "SMTP is not configured" in client.get(f"/email/sends/{send.json()['id']}").text


def test_with_smtp_the_settings_page_shows_the_server_never_the_password(client, factory, session, smtp, monkeypatch):
    monkeypatch.setenv("LEADFLOW_SMTP_PASSWORD", "hunter2-secret")
    get_settings.cache_clear()
    marketing = person(factory, "marketing")
    sign_in(client, marketing.email)
    page = client.get("/settings/email").text
    port = get_settings().smtp_port
    assert "SMTP is not configured" not in page and "127.0.0.1" in page and str(port) in page
    assert "hunter2-secret" not in page
    template_id = template(client, marketing.headers)
    token = form_token(client, f"/email/templates/{template_id}")
    sent = client.post(f"/email/templates/{template_id}/test", data={"csrf_token": token, "to": "me@example.com"},
                       follow_redirects=True)
    assert "on its way" in sent.text and "flash-warning" not in sent.text
    send = client.post("/api/v1/email/sends", headers=marketing.headers, json={
        "name": "Spring", "template_id": template_id, "campaign_id": _campaign(session), "draft": True})
    assert "SMTP is not configured" not in client.get(f"/email/sends/{send.json()['id']}").text


# --- 4. an empty purpose ---------------------------------------------------------------------------------------------

def test_a_template_without_purpose_shows_empty_and_never_stores_none(client, auth, factory, session):
    template_id = template(client, auth)
    row = session.get(EmailTemplate, template_id)
    row.purpose = ""
    session.commit()
    marketing = person(factory, "marketing")
    sign_in(client, marketing.email)
    page = client.get(f"/email/templates/{template_id}").text
    assert "no purpose" in page and "purpose None" not in page and 'value="None"' not in page
    assert 'id="purpose" name="purpose" value=""' in page
    assert ">None<" not in client.get("/email/templates").text
    token = form_token(client, f"/email/templates/{template_id}")
    saved = client.post(f"/email/templates/{template_id}", data={
        "csrf_token": token, "name": "Kept", "subject": "Hi", "preheader": "", "body_mjml": BODY, "purpose": ""})
    assert saved.status_code == 422 and 'purpose' in saved.text
    for purpose in ("None", "none", "null"):
        refused = client.post(f"/email/templates/{template_id}", data={
            "csrf_token": token, "name": "Kept", "subject": "Hi", "preheader": "", "body_mjml": BODY, "purpose": purpose})
        assert refused.status_code == 422 and 'id="purpose"' in refused.text
        api = client.patch(f"/api/v1/email/templates/{template_id}", headers=auth, json={"purpose": purpose})
        assert api.status_code == 422 and "purpose" in _errors(api)
    session.expire_all()
    assert session.scalar(select(EmailTemplate.purpose).where(EmailTemplate.id == template_id)) == ""


# --- 7. a bounce nobody can read -------------------------------------------------------------------------------------

def test_a_bounce_the_parser_cannot_read_is_kept_and_logged_in_one_line(client, auth, session, caplog):
    raw = ('Content-Type: text/plain; charset="x-unknown"\n\nThe following addresses had permanent fatal errors\n'
           "<a@b.example>\n")  # flufl.bounce's detectors raise on it (IndexError)
    caplog.set_level(logging.DEBUG)
    answer = client.post("/api/v1/email/bounces", headers={**auth, "Content-Type": "message/rfc822"},
                         content=raw.encode())
    assert answer.status_code == 200, answer.text
    assert answer.json()["kind"] == "unknown"
    loud = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, loud
    assert not [r for r in caplog.records if r.name.startswith("flufl")]
    told = [r for r in caplog.records if r.name == "leadflow.email.bounces"]
    assert len(told) == 1 and told[0].levelno == logging.WARNING and "could not be read" in told[0].getMessage()
    stored = session.get(EmailBounce, answer.json()["id"])
    assert stored.raw == raw and stored.outcome.startswith("could not be read")
