"""Quick entry: a lead typed at a trade fair or on the phone, through the same intake as the API."""

from __future__ import annotations

import re

from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in


def campaign(client, auth, name: str, code: str) -> int:
    r = client.post("/api/v1/campaigns", headers=auth, json={"name": name, "code": code, "channel": "trade_fair"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def enter(client, **fields):
    token = form_token(client, "/leads/new")
    return client.post("/leads/new", data={"csrf_token": token, **fields}, follow_redirects=False)


def selected_campaign(html: str) -> str | None:
    found = re.search(r'<option value="(\d+)" selected>', html)
    return found.group(1) if found else None


def test_quick_entry_creates_a_lead_and_keeps_the_campaign_chosen_for_the_next(client, auth, factory):
    fair = campaign(client, auth, "Hannover Messe 2026", "HM26")
    campaign(client, auth, "Spring webinar", "WEB26")
    marketer = person(factory, "marketing")
    sign_in(client, marketer.email)

    r = enter(client, first_name="Ann", last_name="Smith", email="ann.smith@acme.example", phone="+31 20 123 4567",
              company="Acme BV", job_title="Buyer", country="Netherlands", campaign=str(fair))
    assert r.status_code == 303
    lead_id = int(r.headers["location"].rsplit("=", 1)[1])

    lead = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert (lead["email"], lead["phone"], lead["country"], lead["channel"], lead["campaign_id"]) == (
        "ann.smith@acme.example", "+31201234567", "NL", "quick_entry", fair)
    captures = client.get(f"/api/v1/leads/{lead_id}/captures", headers=auth).json()
    assert [c["channel"] for c in captures] == ["quick_entry"]

    page = client.get(r.headers["location"])
    assert "Saved Ann Smith (new lead)." in page.text
    assert f'href="/leads/{lead_id}"' in page.text
    assert selected_campaign(page.text) == str(fair)
    assert re.search(r'name="first_name" value=""\s+autocomplete="off" autofocus', page.text)

    # The next lead: the campaign is still chosen without picking it again.
    assert selected_campaign(client.get("/leads/new").text) == str(fair)


def test_quick_entry_with_a_known_email_merges_into_that_lead_and_says_so(client, auth, factory):
    first = client.post("/api/v1/leads", headers=auth, json={"email": "bo@lund.example", "first_name": "Bo"}).json()
    sign_in(client, person(factory, "marketing").email)
    r = enter(client, first_name="Bo", last_name="Lund", email="BO@lund.example", job_title="CTO")
    assert r.status_code == 303 and r.headers["location"] == f"/leads/new?saved={first['id']}"
    page = client.get(r.headers["location"])
    assert "Saved Bo Lund (matched an existing lead)." in page.text
    lead = client.get(f"/api/v1/leads/{first['id']}", headers=auth).json()
    assert (lead["last_name"], lead["job_title"]) == ("Lund", "CTO")
    listed = client.get("/api/v1/leads", headers=auth, params={"email": "bo@lund.example"}).json()["items"]
    assert len(listed) == 1


def test_a_bad_email_answers_422_with_the_error_beside_the_field_and_nothing_lost(client, auth, factory):
    sign_in(client, person(factory, "marketing").email)
    r = enter(client, first_name="Cy", last_name="Berg", email="cy@@berg", company="Berg AS", note="Met at stand 4")
    assert r.status_code == 422
    assert 'id="qe-email-error"' in r.text and 'aria-describedby="qe-email-error"' in r.text
    assert 'value="cy@@berg"' in r.text and 'value="Berg AS"' in r.text and "Met at stand 4" in r.text
    assert client.get("/api/v1/leads", headers=auth, params={"q": "Berg"}).json()["items"] == []


def test_too_little_to_make_a_lead_is_refused_with_the_reason(client, auth, factory):
    sign_in(client, person(factory, "marketing").email)
    r = enter(client, first_name="Dag")
    assert r.status_code == 422
    assert "needs an email, a phone, or a name with a company" in r.text.lower()


def test_a_sales_rep_owns_the_lead_they_enter_and_can_open_it(client, auth, factory):
    rep = person(factory, "sales_rep")
    sign_in(client, rep.email)
    r = enter(client, first_name="Eva", last_name="Holm", phone="+46 70 123 45 67", note="Wants a demo in May",
              consent="yes")
    assert r.status_code == 303
    lead_id = int(r.headers["location"].rsplit("=", 1)[1])
    assert client.get(f"/api/v1/leads/{lead_id}", headers=rep.headers).json()["owner"] == rep.id
    page = client.get(f"/leads/{lead_id}")
    assert page.status_code == 200 and "Wants a demo in May" in page.text
    consents = client.get(f"/api/v1/leads/{lead_id}/consents", headers=auth).json()
    assert [(c["purpose"], c["granted"]) for c in consents] == [("marketing", True)] and consents[0]["text"]


def test_a_double_submit_of_one_entry_makes_one_lead(client, auth, factory):
    sign_in(client, person(factory, "marketing").email)
    page = client.get("/leads/new").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="entry_key" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "entry_key": key, "first_name": "Fay", "email": "fay@once.example"}
    one = client.post("/leads/new", data=data, follow_redirects=False)
    two = client.post("/leads/new", data=data, follow_redirects=False)
    assert one.headers["location"] == two.headers["location"]
    assert len(client.get("/api/v1/captures", headers=auth, params={"channel": "quick_entry"}).json()["items"]) == 1


def test_quick_entry_needs_the_csrf_token_and_the_permission(client, auth, factory):
    sign_in(client, person(factory, "marketing").email)
    r = client.post("/leads/new", data={"email": "gus@nope.example"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/api/v1/leads", headers=auth, params={"email": "gus@nope.example"}).json()["items"] == []
    client.cookies.clear()
    assert client.get("/leads/new", follow_redirects=False).headers["location"] == "/login?next=%2Fleads%2Fnew"
