"""Managing endpoints: only admins (webhooks:manage) reach the API and the pages; a secret or token never appears
in the API's answers, the pages or the logs once set; bad input is a 422 naming the field."""

from __future__ import annotations

import logging
import re

import pytest

from tests.integration.handoff.conftest import SECRET, endpoint
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in

TOKEN = "sf-token-" + "z" * 30


@pytest.mark.parametrize("role", ["sales_rep", "marketing", "sales_manager", "telemarketer"])
def test_only_admins_manage_webhooks(client, auth, factory, role):
    made = endpoint(client, auth, url="https://hooks.example.com/in", events=["*"], secret=SECRET)
    who = person(factory, role)
    for method, path in (("get", "/api/v1/webhooks"), ("post", "/api/v1/webhooks"),
                         ("get", f"/api/v1/webhooks/{made['id']}"), ("patch", f"/api/v1/webhooks/{made['id']}"),
                         ("delete", f"/api/v1/webhooks/{made['id']}"), ("get", "/api/v1/webhooks/deliveries"),
                         ("post", "/api/v1/webhooks/deliveries/x/replay")):
        kwargs = {"json": {"url": "https://x.example.com"}} if method in ("post", "patch") else {}
        r = getattr(client, method)(path, headers=who.headers, **kwargs)
        assert r.status_code == 403, (method, path, r.status_code)
    assert client.get("/api/v1/webhooks").status_code == 401
    assert sign_in(client, who.email).status_code == 303
    for path in ("/settings/webhooks", f"/settings/webhooks/{made['id']}", "/settings/webhooks/dead"):
        assert client.get(path).status_code == 403, path
    assert "/settings/webhooks" not in client.get("/leads").text


def test_the_secret_is_never_shown_again_in_the_api_pages_or_logs(client, auth, factory, caplog, admin_page):
    with caplog.at_level(logging.DEBUG):
        made = endpoint(client, auth, url="https://hooks.example.com/in", events=["lead.assigned"], secret=SECRET)
        crm = endpoint(client, auth, kind="salesforce", url="https://acme.my.salesforce.com", token=TOKEN)
        answers = [client.get("/api/v1/webhooks", headers=auth).text,
                   client.get(f"/api/v1/webhooks/{made['id']}", headers=auth).text,
                   client.patch(f"/api/v1/webhooks/{made['id']}", headers=auth, json={"active": False}).text,
                   client.patch(f"/api/v1/webhooks/{crm['id']}", headers=auth, json={"token": TOKEN + "2"}).text]
        pages = [admin_page.get(p).text for p in ("/settings/webhooks", f"/settings/webhooks/{made['id']}",
                                                  f"/settings/webhooks/{crm['id']}")]
    for text in [str(made), str(crm), *answers, *pages, caplog.text]:
        assert SECRET not in text and TOKEN not in text
    assert "…kkkk" in pages[0] and "…zzz2" in pages[0]


def test_a_generated_secret_is_shown_once(client, auth, admin_page):
    made = endpoint(client, auth, url="https://hooks.example.com/in", events=["*"])
    secret = made["generated_secret"]
    assert secret and secret.startswith("whsec_")
    assert secret not in client.get(f"/api/v1/webhooks/{made['id']}", headers=auth).text
    token = form_token(admin_page, "/settings/webhooks")
    r = admin_page.post("/settings/webhooks", data={"csrf_token": token, "kind": "webhook", "name": "Warehouse",
                                                    "url": "https://dw.example.com/in", "events": ["lead.assigned"]})
    assert r.status_code == 200 and "shown only this once" in r.text
    shown = re.search(r'<code id="secret-value">([^<]+)</code>', r.text).group(1)
    assert shown.startswith("whsec_") and shown not in admin_page.get("/settings/webhooks").text


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://hooks.example.com", "events": ["*"], "secret": SECRET}, "url"),
    ({"url": "not a url", "events": ["*"], "secret": SECRET}, "url"),
    ({"url": "https://user:pw@hooks.example.com", "events": ["*"], "secret": SECRET}, "url"),
    ({"url": "https://hooks.example.com", "events": ["lead.exploded"], "secret": SECRET}, "events"),
    ({"url": "https://hooks.example.com", "events": [], "secret": SECRET}, "events"),
    ({"url": "https://hooks.example.com", "events": ["*"], "secret": "short"}, "secret"),
    ({"url": "https://hooks.example.com", "events": ["*"], "kind": "pipedrive"}, "kind"),
    ({"url": "https://api.hubapi.com", "kind": "hubspot"}, "token"),
    ({"url": "https://x.my.salesforce.com", "kind": "salesforce", "token": TOKEN,
      "options": {"api_version": "60"}}, "options.api_version"),
    ({"url": "https://x.my.salesforce.com", "kind": "salesforce", "token": TOKEN,
      "options": {"external_id_field": "Bad Field"}}, "options.external_id_field"),
    ({"url": "https://hooks.example.com", "events": ["*"], "colour": "red"}, "colour"),
    ({"url": "http://example.com:abc/", "events": ["*"], "secret": SECRET}, "url"),  # httpx could not send it
    ({"url": "https://api.hubapi.com", "kind": "hubspot", "token": "t\u00f6ken-with-umlaut"}, "token"),
])
def test_bad_input_is_a_422_naming_the_field(client, auth, body, field):
    r = client.post("/api/v1/webhooks", headers=auth, json=body)
    assert r.status_code == 422, r.text
    fields = {e.get("field") or ".".join(str(p) for p in e.get("loc", [])) for e in r.json()["errors"]}
    assert any(f == field or f.endswith(field) for f in fields), r.json()


def test_an_endpoint_is_changed_paused_and_removed(client, auth, admin_page):
    made = endpoint(client, auth, url="https://hooks.example.com/in", events=["*"], secret=SECRET)
    r = client.patch(f"/api/v1/webhooks/{made['id']}", headers=auth,
                     json={"events": ["lead.assigned", "lead.stage_changed"], "active": False})
    assert r.status_code == 200 and r.json()["events"] == ["lead.assigned", "lead.stage_changed"]
    assert r.json()["active"] is False
    bad = client.patch(f"/api/v1/webhooks/{made['id']}", headers=auth, json={"events": ["nope"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "events"
    page = admin_page.get(f"/settings/webhooks/{made['id']}")
    assert page.status_code == 200 and "paused" in page.text
    token = form_token(admin_page, f"/settings/webhooks/{made['id']}")
    r = admin_page.post(f"/settings/webhooks/{made['id']}", data={
        "csrf_token": token, "name": "Renamed", "url": "https://hooks.example.com/v2", "events": ["*"],
        "active": "on"}, follow_redirects=False)
    assert r.status_code == 303
    got = client.get(f"/api/v1/webhooks/{made['id']}", headers=auth).json()
    assert got["name"] == "Renamed" and got["url"].endswith("/v2") and got["active"] and got["events"] == ["*"]
    r = admin_page.post(f"/settings/webhooks/{made['id']}", data={"csrf_token": token, "url": "nope"})
    assert r.status_code == 422 and "field-error" in r.text
    assert client.delete(f"/api/v1/webhooks/{made['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/webhooks/{made['id']}", headers=auth).status_code == 404


def test_the_pages_create_an_endpoint_and_show_errors(admin_page, client, auth):
    token = form_token(admin_page, "/settings/webhooks")
    r = admin_page.post("/settings/webhooks", data={"csrf_token": token, "kind": "webhook", "url": "nope",
                                                    "events": ["lead.exploded"]})
    assert r.status_code == 422 and r.text.count("field-error") >= 2
    r = admin_page.post("/settings/webhooks", data={"csrf_token": token, "kind": "hubspot",
                                                    "url": "https://api.hubapi.com", "secret": TOKEN},
                        follow_redirects=False)
    assert r.status_code == 303
    [made] = client.get("/api/v1/webhooks", headers=auth).json()
    assert made["kind"] == "hubspot" and made["events"] == ["lead.sales_ready"]
    assert admin_page.post("/settings/webhooks", data={"kind": "webhook", "url": "https://x.example.com"}
                           ).status_code == 403  # no CSRF token
