"""What a call's outcome does, through the API: not interested and do not call change stage and consent and take the
lead off the lists; qualified goes through the Sales Ready rule and routing (or says why not); a call-back comes
back on its time to the agent who agreed it; journeys hear the outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadflow import worker
from leadflow.journeys import engine
from leadflow.telemarketing.calling import CALLBACK_GRACE
from tests.integration.people.factories import person, team
from tests.integration.telemarketing.conftest import MONDAY
from tests.integration.telemarketing.helpers import SCRIPT, agents, call, callable_lead, claim, entry_of, make_list, put_on


def _phone_consent(client, auth, lead_id) -> list[bool]:
    r = client.get(f"/api/v1/leads/{lead_id}/consents", headers=auth)
    assert r.status_code == 200, r.text
    return [c["granted"] for c in r.json() if c["purpose"] == "phone"]


def test_not_interested_moves_the_lead_to_nurture_withdraws_phone_consent_and_no_list_calls_it_again(
        client, auth, factory, moment):
    team_id, (ann, bob) = agents(factory)
    first = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    second = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, first, [lead_id])
    put_on(client, auth, second, [lead_id])
    assert claim(client, first, ann) == lead_id
    r = call(client, first, ann, lead_id, "not_interested", note="Has a supplier")
    assert r.status_code == 201, r.text
    assert r.json()["done"] is True and "phone consent withdrawn" in r.json()["did"]
    lead = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert lead["stage"] == "nurture"
    assert _phone_consent(client, auth, lead_id)[-1] is False
    assert entry_of(client, auth, first, lead_id)["state"] == "done"
    assert claim(client, first, bob) is None
    assert claim(client, second, bob) is None  # waiting on the other list, but not to be called
    assert put_on(client, auth, first, [lead_id])["skipped"] == {"withdrawn": 1}  # nor put back on a list


def test_do_not_call_disqualifies_the_lead_and_takes_it_off_every_list(client, auth, factory, moment):
    team_id, (ann, bob) = agents(factory)
    first = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    second = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    lead_id = callable_lead(client, auth)
    for made in (first, second):
        put_on(client, auth, made, [lead_id])
    assert claim(client, first, ann) == lead_id
    r = call(client, first, ann, lead_id, "do_not_call")
    assert r.status_code == 201, r.text
    assert r.json()["done"] is True and "moved to disqualified" in r.json()["did"]
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"] == "disqualified"
    assert _phone_consent(client, auth, lead_id)[-1] is False
    for made in (first, second):
        entry = entry_of(client, auth, made, lead_id)
        assert entry["state"] == "done" and entry["last_outcome"] == "do_not_call"
        assert claim(client, made, bob) is None
    again = call(client, second, bob, lead_id, "qualified")
    assert again.status_code == 409  # done with that list too


def _sales_team(client, auth, factory):
    team(factory, "Sales North")
    rep = person(factory, "sales_rep", team="Sales North")
    r = client.post("/api/v1/routing/rule-sets", headers=auth, json={"activate": True, "text": (
        "rules:\n  - name: Everyone\n    when: country == \"FI\"\n    to: team:Sales North\n")})
    assert r.status_code == 201, r.text
    r = client.put("/api/v1/sales-ready-rule", headers=auth,
                   json={"expression": 'bant.need == "high" and bant.known >= 2'})
    assert r.status_code == 200, r.text
    return rep


def _scripted_list(client, auth, team_id, owner_id):
    r = client.post("/api/v1/call-scripts", headers=auth, json={"name": f"Qualify {owner_id}", "questions": SCRIPT})
    assert r.status_code == 201, r.text
    return make_list(client, auth, team_id=team_id, owner_id=owner_id, script_id=r.json()["id"])


def test_qualified_with_answers_that_meet_the_rule_makes_the_lead_sales_ready_and_routing_assigns_it(
        client, auth, factory, moment):
    rep = _sales_team(client, auth, factory)
    team_id, (ann, _) = agents(factory)
    made = _scripted_list(client, auth, team_id, ann.id)
    lead_id = callable_lead(client, auth, country="FI")
    put_on(client, auth, made, [lead_id])
    assert claim(client, made, ann) == lead_id
    r = call(client, made, ann, lead_id, "qualified",
              answers={"need": "high", "budget": "yes", "role": "Head of Purchasing"})
    assert r.status_code == 201, r.text
    did = " | ".join(r.json()["did"])
    assert "filled BANT need, BANT budget, job title" in did
    assert "Sales Ready: routing hands it to sales" in did
    worker.drain(factory)
    lead = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert lead["stage"] == "sql"
    assert lead["job_title"] == "Head of Purchasing" and lead["owner"] == rep.id
    bant = client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()
    assert bant["criteria"]["need"]["value"] == "high" and bant["criteria"]["need"]["source"] == "telemarketer"


def test_qualified_without_what_the_rule_needs_says_the_rule_is_not_met_and_why(client, auth, factory, moment):
    _sales_team(client, auth, factory)
    team_id, (ann, _) = agents(factory)
    made = _scripted_list(client, auth, team_id, ann.id)
    lead_id = callable_lead(client, auth, country="FI")
    put_on(client, auth, made, [lead_id])
    assert claim(client, made, ann) == lead_id
    r = call(client, made, ann, lead_id, "qualified", answers={"need": "low", "budget": "yes"})
    assert r.status_code == 201, r.text
    (why,) = [d for d in r.json()["did"] if "Sales Ready" in d]
    assert why.startswith("the Sales Ready rule is not met yet: ") and "bant.need" in why
    worker.drain(factory)
    lead = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert lead["stage"] != "sql" and lead["owner"] is None


def test_a_call_back_comes_back_on_its_time_to_its_agent_first_and_to_others_after_the_grace(
        client, auth, factory, moment):
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, made, [lead_id])
    assert claim(client, made, ann) == lead_id
    at = MONDAY + timedelta(hours=3)
    r = call(client, made, ann, lead_id, "call_back", callback_at=at.isoformat())
    assert r.status_code == 201, r.text
    assert r.json()["done"] is False
    entry = entry_of(client, auth, made, lead_id)
    assert (entry["tier"], entry["callback_user_id"]) == (0, ann.id)
    assert claim(client, made, ann) is None and claim(client, made, bob) is None  # not before its time
    moment.forward(hours=3)
    assert claim(client, made, bob) is None  # Ann's to call
    assert claim(client, made, ann) == lead_id
    assert client.delete(f"/api/v1/call-lists/{made['id']}/claims/{lead_id}", headers=ann.headers).status_code == 204
    moment.forward(seconds=CALLBACK_GRACE.total_seconds() - 60)
    assert claim(client, made, bob) is None
    moment.forward(minutes=2)
    assert claim(client, made, bob) == lead_id  # overdue past the grace: anyone on the team


def test_a_due_call_back_comes_before_the_hottest_fresh_lead(client, auth, factory, moment):
    team_id, (ann, _) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    lead_id = callable_lead(client, auth)
    put_on(client, auth, made, [lead_id])
    assert claim(client, made, ann) == lead_id
    assert call(client, made, ann, lead_id, "call_back",
                 callback_at=(MONDAY + timedelta(hours=1)).isoformat()).status_code == 201
    hot = callable_lead(client, auth)
    put_on(client, auth, made, [hot])
    assert claim(client, made, ann) == hot
    assert call(client, made, ann, hot, "no_answer").status_code == 201
    moment.forward(hours=1)
    assert claim(client, made, ann) == lead_id


JOURNEY = {
    "entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "start": "call",
    "steps": [
        {"id": "call", "type": "add_to_call_list", "call_list_id": 0, "next": "answer"},
        {"id": "answer", "type": "wait_until", "events": ["contact.logged:qualified"], "timeout": "P5D",
         "next": "won", "timeout_next": "lost"},
        {"id": "won", "type": "set_field", "field": "custom.call", "value": "qualified", "next": None},
        {"id": "lost", "type": "set_field", "field": "custom.call", "value": "no", "next": None}]}

BRANCHING = {
    "entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "start": "call",
    "steps": [
        {"id": "call", "type": "add_to_call_list", "call_list_id": 0, "next": "answer"},
        {"id": "answer", "type": "wait_until", "events": ["contact.logged"], "timeout": "P5D", "next": "route",
         "timeout_next": None},
        {"id": "route", "type": "branch", "branches": [
            {"when": {"happened": "call_outcome:qualified"}, "next": "won"}], "else": "lost"},
        {"id": "won", "type": "set_field", "field": "custom.call", "value": "qualified", "next": None},
        {"id": "lost", "type": "set_field", "field": "custom.call", "value": "no", "next": None}]}


@pytest.mark.parametrize("definition", [JOURNEY, BRANCHING], ids=["waits-on-qualified", "branches-on-outcome"])
def test_a_journey_puts_leads_on_a_list_and_goes_on_by_the_call_outcome(client, auth, factory, moment, definition):
    team_id, (ann, _) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id)
    steps = [{**step, "call_list_id": made["id"]} if step["type"] == "add_to_call_list" else step
             for step in definition["steps"]]
    r = client.post("/api/v1/journeys", headers=auth, json={"name": f"Call {made['id']}",
                                                            "definition": {**definition, "steps": steps}})
    assert r.status_code == 201, r.text
    journey = f"/api/v1/journeys/{r.json()['id']}"
    assert client.post(journey + "/publish", headers=auth).status_code == 200, r.text
    qualified, declined, silent = (callable_lead(client, auth) for _ in range(3))
    no_phone = callable_lead(client, auth, phone=None)
    assert client.post(journey + "/enrol", headers=auth,
                       json={"lead_ids": [qualified, declined, silent, no_phone]}).status_code == 200
    engine.run_pass(factory)
    assert entry_of(client, auth, made, no_phone) is None
    for lead_id, outcome in ((qualified, "qualified"), (declined, "not_interested"), (silent, "no_answer")):
        assert claim(client, made, ann) == lead_id
        assert call(client, made, ann, lead_id, outcome).status_code == 201
    worker.drain(factory)
    engine.run_pass(factory)
    fields = {i: client.get(f"/api/v1/leads/{i}", headers=auth).json()["custom_fields"].get("call")
              for i in (qualified, declined, silent)}
    if definition is JOURNEY:
        assert fields == {qualified: "qualified", declined: None, silent: None}  # the others wait on
    else:
        assert fields == {qualified: "qualified", declined: "no", silent: "no"}
