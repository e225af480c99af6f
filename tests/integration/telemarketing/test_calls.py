"""Recording a call through the API: a dialler's key makes a retried report the first one, a script's answers go
where their questions send them (a wrong one is a 422 naming answers.<key>, required ones only for qualified), bad
times and lengths name their field, and an agent sees their own calls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.telemarketing.conftest import MONDAY
from tests.integration.telemarketing.helpers import SCRIPT, agents, call, callable_lead, claim, entry_of, make_list, put_on


def _fields(r) -> list[str]:
    assert r.status_code == 422, r.text
    return [e["field"] for e in r.json()["errors"]]


def _contacts(client, auth, lead_id) -> list[dict]:
    r = client.get(f"/api/v1/leads/{lead_id}/contacts", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def calling(client, auth, factory, moment):
    team_id, (ann, bob) = agents(factory)
    r = client.post("/api/v1/call-scripts", headers=auth, json={"name": f"Script {ann.id}", "questions": [
        {**SCRIPT[0], "required": True}, *SCRIPT[1:]]})
    assert r.status_code == 201, r.text
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, script_id=r.json()["id"], max_attempts=1)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, made, [lead_id])
    return made, lead_id, ann, bob


def test_a_dialler_reporting_the_same_call_twice_records_it_once(client, auth, calling):
    made, lead_id, ann, _ = calling
    first = call(client, made, ann, lead_id, "no_answer", key="dial-1", seconds=20)
    assert first.status_code == 201, first.text
    assert first.json()["again"] is False and first.json()["done"] is True  # one attempt on this list
    again = call(client, made, ann, lead_id, "no_answer", key="dial-1", seconds=20)
    assert again.status_code == 201, again.text
    assert again.json()["again"] is True and again.json()["call"]["id"] == first.json()["call"]["id"]
    assert [again.json()[k] for k in ("done", "next_step", "did")] == [first.json()[k] for k in ("done", "next_step", "did")]
    assert len(_contacts(client, auth, lead_id)) == 1
    assert entry_of(client, auth, made, lead_id)["attempts"] == 1
    assert len(client.get(f"/api/v1/call-lists/{made['id']}/calls", headers=auth).json()) == 1


def test_a_key_reported_with_another_outcome_or_lead_is_a_conflict(client, auth, calling):
    made, lead_id, ann, _ = calling
    other = callable_lead(client, auth)
    put_on(client, auth, made, [other])
    assert call(client, made, ann, lead_id, "busy", key="dial-2").status_code == 201
    assert call(client, made, ann, lead_id, "wrong_number", key="dial-2").status_code == 409
    assert call(client, made, ann, other, "busy", key="dial-2").status_code == 409
    assert len(_contacts(client, auth, other)) == 0


def test_answers_fill_bant_and_the_job_title(client, auth, calling):
    made, lead_id, ann, _ = calling
    assert claim(client, made, ann) == lead_id
    r = call(client, made, ann, lead_id, "call_back", callback_at=(MONDAY + timedelta(days=1)).isoformat(),
             answers={"need": "high", "role": "Head of Maintenance"}, note="Call after the board meeting")
    assert r.status_code == 201, r.text
    assert "filled BANT need, job title" in r.json()["did"]
    assert r.json()["call"]["answers"] == {"need": "high", "role": "Head of Maintenance"}
    lead = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert lead["job_title"] == "Head of Maintenance"
    need = client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()["criteria"]["need"]
    assert (need["value"], need["source"]) == ("high", "telemarketer")
    (contact,) = _contacts(client, auth, lead_id)
    assert contact["outcome"] == "call_back" and "Call after the board meeting" in contact["note"]
    assert "Head of Maintenance" in contact["note"]


@pytest.mark.parametrize(("answers", "field"), [
    ({"need": "desperately"}, "answers.need"),
    ({"need": ["high", "low"]}, "answers.need"),
    ({"shoe_size": "42"}, "answers.shoe_size"),
    ({"role": "x" * 5000}, "answers.role"),
])
def test_a_wrong_answer_is_a_422_naming_the_question_and_changes_nothing(client, auth, calling, answers, field):
    made, lead_id, ann, _ = calling
    r = call(client, made, ann, lead_id, "busy", answers=answers)
    assert field in _fields(r)
    assert _contacts(client, auth, lead_id) == []
    assert entry_of(client, auth, made, lead_id)["attempts"] == 0


def test_required_questions_are_asked_of_a_qualified_call_only(client, auth, calling):
    made, lead_id, ann, _ = calling
    assert _fields(call(client, made, ann, lead_id, "qualified", answers={"role": "CTO"})) == ["answers.need"]
    assert call(client, made, ann, lead_id, "no_answer", answers={"role": "CTO"}).status_code == 201


def test_answers_on_a_list_without_a_script_are_a_422(client, auth, factory, moment):
    _, (ann, _) = agents(factory)
    made = make_list(client, auth, owner_id=ann.id)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, made, [lead_id])
    assert _fields(call(client, made, ann, lead_id, "busy", answers={"need": "high"})) == ["answers"]
    assert call(client, made, ann, lead_id, "busy", answers={}).status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "call_back"}, "callback_at"),
    ({"outcome": "call_back", "callback_at": "2027-03-02T09:00:00"}, "callback_at"),
    ({"outcome": "call_back", "callback_at": "2027-03-01T08:00:00Z"}, "callback_at"),
    ({"outcome": "call_back", "callback_at": "2029-03-01T08:00:00Z"}, "callback_at"),
    ({"outcome": "hung_up"}, "outcome"),
    ({"outcome": "busy", "seconds": -1}, "seconds"),
    ({"outcome": "busy", "seconds": 90_000}, "seconds"),
    ({"outcome": "busy", "started_at": "2027-03-01T12:00:00Z"}, "started_at"),
    ({"outcome": "busy", "started_at": "2027-03-01T08:00:00"}, "started_at"),
    ({"outcome": "busy", "note": "x" * 5001}, "note"),
    ({"outcome": "busy", "key": ""}, "key"),
])
def test_a_wrong_report_is_a_422_naming_its_field(client, auth, calling, body, field):
    made, lead_id, ann, _ = calling
    r = client.post(f"/api/v1/call-lists/{made['id']}/calls", headers=ann.headers, json={"lead_id": lead_id, **body})
    assert field in _fields(r)


def test_a_dialler_gives_the_calls_start_and_length(client, auth, calling):
    made, lead_id, ann, _ = calling
    r = call(client, made, ann, lead_id, "busy", started_at=(MONDAY - timedelta(minutes=3)).isoformat())
    assert r.status_code == 201, r.text
    assert r.json()["call"]["seconds"] == 180
    assert r.json()["call"]["started_at"] == "2027-03-01T08:57:00Z"


def test_the_time_of_a_call_runs_from_the_claim(client, auth, calling, moment):
    made, lead_id, ann, _ = calling
    assert claim(client, made, ann) == lead_id
    moment.forward(minutes=4, seconds=30)
    r = call(client, made, ann, lead_id, "wrong_number")
    assert r.json()["call"]["seconds"] == 270 and r.json()["call"]["reached"] is False


def test_an_agent_sees_their_own_calls_and_the_manager_everyones(client, auth, calling):
    made, lead_id, ann, bob = calling
    other = callable_lead(client, auth)
    put_on(client, auth, made, [other])
    assert call(client, made, ann, lead_id, "busy").status_code == 201
    assert call(client, made, bob, other, "busy").status_code == 201
    url = f"/api/v1/call-lists/{made['id']}/calls"
    assert [c["lead_id"] for c in client.get(url, headers=ann.headers).json()] == [lead_id]
    assert [c["lead_id"] for c in client.get(url, headers=bob.headers).json()] == [other]
    assert sorted(c["lead_id"] for c in client.get(url, headers=auth).json()) == sorted([lead_id, other])
