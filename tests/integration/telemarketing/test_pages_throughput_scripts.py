"""Throughput and call script pages over HTTP: an agent sees only their own figures, a manager everyone's, against
the list's targets in words, with the chart's figures as a table and a CSV; scripts made and changed in the surveys'
question editor, a change showing its new version."""

from __future__ import annotations

import csv
import io
import re

from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in
from tests.integration.telemarketing.helpers import agents, callable_lead, make_list


def _called(client, auth, factory):
    """Ann and Bob of one team each made calls from a list whose target is 3 calls a day."""
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, name="Target list", targets={"calls": 3})
    ids = [callable_lead(client, auth) for _ in range(3)]
    client.post(f"/api/v1/call-lists/{made['id']}/leads", headers=auth, json={"lead_ids": ids})
    for who, outcome in ((ann, "no_answer"), (ann, "qualified"), (bob, "busy")):
        claim = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=who.headers).json()
        r = client.post(f"/api/v1/call-lists/{made['id']}/calls", headers=who.headers,
                        json={"lead_id": claim["lead"]["id"], "outcome": outcome, "seconds": 120})
        assert r.status_code == 201, r.text
    return made["id"], ann, bob


def test_an_agent_sees_only_their_own_throughput_against_the_target_in_words(client, auth, factory):
    list_id, ann, bob = _called(client, auth, factory)
    sign_in(client, bob.email)
    page = client.get("/call-lists/throughput", params={"period": "today"})
    assert page.status_code == 200
    table = page.text.split('id="throughput"')[1].split("</table>")[0]
    assert bob.email in table and ann.email not in table
    assert "calls 1 of 3: missed" in table
    assert '<figure class="chart chart-bar" id="tp-calls"' in page.text and 'class="list chart-table"' in page.text
    rows = list(csv.DictReader(io.StringIO(client.get("/call-lists/throughput.csv").text)))
    assert [r["agent"] for r in rows] == [f"telemarketer {bob.email}"] and rows[0]["calls"] == "1"


def test_a_manager_sees_every_agents_throughput_and_may_filter_a_list(client, auth, factory):
    list_id, ann, bob = _called(client, auth, factory)
    sign_in(client, person(factory, "sales_manager").email)
    page = client.get("/call-lists/throughput", params={"period": "30d", "call_list_id": list_id})
    table = page.text.split('id="throughput"')[1].split("</table>")[0]
    assert ann.email in table and bob.email in table
    ann_row = next(row for row in table.split("<tr>") if ann.email in row)
    assert re.search(r'<td class="num">2</td><td class="num">1</td><td class="num">1</td>', ann_row)
    assert "50.0 %" in ann_row and "calls 2 of 3: missed" in ann_row
    assert client.get("/call-lists/throughput", params={"period": "year"}).status_code == 422
    on_list = client.get(f"/call-lists/{list_id}").text.split('id="list-throughput"')[1].split("</section>")[0]
    assert ann.email in on_list and "calls 2 of 3: missed" in on_list


def test_a_script_is_made_and_changed_in_the_question_editor_and_shows_its_new_version(client, auth, factory):
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, "/call-lists/scripts/new")
    bad = client.post("/call-lists/scripts/new", data={
        "csrf_token": token, "name": "", "count": "1", "q0-key": "need", "q0-label": "Need?", "q0-kind": "single",
        "q0-options": "", "q0-target": "bant.need", "op": "save"})
    assert bad.status_code == 422 and 'id="s-name-error"' in bad.text and 'id="q0-options-error"' in bad.text
    made = client.post("/call-lists/scripts/new", data={
        "csrf_token": token, "name": "Boiler check", "intro": "Hi, it's Pumps.\nIs this a good time?", "active": "yes",
        "count": "1", "q0-key": "need", "q0-label": "Need?", "q0-kind": "single", "q0-options": "high | Badly\nlow",
        "q0-target": "bant.need", "op": "save"}, follow_redirects=False)
    assert made.status_code == 303, re.findall(r'field-error[^>]*>([^<]*)', made.text)
    script_id = int(made.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/call-lists/scripts/{script_id}")
    assert "on · version 1" in page.text and "Is this a good time?</textarea>" in page.text
    added = client.post(f"/call-lists/scripts/{script_id}", data={
        "csrf_token": token, "name": "Boiler check", "intro": "Hi", "active": "yes", "count": "1", "q0-key": "need",
        "q0-label": "Need?", "q0-kind": "single", "q0-options": "high | Badly\nlow", "q0-target": "bant.need",
        "op": "add"})
    assert 'name="q1-label"' in added.text
    changed = client.post(f"/call-lists/scripts/{script_id}", data={
        "csrf_token": token, "name": "Boiler check", "intro": "Hi", "active": "yes", "count": "2", "q0-key": "need",
        "q0-label": "Need?", "q0-kind": "single", "q0-options": "high | Badly\nlow", "q0-target": "bant.need",
        "q1-key": "role", "q1-label": "Your role?", "q1-kind": "text", "q1-target": "job_title", "op": "save"})
    assert "version 2 now" in changed.text and "on · version 2" in changed.text
    listing = client.get("/call-lists/scripts").text
    assert "Boiler check" in listing
    script = client.get(f"/api/v1/call-scripts/{script_id}", headers=auth).json()
    assert [q["key"] for q in script["questions"]] == ["need", "role"] and script["version"] == 2


def test_scripts_are_for_those_who_make_lists(client, auth, factory):
    _, (ann,) = agents(factory, 1)
    sign_in(client, ann.email)
    assert client.get("/call-lists/scripts").status_code == 403
    assert client.get("/call-lists/scripts/new").status_code == 403
