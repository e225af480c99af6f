"""Call lists through the API: made, changed and deleted with field errors that name the field, who may do what
(roles and API key scopes), and a list of another team that a telemarketer cannot learn of."""

from __future__ import annotations

import pytest

from tests.integration.people.factories import person
from tests.integration.telemarketing.helpers import SCRIPT, agents, callable_lead, make_list


def _fields(r) -> list[str]:
    assert r.status_code == 422, r.text
    return [e["field"] for e in r.json()["errors"]]


def test_a_list_is_made_read_changed_and_deleted(client, auth, factory):
    team_id, (ann, _) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, name="Hot leads", default_zone="Europe/Helsinki",
                     targets={"calls": 80, "qualified": 4})
    assert (made["name"], made["owner_id"], made["team_id"], made["source"]) == ("Hot leads", ann.id, team_id,
                                                                                 "manual")
    assert made["targets"] == {"calls": 80, "qualified": 4} and made["built"] is True
    assert made["counts"] == {"waiting": 0, "due": 0, "held": 0, "done": 0, "callbacks": 0}
    url = f"/api/v1/call-lists/{made['id']}"
    assert client.get(url, headers=auth).json()["name"] == "Hot leads"
    r = client.patch(url, headers=auth, json={"name": "Warm leads", "hours_from": 480, "days": "12345",
                                              "targets": {"calls": 60, "reached": 20}, "status": "paused"})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["name"], changed["hours_from"], changed["status"]) == ("Warm leads", 480, "paused")
    assert changed["targets"] == {"calls": 60, "reached": 20, "qualified": 4}
    r = client.patch(url, headers=auth, json={"targets": {"qualified": None}})
    assert r.json()["targets"] == {"calls": 60, "reached": 20}
    assert [c["id"] for c in client.get("/api/v1/call-lists", headers=auth).json()].count(made["id"]) == 1
    assert client.delete(url, headers=auth).status_code == 204
    assert client.get(url, headers=auth).status_code == 404
    assert client.delete(url, headers=auth).status_code == 404


def test_a_paused_list_gives_nobody_to_call(client, auth, factory):
    team_id, (ann, _) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, status="paused")
    client.post(f"/api/v1/call-lists/{made['id']}/leads", headers=auth, json={"lead_ids": [callable_lead(client,
                                                                                                          auth)]})
    r = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=ann.headers)
    assert r.json() == {**r.json(), "claimed": False, "reason": "the list is paused"}


@pytest.mark.parametrize(("body", "field"), [
    ({"hours_from": 600, "hours_to": 540}, "hours_to"),
    ({"hours_from": 540, "hours_to": 540}, "hours_to"),
    ({"hours_to": 1441}, "hours_to"),
    ({"hours_from": -5}, "hours_from"),
    ({"days": "890"}, "days"),
    ({"days": "1123"}, "days"),
    ({"days": ""}, "days"),
    ({"default_zone": "Mars/Olympus"}, "default_zone"),
    ({"source": "segment"}, "segment_id"),
    ({"source": "segment", "segment_id": 987654}, "segment_id"),
    ({"source": "import", "import_id": 987654}, "import_id"),
    ({"source": "import"}, "import_id"),
    ({"source": "condition", "condition": 'band == '}, "condition"),
    ({"source": "condition", "condition": 'shoe_size > 3'}, "condition"),
    ({"source": "condition"}, "condition"),
    ({"source": "phonebook"}, "source"),
    ({"script_id": 987654}, "script_id"),
    ({"team_id": 987654}, "team_id"),
    ({"owner_id": 987654}, "owner_id"),
    ({"claim_minutes": 0}, "claim_minutes"),
    ({"max_attempts": 51}, "max_attempts"),
    ({"retry_minutes": 1}, "retry_minutes"),
    ({"targets": {"calls": -1}}, "targets.calls"),
    ({"targets": {"sales": 3}}, "targets.sales"),
    ({"status": "stopped"}, "status"),
    ({"name": ""}, "name"),
])
def test_a_wrong_field_is_a_422_that_names_it(client, auth, factory, body, field):
    _, (ann, _) = agents(factory)
    r = client.post("/api/v1/call-lists", headers=auth, json={"name": "Wrong", "owner_id": ann.id, **body})
    assert field in _fields(r)


@pytest.mark.parametrize(("body", "field"), [
    ({"hours_from": 1200}, "hours_to"),  # after the stored 18:00
    ({"hours_from": None}, "hours_from"),
    ({"hours_to": None}, "hours_to"),
    ({"days": None}, "days"),
    ({"default_zone": None}, "default_zone"),
    ({"name": None}, "name"),
    ({"name": "   "}, "name"),
    ({"status": None}, "status"),
    ({"source": None}, "source"),
    ({"owner_id": None}, "owner_id"),
    ({"source": "segment"}, "segment_id"),
    ({"claim_minutes": None}, "claim_minutes"),
    ({"live": None}, "live"),
])
def test_a_wrong_change_is_a_422_that_names_it_and_changes_nothing(client, auth, factory, body, field):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id, hours_from=540, hours_to=1080, days="12345")
    r = client.patch(f"/api/v1/call-lists/{made['id']}", headers=auth, json=body)
    assert field in _fields(r)
    after = client.get(f"/api/v1/call-lists/{made['id']}", headers=auth).json()
    assert {k: after[k] for k in ("name", "hours_from", "hours_to", "days", "source", "status")} == {
        k: made[k] for k in ("name", "hours_from", "hours_to", "days", "source", "status")}


def test_an_api_key_without_a_person_names_the_owner(client, auth):
    assert _fields(client.post("/api/v1/call-lists", headers=auth, json={"name": "Nobody's"})) == ["owner_id"]


def test_a_manager_makes_a_list_they_own_by_default(client, factory):
    manager = person(factory, "sales_manager")
    r = client.post("/api/v1/call-lists", headers=manager.headers, json={"name": "Mine"})
    assert r.status_code == 201, r.text
    assert r.json()["owner_id"] == manager.id


@pytest.mark.parametrize(("role", "read", "make_calls", "manage"), [
    ("admin", True, True, True),
    ("marketing", True, True, True),
    ("sales_manager", True, True, True),
    ("telemarketer", True, True, False),
    ("sales_rep", False, False, False),
])
def test_roles_may_read_call_and_manage_lists_as_their_permissions_say(client, auth, factory, role, read,
                                                                       make_calls, manage):
    who = person(factory, role)
    made = make_list(client, auth, owner_id=who.id)
    url = f"/api/v1/call-lists/{made['id']}"
    assert (client.get("/api/v1/call-lists", headers=who.headers).status_code == 200) is read
    assert (client.get(url + "/entries", headers=who.headers).status_code == 200) is read
    assert (client.get("/api/v1/call-scripts", headers=who.headers).status_code == 200) is read
    claimed = client.post(url + "/claims", headers=who.headers)
    assert claimed.status_code == (200 if make_calls else 403), claimed.text
    created = client.post("/api/v1/call-lists", headers=who.headers, json={"name": f"By {role}"})
    assert created.status_code == (201 if manage else 403), created.text
    assert client.patch(url, headers=who.headers, json={"name": "Renamed"}).status_code == (200 if manage else 403)
    scripted = client.post("/api/v1/call-scripts", headers=who.headers,
                           json={"name": f"Script of {role}", "questions": SCRIPT})
    assert scripted.status_code == (201 if manage else 403), scripted.text
    assert client.delete(url, headers=who.headers).status_code == (204 if manage else 403)


@pytest.mark.parametrize(("scope", "read", "make_calls", "manage"), [
    ("calls:read", True, False, False),
    ("calls:write", True, True, False),
    ("calls:manage", True, True, True),
    ("leads:read", False, False, False),
])
def test_api_key_scopes_limit_what_a_dialler_may_do(client, auth, factory, scope, read, make_calls, manage):
    who = person(factory, "sales_manager", scopes=[scope])
    made = make_list(client, auth, owner_id=who.id)
    lead_id = callable_lead(client, auth)
    client.post(f"/api/v1/call-lists/{made['id']}/leads", headers=auth, json={"lead_ids": [lead_id]})
    url = f"/api/v1/call-lists/{made['id']}"
    assert client.get(url, headers=who.headers).status_code == (200 if read else 403)
    assert client.get("/api/v1/call-lists/throughput", headers=who.headers).status_code == (200 if read else 403)
    claimed = client.post(url + "/claims", headers=who.headers)
    assert claimed.status_code == (200 if make_calls else 403), claimed.text
    recorded = client.post(url + "/calls", headers=who.headers, json={"lead_id": lead_id, "outcome": "no_answer"})
    assert recorded.status_code == (201 if make_calls else 403), recorded.text
    added = client.post(url + "/leads", headers=who.headers, json={"lead_ids": [lead_id]})
    assert added.status_code == (200 if manage else 403)
    assert client.patch(url, headers=who.headers, json={"max_attempts": 3}).status_code == (200 if manage else 403)


def test_a_telemarketer_cannot_learn_of_another_teams_list(client, auth, factory):
    ours, (ann, _) = agents(factory)
    theirs, (zoe, _) = agents(factory)
    mine = make_list(client, auth, team_id=ours, owner_id=ann.id)
    other = make_list(client, auth, team_id=theirs, owner_id=zoe.id)
    lead_id = callable_lead(client, auth)
    client.post(f"/api/v1/call-lists/{other['id']}/leads", headers=auth, json={"lead_ids": [lead_id]})
    listed = [c["id"] for c in client.get("/api/v1/call-lists", headers=ann.headers).json()]
    assert mine["id"] in listed and other["id"] not in listed
    url = f"/api/v1/call-lists/{other['id']}"
    assert client.get(url, headers=ann.headers).status_code == 404
    assert client.get(url + "/entries", headers=ann.headers).status_code == 404
    assert client.get(url + "/calls", headers=ann.headers).status_code == 404
    assert client.post(url + "/claims", headers=ann.headers).status_code == 404
    assert client.post(url + f"/claims/{lead_id}/renew", headers=ann.headers).status_code == 404
    assert client.delete(url + f"/claims/{lead_id}", headers=ann.headers).status_code == 404
    assert client.post(url + "/calls", headers=ann.headers, json={"lead_id": lead_id, "outcome": "busy"}
                       ).status_code == 404
    assert client.get(f"/api/v1/leads/{lead_id}", headers=ann.headers).status_code == 404
    assert client.get(url, headers=zoe.headers).status_code == 200
    assert client.get(f"/api/v1/leads/{lead_id}", headers=zoe.headers).status_code == 200  # on her team's list


def test_a_script_is_versioned_when_its_questions_change_and_kept_once_calls_used_it(client, auth, factory):
    r = client.post("/api/v1/call-scripts", headers=auth, json={"name": "Qualify", "intro": "Hello",
                                                                "questions": SCRIPT})
    assert r.status_code == 201, r.text
    script = f"/api/v1/call-scripts/{r.json()['id']}"
    assert r.json()["version"] == 1
    assert client.patch(script, headers=auth, json={"active": False}).json()["version"] == 1
    assert client.patch(script, headers=auth, json={"intro": "Hi"}).json()["version"] == 2
    taken = client.post("/api/v1/call-scripts", headers=auth, json={"name": "Qualify", "questions": SCRIPT})
    assert _fields(taken) == ["name"]
    bad = client.post("/api/v1/call-scripts", headers=auth, json={"name": "Bad", "questions": [
        {"key": "need", "label": "Need?", "kind": "single", "options": []}]})
    assert bad.status_code == 422 and any(f.startswith("questions") for f in _fields(bad))
    team_id, (ann, _) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, script_id=r.json()["id"])
    lead_id = callable_lead(client, auth)
    client.post(f"/api/v1/call-lists/{made['id']}/leads", headers=auth, json={"lead_ids": [lead_id]})
    claim = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=ann.headers).json()
    assert (claim["script_id"], claim["script_version"]) == (r.json()["id"], 2)
    client.post(f"/api/v1/call-lists/{made['id']}/calls", headers=ann.headers,
                json={"lead_id": lead_id, "outcome": "busy", "answers": {"role": "CTO"}})
    assert client.delete(script, headers=auth).status_code == 409
    spare = client.post("/api/v1/call-scripts", headers=auth, json={"name": "Spare", "questions": SCRIPT}).json()
    assert client.delete(f"/api/v1/call-scripts/{spare['id']}", headers=auth).status_code == 204


def test_a_list_made_without_a_plan_reads_with_the_defaults_and_is_worked(client, auth, factory):
    team_id, (ann, _) = agents(factory)
    r = client.post("/api/v1/journeys/template/brochure", headers=auth)
    assert r.status_code == 201, r.text
    listed = client.get("/api/v1/call-lists", headers=auth)
    assert listed.status_code == 200, listed.text  # a GET reads only: the defaults are shown, not stored
    (made,) = listed.json()
    assert (made["source"], made["hours_from"], made["max_attempts"], made["status"]) == ("manual", 540, 5, "active")
    assert client.get(f"/api/v1/call-lists/{made['id']}", headers=auth).json()["claim_minutes"] == 15
    r = client.patch(f"/api/v1/call-lists/{made['id']}", headers=auth, json={"team_id": team_id, "hours_from": 0,
                                                                             "hours_to": 1440, "days": "1234567"})
    assert r.status_code == 200, r.text
    lead_id = callable_lead(client, auth)
    assert client.post(f"/api/v1/call-lists/{made['id']}/leads", headers=auth,
                       json={"lead_ids": [lead_id]}).json()["added"] == 1
    assert client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=ann.headers).json()["lead"]["id"] == lead_id
