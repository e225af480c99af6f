"""The call lists pages over HTTP: who sees which lists, the new list form and its errors beside the fields, a
list's page with its queue, leads added by number, pause and delete."""

from __future__ import annotations

import re

import pytest

from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in
from tests.integration.telemarketing.helpers import agents, callable_lead, make_list


def test_a_telemarketer_sees_only_the_lists_of_their_team_or_their_own(client, auth, factory):
    team_id, (ann, _) = agents(factory)
    _, (outsider,) = agents(factory, 1)
    ours = make_list(client, auth, team_id=team_id, owner_id=outsider.id, name="North callers")
    mine = make_list(client, auth, owner_id=ann.id, name="Ann alone")
    theirs = make_list(client, auth, owner_id=outsider.id, name="Elsewhere")
    sign_in(client, ann.email)
    page = client.get("/call-lists")
    assert page.status_code == 200 and re.search(r"<h1>\s*My call lists", page.text)
    assert "North callers" in page.text and "Ann alone" in page.text and "Elsewhere" not in page.text
    assert "New call list" not in page.text  # managers only
    assert client.get(f"/call-lists/{ours['id']}").status_code == 200
    assert client.get(f"/call-lists/{mine['id']}").status_code == 200
    assert client.get(f"/call-lists/{theirs['id']}").status_code == 404
    token = form_token(client, "/call-lists")
    refused = client.post("/call-lists", data={"csrf_token": token, "name": "Mine now"})
    assert refused.status_code == 403


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "admin"])
def test_those_who_make_lists_see_every_list_and_the_new_list_form(client, auth, factory, role):
    _, (ann,) = agents(factory, 1)
    made = make_list(client, auth, owner_id=ann.id, name="Spring calls")
    sign_in(client, person(factory, role).email)
    page = client.get("/call-lists")
    assert "Spring calls" in page.text and 'id="new-list"' in page.text
    listed = client.get(f"/call-lists/{made['id']}")
    assert listed.status_code == 200 and 'id="plan"' in listed.text and 'id="add-leads"' in listed.text


def test_a_sales_rep_may_not_open_the_call_lists(client, auth, factory):
    _, (ann,) = agents(factory, 1)
    made = make_list(client, auth, owner_id=ann.id, name="Not for reps")
    sign_in(client, person(factory, "sales_rep").email)
    assert client.get("/call-lists").status_code == 403
    assert client.get(f"/call-lists/{made['id']}").status_code == 403
    assert client.get("/call-lists/throughput").status_code == 403


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<span class="field-error" id="new-([a-z_-]+)-error">([^<]*)</span>', html))


def test_the_new_list_form_shows_each_error_beside_its_field_and_keeps_what_was_typed(client, auth, factory):
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, "/call-lists")
    r = client.post("/call-lists", data={
        "csrf_token": token, "name": "", "source": "segment", "hours_from": "9am", "hours_to": "17:00",
        "days": ["1", "2"], "default_zone": "Mars/Olympus", "retry_minutes": "2", "target_calls": "many",
        "condition": "kept as typed"})
    assert r.status_code == 422
    errors = _errors(r.text)
    assert errors["name"] == "Give the list a name"
    assert errors["segment"].startswith("A list fed by a segment names the segment")
    assert errors["from"].startswith("A time as HH:MM")
    assert errors["retry_minutes"] == "Between 5 and 10080"
    assert errors["t-calls"] == "A number"
    assert 'value="kept as typed"' in r.text and 'value="Mars/Olympus"' in r.text
    condition = client.post("/call-lists", data={"csrf_token": token, "name": "Bad condition", "source": "condition",
                                                 "condition": "band ==", "hours_from": "09:00", "hours_to": "17:00",
                                                 "days": ["1"], "default_zone": "Mars/Olympus"})
    assert "new-condition-error" in condition.text


def test_a_manager_makes_a_list_adds_leads_by_number_pauses_and_deletes_it(client, auth, factory):
    team_id, (ann, _) = agents(factory)
    sign_in(client, person(factory, "sales_manager").email)
    token = form_token(client, "/call-lists")
    made = client.post("/call-lists", data={
        "csrf_token": token, "name": "Boat show", "owner_id": str(ann.id), "team_id": str(team_id),
        "source": "manual", "hours_from": "08:30", "hours_to": "20:00", "days": ["1", "2", "3", "4", "5", "6", "7"],
        "default_zone": "Europe/Helsinki", "retry_minutes": "60", "max_attempts": "3", "claim_minutes": "10",
        "target_calls": "40", "target_qualified": "2.5"}, follow_redirects=False)
    assert made.status_code == 303, _errors(made.text)
    list_id = int(made.headers["location"].rsplit("/", 1)[1])
    plan = client.get(f"/api/v1/call-lists/{list_id}", headers=auth).json()
    assert (plan["hours_from"], plan["hours_to"], plan["max_attempts"], plan["team_id"]) == (510, 1200, 3, team_id)
    assert plan["targets"] == {"calls": 40, "qualified": 2.5}
    callable_ids = [callable_lead(client, auth) for _ in range(2)]
    no_phone = callable_lead(client, auth, phone=None)
    added = client.post(f"/call-lists/{list_id}/leads", data={"csrf_token": token,
                                                              "lead_ids": f"{callable_ids[0]}, {callable_ids[1]}\n"
                                                                          f"{no_phone}"})
    assert "Added 2; not added: 1 no phone number." in added.text
    queue = added.text.split('id="queue"')[1].split("</section>")[0]
    assert all(f'href="/leads/{i}"' in queue for i in callable_ids)
    wrong = client.post(f"/call-lists/{list_id}/leads", data={"csrf_token": token, "lead_ids": "seven"})
    assert wrong.status_code == 422 and "Not lead numbers: seven" in wrong.text
    paused = client.post(f"/call-lists/{list_id}/status", data={"csrf_token": token, "status": "paused"})
    assert "Paused" in paused.text and 'id="resume"' in paused.text
    assert client.get(f"/api/v1/call-lists/{list_id}", headers=auth).json()["status"] == "paused"
    edited = client.post(f"/call-lists/{list_id}", data={
        "csrf_token": token, "name": "Boat show 2026", "owner_id": str(ann.id), "team_id": "", "source": "manual",
        "hours_from": "08:30", "hours_to": "07:00", "days": ["1"], "default_zone": "UTC", "retry_minutes": "60",
        "max_attempts": "3", "claim_minutes": "10", "target_calls": ""})
    assert edited.status_code == 422 and 'id="plan-to-error"' in edited.text
    confirm = client.get(f"/call-lists/{list_id}/delete")
    assert "2 leads wait on it" in confirm.text
    gone = client.post(f"/call-lists/{list_id}/delete", data={"csrf_token": token})
    assert "Deleted the call list" in gone.text
    assert client.get(f"/call-lists/{list_id}").status_code == 404
