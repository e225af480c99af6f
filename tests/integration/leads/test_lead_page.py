"""The lead page: profile edited in place, timeline, notes, consents, company hierarchy, captures; who may see it."""

from __future__ import annotations

import json
import re

from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}


def capture(client, auth, **fields) -> int:
    r = client.post("/api/v1/leads", headers=auth, json=fields)
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def test_the_lead_page_shows_profile_timeline_consents_company_and_captures(client, auth, factory):
    group = client.post("/api/v1/companies", headers=auth, json={"name": "Nordwind Group"}).json()
    company = client.post("/api/v1/companies", headers=auth,
                          json={"name": "Nordwind Benelux", "parent_id": group["id"]}).json()
    child = client.post("/api/v1/companies", headers=auth,
                        json={"name": "Nordwind Antwerpen", "parent_id": company["id"]}).json()
    lead_id = capture(client, auth, first_name="Ines", last_name="<b>Vos</b>", email="ines@nordwind.example",
                      company="Nordwind Benelux", do_not_contact=True, utm_campaign="spring-fair",
                      consents=[{"purpose": "newsletter", "granted": True, "text": "Send me the monthly news"}])
    sign_in(client, person(factory, "marketing").email)
    page = client.get(f"/leads/{lead_id}")
    assert page.status_code == 200
    text = page.text
    assert "&lt;b&gt;Vos&lt;/b&gt;" in text and "<b>Vos</b>" not in text
    assert "ines@nordwind.example" in text and "Do not contact." in text
    assert "Captured through api" in text  # the timeline
    assert "Send me the monthly news" in text and "newsletter" in text
    for c in (group, company, child):
        assert f'href="/companies/{c["id"]}"' in text
    tree = text[text.index('id="company-title"'):]
    assert tree.index("Nordwind Group") < tree.index("Nordwind Benelux") < tree.index("Nordwind Antwerpen")
    assert f'hx-get="/leads/{lead_id}/captures" hx-trigger="load"' in text
    assert f'href="/leads/{lead_id}/captures"' in text  # the link without JavaScript

    captures = client.get(f"/leads/{lead_id}/captures", headers=HTMX)
    assert captures.status_code == 200 and "<html" not in captures.text
    assert "Raw captures" in captures.text and "&#34;email&#34;: &#34;ines@nordwind.example&#34;" in captures.text
    assert "<html" in client.get(f"/leads/{lead_id}/captures").text


def test_an_edit_in_place_changes_the_lead_is_kept_from_intake_and_shows_in_the_timeline(client, auth, factory):
    lead_id = capture(client, auth, first_name="Jan", last_name="Smit", email="jan@smit.example", job_title="Buyer")
    marketer = person(factory, "marketing")
    sign_in(client, marketer.email)

    form = client.get(f"/leads/{lead_id}/edit/person", headers=HTMX)
    assert form.status_code == 200 and 'name="job_title" value="Buyer"' in form.text
    token = form_token(client, f"/leads/{lead_id}")
    r = client.post(f"/leads/{lead_id}/edit/person", headers=HTMX,
                    data={"csrf_token": token, "first_name": "Jan", "last_name": "Smit", "job_title": "Head of IT"})
    assert r.status_code == 200 and "Saved job title." in r.text and "Head of IT" in r.text
    assert json.loads(r.headers["HX-Trigger"]) == {"lead-changed": {"panel": "section-person"}}
    record = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert record["job_title"] == "Head of IT" and "job_title" in record["manual_fields"]

    # A later capture of the same person does not overwrite what a person typed.
    capture(client, auth, email="jan@smit.example", job_title="Intern", city="Utrecht")
    record = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert (record["job_title"], record["city"]) == ("Head of IT", "Utrecht")

    timeline = client.get(f"/leads/{lead_id}/timeline", headers=HTMX).text
    assert "Changed job_title" in timeline and "Buyer" in timeline and "Head of IT" in timeline
    assert f"by marketing {marketer.email}" in timeline


def test_an_edit_without_javascript_redirects_and_a_bad_value_is_refused_beside_its_field(client, auth, factory):
    lead_id = capture(client, auth, first_name="Kim", email="kim@lee.example")
    sign_in(client, person(factory, "marketing").email)
    page = client.get(f"/leads/{lead_id}/edit/contact")
    assert page.status_code == 200 and "<html" in page.text
    token = form_token(client, f"/leads/{lead_id}/edit/contact")
    bad = client.post(f"/leads/{lead_id}/edit/contact", data={"csrf_token": token, "email": "kim@", "phone": ""})
    assert bad.status_code == 422 and 'id="lead-email-error"' in bad.text and 'value="kim@"' in bad.text
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["email"] == "kim@lee.example"
    r = client.post(f"/leads/{lead_id}/edit/contact", follow_redirects=False,
                    data={"csrf_token": token, "email": "kim@lee.example", "phone": "+44 20 7946 0958",
                          "do_not_contact": "on"})
    assert r.status_code == 303 and r.headers["location"] == f"/leads/{lead_id}#section-contact"
    record = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert record["phone"] == "+442079460958" and record["do_not_contact"] is True
    assert "Saved phone, do not contact." in client.get(f"/leads/{lead_id}").text


def test_a_note_appears_in_the_timeline(client, auth, factory):
    lead_id = capture(client, auth, email="note@taker.example")
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, f"/leads/{lead_id}")
    r = client.post(f"/leads/{lead_id}/notes", headers=HTMX,
                    data={"csrf_token": token, "text": "Called: <wants> a quote\nby Friday"})
    assert r.status_code == 200 and "Note added." in r.text
    assert "Called: &lt;wants&gt; a quote\nby Friday" in r.text
    activities = client.get(f"/api/v1/leads/{lead_id}/activities", headers=auth).json()
    assert activities[0]["kind"] == "note"
    empty = client.post(f"/leads/{lead_id}/notes", headers=HTMX, data={"csrf_token": token, "text": "  "})
    assert empty.status_code == 422 and "Write the note first." in empty.text
    plain = client.post(f"/leads/{lead_id}/notes", data={"csrf_token": token, "text": "Second"},
                        follow_redirects=False)
    assert plain.status_code == 303 and "Second" in client.get(f"/leads/{lead_id}").text


def test_a_sales_rep_opening_another_reps_lead_gets_404_on_the_page_and_its_fragments(client, auth, factory):
    mine, theirs = person(factory, "sales_rep"), person(factory, "sales_rep")
    own_id = lead(client, auth, owner=mine)
    other_id = lead(client, auth, owner=theirs)
    sign_in(client, mine.email)
    assert client.get(f"/leads/{own_id}").status_code == 200
    for path in (f"/leads/{other_id}", f"/leads/{other_id}/captures", f"/leads/{other_id}/duplicates",
                 f"/leads/{other_id}/timeline", f"/leads/{other_id}/edit/person", "/leads/999999"):
        assert client.get(path, headers=HTMX).status_code == 404, path
    token = form_token(client, f"/leads/{own_id}")
    assert client.post(f"/leads/{other_id}/notes", data={"csrf_token": token, "text": "x"}).status_code == 404
    assert client.post(f"/leads/{other_id}/edit/person",
                       data={"csrf_token": token, "first_name": "x"}).status_code == 404


def test_a_merged_away_lead_redirects_to_its_survivor(client, auth, factory):
    a = capture(client, auth, first_name="Lea", email="lea@one.example")
    b = capture(client, auth, first_name="Lea", email="lea@two.example")
    assert client.post(f"/api/v1/leads/{a}/merge", headers=auth, json={"other_id": b}).status_code == 201
    sign_in(client, person(factory, "marketing").email)
    r = client.get(f"/leads/{b}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/leads/{a}"


def test_every_post_of_the_lead_page_needs_the_csrf_token(client, auth, factory):
    lead_id = capture(client, auth, email="csrf@lead.example")
    sign_in(client, person(factory, "marketing").email)
    assert client.post(f"/leads/{lead_id}/notes", data={"text": "x"}).status_code == 403
    assert client.post(f"/leads/{lead_id}/edit/person", data={"first_name": "x"}).status_code == 403
    assert client.post(f"/leads/{lead_id}/unmerge", data={}).status_code == 403
    assert client.get(f"/api/v1/leads/{lead_id}/activities", headers=auth).json()[0]["kind"] == "captured"
    assert re.search("csrf_token", client.get(f"/leads/{lead_id}").text)
