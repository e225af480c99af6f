"""The routing pages as their users work them: a sales manager edits the rules as YAML, checks and previews them,
saves a version, sets a rep's limits; a rep cannot open the page; the lead page's owner panel says who owns the lead
and why, and lets a manager hand it over; the inbox tells a rep what is new for them."""

from __future__ import annotations

from leadflow import worker
from tests.integration.people.factories import lead, person, team
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}


def _rules(oulu: str) -> str:
    return f'rules:\n  - name: Northern Finland\n    when: city == "Oulu"\n    to: user:{oulu}\n' \
           '  - name: Rest of Finland\n    when: country == "FI"\n    to: team:Finland\n'


def test_a_manager_previews_saves_and_sets_limits_on_the_routing_page(client, auth, factory):
    team(factory, "Finland")
    oulu = person(factory, "sales_rep")
    person(factory, "sales_rep", team="Finland")
    manager = person(factory, "sales_manager")
    lead(client, auth, first_name="Outi", city="Oulu", country="FI")
    lead(client, auth, first_name="<b>Eve</b>", city="Turku", country="FI")
    sign_in(client, manager.email)
    page = client.get("/routing")
    assert page.status_code == 200 and "No rules yet" in page.text
    token = form_token(client, "/routing")

    bad = client.post("/routing/preview", headers=HTMX, data={"csrf_token": token, "text": "rules:\n  - name: X\n"
                                                                                          "    when: cty == 1\n"})
    assert bad.status_code == 422 and "rules[0].when" in bad.text and "rules[0].to" in bad.text
    preview = client.post("/routing/preview", headers=HTMX, data={"csrf_token": token, "text": _rules(oulu.email)})
    assert preview.status_code == 200, preview.text
    assert "2</strong> open leads nobody owns" in preview.text and "Northern Finland: 1" in preview.text
    assert "&lt;b&gt;Eve&lt;/b&gt;" in preview.text and "<b>Eve</b>" not in preview.text  # escaped

    saved = client.post("/routing", data={"csrf_token": token, "text": _rules(oulu.email), "notes": "agreed",
                                          "activate": "on"}, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get("/routing")
    assert "Rules in force: version 1" in page.text and "Northern Finland" in page.text
    assert "can take leads now" in page.text

    limits = client.post(f"/routing/capacities/{oulu.id}", data={"csrf_token": token, "max_open": "0",
                                                                   "max_per_day": "", "weight": "1"},
                         follow_redirects=False)
    assert limits.status_code == 303
    assert "at capacity" in client.get("/routing").text
    wrong = client.post(f"/routing/capacities/{oulu.id}", data={"csrf_token": token, "max_open": "many"},
                        follow_redirects=True)
    assert "At most open: a whole number" in wrong.text

    rep = person(factory, "sales_rep")
    sign_in(client, rep.email)
    assert client.get("/routing").status_code == 403


def test_the_owner_panel_says_why_and_a_manager_hands_the_lead_over(client, auth, factory):
    team(factory, "Finland")
    oulu = person(factory, "sales_rep", team="Finland")
    other = person(factory, "sales_rep", team="Finland")
    assert client.post("/api/v1/routing/rule-sets", headers=auth, json={
        "text": _rules(oulu.email), "activate": True}).status_code == 201
    lead_id = lead(client, auth, first_name="Outi", city="Oulu", country="FI")
    assert client.post(f"/api/v1/leads/{lead_id}/stage", headers=auth, json={"to": "sql"}).status_code == 200
    worker.drain(factory)

    sign_in(client, oulu.email)
    inbox = client.get("/leads")
    assert "1 new lead for you" in inbox.text
    new = client.get("/leads?owner=new")
    assert f"/leads/{lead_id}" in new.text
    opened = client.get(f"/leads/{lead_id}")
    assert opened.status_code == 200 and f'hx-post="/leads/{lead_id}/seen"' in opened.text
    seen = client.post(f"/leads/{lead_id}/seen", headers={"X-CSRF-Token": form_token(client, "/leads")})
    assert seen.status_code == 204  # the page, shown, tells the server: no longer new
    assert "new lead for you" not in client.get("/leads").text
    panel = client.get(f"/leads/{lead_id}/routing", headers=HTMX)
    assert "Owned by" in panel.text and "Northern Finland" in panel.text and "Hand over" not in panel.text

    manager = person(factory, "sales_manager")
    with factory() as session:  # the manager manages the Finland team
        from leadflow.people import service as people_service

        found = people_service.team_by_name("Finland", session=session)
        found.manager_id = manager.id
        session.commit()
    sign_in(client, manager.email)
    token = form_token(client, f"/leads/{lead_id}")
    handed = client.post(f"/leads/{lead_id}/routing/assign", headers=HTMX, data={
        "csrf_token": token, "owner": str(other.id), "note": "Oulu rep away"})
    assert handed.status_code == 200, handed.text
    assert "Handed over." in handed.text and "Oulu rep away" in handed.text
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["owner"] == other.id
    stranger = person(factory, "sales_rep")
    refused = client.post(f"/leads/{lead_id}/routing/assign", headers=HTMX, data={
        "csrf_token": token, "owner": str(stranger.id)})
    assert refused.status_code == 422 and "Choose someone from the list" in refused.text
