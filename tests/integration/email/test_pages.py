"""Email's pages and API as marketing, a manager and a rep use them: the template editor (problems by field and line,
a new version per change, the preview in a sandboxed frame), the message log with the reason, the lead page's panel,
the settings page, permissions."""

from __future__ import annotations

import re

from tests.integration.email.conftest import BODY, NOON, at, lead, queue, send_pass
from tests.integration.people.factories import person, team
from tests.integration.people.pages import form_token, sign_in


def _errors(response) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in response.json().get("errors", [])}


def test_a_template_that_does_not_compile_is_a_422_naming_the_field_and_line(client, factory):
    marketing = person(factory, "marketing")
    bad = client.post("/api/v1/email/templates", headers=marketing.headers, json={
        "name": "Broken", "subject": "Hi {{ first_name", "body_mjml": "<mjml><mj-body>\n{% for %}</mj-body></mjml>"})
    assert bad.status_code == 422
    errors = _errors(bad)
    assert errors["subject"].startswith("line 1:") and errors["body_mjml"].startswith("line 2:")
    missing = client.post("/api/v1/email/templates", headers=marketing.headers, json={"name": "x"})
    assert missing.status_code == 422 and {"subject", "body_mjml"} <= set(_errors(missing))


def test_a_template_that_fails_for_every_lead_is_refused_at_save_not_when_a_send_goes_out(client, factory):
    marketing = person(factory, "marketing")
    bad = client.post("/api/v1/email/templates", headers=marketing.headers, json={
        "name": "Divides", "subject": "{{ 1 / 0 }}", "body_mjml": "<mjml><mj-body>{{ 10 // 0 }}</mj-body></mjml>"})
    assert bad.status_code == 422
    assert {"subject", "body_mjml"} <= set(_errors(bad)) and "ZeroDivisionError" in _errors(bad)["subject"]
    good = client.post("/api/v1/email/templates", headers=marketing.headers, json={
        "name": "Fine", "subject": "Hi {{ first_name | default('there') }} {{ custom.seats + 1 }}", "body_mjml": BODY})
    assert good.status_code == 201, good.text
    changed = client.patch(f"/api/v1/email/templates/{good.json()['id']}", headers=marketing.headers,
                           json={"subject": "{{ 1 / 0 }}"})
    assert changed.status_code == 422 and "subject" in _errors(changed)
    kept = client.get(f"/api/v1/email/templates/{good.json()['id']}", headers=marketing.headers).json()
    assert kept["version"] == 1 and kept["subject"].startswith("Hi ")


def test_marketing_edits_a_template_each_change_a_new_version_and_a_rep_cannot(client, factory):
    marketing, rep = person(factory, "marketing"), person(factory, "sales_rep")
    manager = person(factory, "sales_manager")
    created = client.post("/api/v1/email/templates", headers=marketing.headers,
                          json={"name": "Welcome", "subject": "Hi", "body_mjml": BODY})
    assert created.status_code == 201 and created.json()["version"] == 1
    template_id = created.json()["id"]
    changed = client.patch(f"/api/v1/email/templates/{template_id}", headers=marketing.headers,
                           json={"subject": "Hello {{ first_name }}"})
    assert changed.json()["version"] == 2
    assert client.patch(f"/api/v1/email/templates/{template_id}", headers=marketing.headers,
                        json={"subject": "Hello {{ first_name }}"}).json()["version"] == 2  # nothing changed
    duplicate = client.post("/api/v1/email/templates", headers=marketing.headers,
                            json={"name": "Welcome", "subject": "Hi", "body_mjml": BODY})
    assert duplicate.status_code == 409
    assert client.get("/api/v1/email/templates", headers=rep.headers).status_code == 403
    assert client.get("/api/v1/email/templates", headers=manager.headers).status_code == 200
    assert client.patch(f"/api/v1/email/templates/{template_id}", headers=manager.headers,
                        json={"subject": "x"}).status_code == 403
    preview = client.get(f"/api/v1/email/templates/{template_id}/preview", headers=manager.headers).json()
    assert preview["subject"] == "Hello Alex" and "Hello Alex from Example Ltd" in preview["text"]


def test_the_editor_page_saves_shows_problems_by_field_and_previews_in_a_sandboxed_frame(client, factory):
    marketing = person(factory, "marketing")
    sign_in(client, marketing.email)
    token = form_token(client, "/email/templates/new")
    bad = client.post("/email/templates", data={"csrf_token": token, "name": "News", "subject": "Hi {{",
                                                 "body_mjml": BODY, "purpose": "newsletter", "preheader": ""})
    assert bad.status_code == 422 and 'id="error-subject"' in bad.text and "Line 1" in bad.text
    saved = client.post("/email/templates", data={"csrf_token": token, "name": "News", "subject": "Hi {{ first_name }}",
                                                   "body_mjml": BODY, "purpose": "newsletter", "preheader": "Hello"},
                        follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert page.status_code == 200 and re.search(r"<iframe[^>]*sandbox", page.text)
    frame = re.search(r'<iframe[^>]*src="([^"]+)"', page.text).group(1)
    preview = client.get(frame)
    assert preview.status_code == 200 and "Hello Alex from Example Ltd" in preview.text
    assert preview.headers["content-security-policy"].startswith("sandbox;")
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    draft = client.post("/email/templates/preview", data={"csrf_token": token, "name": "x", "subject": "s",
                                                          "body_mjml": BODY.replace("Hello", "Howdy"),
                                                          "purpose": "marketing", "preheader": ""})
    assert "Howdy Alex" in draft.text and draft.headers["content-security-policy"].startswith("sandbox;")
    no_csrf = client.post("/email/templates", data={"name": "No CSRF", "subject": "s", "body_mjml": BODY})
    assert no_csrf.status_code == 403
    assert "News" in client.get("/email/templates").text


def test_the_message_log_and_the_lead_panel_show_why_a_message_was_not_sent(client, auth, factory, session, smtp):
    at(NOON)
    marketing = person(factory, "marketing")
    template_id = client.post("/api/v1/email/templates", headers=auth,
                              json={"name": "Promo", "subject": "Hi", "body_mjml": BODY}).json()["id"]
    blocked = lead(session, do_not_contact=True)
    fine = lead(session)
    queue(client, auth, blocked, template_id)
    queue(client, auth, fine, template_id)
    session.commit()
    send_pass(factory)
    sign_in(client, marketing.email)
    log = client.get("/email/messages?status=skipped")
    assert log.status_code == 200 and "the lead is marked do not contact" in log.text and "Promo" in log.text
    assert client.get("/email/messages").text.count("status-sent") == 1
    panel = client.get(f"/leads/{blocked}/emails", headers={"HX-Request": "true"})
    assert panel.status_code == 200 and "do not contact" in panel.text and 'id="email-slot"' in panel.text
    assert 'hx-get="/leads/%d/emails"' % fine in client.get(f"/leads/{fine}").text
    api = client.get(f"/api/v1/email/messages?lead_id={blocked}", headers=marketing.headers).json()
    assert [m["reason"] for m in api] == ["the lead is marked do not contact"]

    client.cookies.clear()  # a manager sees neither these leads' messages nor how many there are by status
    manager = person(factory, "sales_manager", team=team(factory, "Mail North"))
    sign_in(client, manager.email)
    log = client.get("/email/messages")
    assert log.status_code == 200 and "status-sent" not in log.text
    assert re.search(r'<option value="skipped"[^>]*>skipped \(0\)', log.text)
    assert re.search(r'<option value="sent"[^>]*>sent \(0\)', log.text)


def test_the_settings_page_saves_quiet_hours_and_names_a_wrong_value(client, factory):
    marketing = person(factory, "marketing")
    rep = person(factory, "sales_rep")
    sign_in(client, rep.email)
    assert client.get("/settings/email").status_code == 403
    sign_in(client, marketing.email)
    token = form_token(client, "/settings/email")
    fields = {"csrf_token": token, "from_name": "Acme", "from_address": "news@acme.example", "reply_to": "",
              "quiet_start": "21:00", "quiet_end": "08:00", "time_zone": "Europe/Helsinki", "cap_messages": "3",
              "cap_days": "7", "default_per_minute": "", "bounce_imap_host": "", "bounce_imap_user": "",
              "bounce_imap_folder": ""}
    bad = client.post("/settings/email", data={**fields, "time_zone": "Mars/Olympus"})
    assert bad.status_code == 422 and 'id="error-time_zone"' in bad.text
    assert client.post("/settings/email", data=fields, follow_redirects=False).status_code == 303
    got = client.get("/api/v1/email/settings", headers=marketing.headers).json()
    assert (got["quiet_start"], got["quiet_end"], got["time_zone"], got["cap_messages"]) == (1260, 480,
                                                                                            "Europe/Helsinki", 3)
    page = client.get("/settings/email")
    assert 'value="21:00"' in page.text and "/api/v1/email/bounces?token=" in page.text
    bad_api = client.put("/api/v1/email/settings", headers=marketing.headers, json={"quiet_start": 2000})
    assert bad_api.status_code == 422 and "quiet_start" in _errors(bad_api)


def test_the_settings_page_sets_a_domains_limit_and_suppresses_and_frees_an_address(client, factory, auth):
    marketing = person(factory, "marketing")
    sign_in(client, marketing.email)
    token = form_token(client, "/settings/email")
    saved = client.post("/settings/email/domains", data={"csrf_token": token, "domain": "pumps.example",
                                                         "per_minute": "30"})
    assert saved.status_code in (200, 303)
    bad = client.post("/settings/email/domains", data={"csrf_token": token, "domain": "pumps.example",
                                                       "per_minute": "lots"}, follow_redirects=True)
    assert bad.status_code == 200 and ("per_minute" in bad.text or "number" in bad.text)
    page = client.get("/settings/email").text
    assert "pumps.example" in page and "30" in page
    client.post("/settings/email/suppressions", data={"csrf_token": token, "address": "gone@pumps.example"})
    listed = client.get("/api/v1/email/suppressions", headers=auth).json()
    assert "gone@pumps.example" in str(listed)
    client.post("/settings/email/suppressions/remove", data={"csrf_token": token, "address": "gone@pumps.example"})
    assert "gone@pumps.example" not in str(client.get("/api/v1/email/suppressions", headers=auth).json())
