"""Throughput through the API: calls, contacts reached, qualified and time per call per agent and list, per calling
day against the list's targets; an agent sees their own rows, a manager everyone's."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.people.factories import person
from tests.integration.telemarketing.conftest import MONDAY
from tests.integration.telemarketing.helpers import agents, call, callable_lead, make_list, put_on

URL = "/api/v1/call-lists/throughput"
TARGETS = {"calls": 2, "reached": 1, "qualified": 1, "minutes_per_call": 3}


def _day_of_calls(client, auth, factory):
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, name="Spring fair", targets=TARGETS)
    leads = [callable_lead(client, auth) for _ in range(4)]
    put_on(client, auth, made, leads)
    for lead_id, outcome, seconds, extra in ((leads[0], "no_answer", 60, {}),
                                             (leads[1], "not_interested", 120, {}),
                                             (leads[2], "call_back", 300,
                                              {"callback_at": (MONDAY + timedelta(days=1)).isoformat()})):
        assert call(client, made, ann, lead_id, outcome, seconds=seconds, **extra).status_code == 201
    assert call(client, made, bob, leads[3], "qualified", seconds=600).status_code == 201
    return made, ann, bob


def test_throughput_counts_calls_reached_qualified_and_minutes_per_agent_against_the_targets(client, auth, factory,
                                                                                             moment):
    made, ann, bob = _day_of_calls(client, auth, factory)
    moment.forward(minutes=1)  # counted up to now
    r = client.get(URL, headers=auth, params={"call_list_id": made["id"]})
    assert r.status_code == 200, r.text
    rows = {row["user_id"]: row for row in r.json()}
    assert set(rows) == {ann.id, bob.id}
    mine = rows[ann.id]
    assert (mine["list"], mine["calls"], mine["reached"], mine["qualified"]) == ("Spring fair", 3, 2, 0)
    assert (mine["reach_rate"], mine["minutes_per_call"], mine["days"], mine["calls_per_day"]) == (66.7, 2.7, 1, 3.0)
    assert {name: v["met"] for name, v in mine["against_targets"].items()} == {
        "calls": True, "reached": True, "qualified": False, "minutes_per_call": True}
    assert mine["against_targets"]["qualified"] == {"target": 1, "done": 0.0, "met": False}
    bobs = rows[bob.id]
    assert (bobs["calls"], bobs["reached"], bobs["qualified"], bobs["minutes_per_call"]) == (1, 1, 1, 10.0)
    assert {name: v["met"] for name, v in bobs["against_targets"].items()} == {
        "calls": False, "reached": True, "qualified": True, "minutes_per_call": False}


def test_an_agent_sees_only_their_own_throughput(client, auth, factory, moment):
    made, ann, bob = _day_of_calls(client, auth, factory)
    moment.forward(minutes=1)
    assert [row["user_id"] for row in client.get(URL, headers=ann.headers).json()] == [ann.id]
    assert [row["user_id"] for row in client.get(URL, headers=bob.headers).json()] == [bob.id]
    manager = person(factory, "sales_manager")
    assert {row["user_id"] for row in client.get(URL, headers=manager.headers).json()} == {ann.id, bob.id}


def test_throughput_covers_the_days_asked_for(client, auth, factory, moment):
    made, ann, _ = _day_of_calls(client, auth, factory)
    moment.forward(hours=1)
    assert [row["calls"] for row in client.get(URL, headers=ann.headers).json()] == [3]
    moment.forward(days=7)
    assert client.get(URL, headers=ann.headers).json() == []  # the last 7 days by default
    r = client.get(URL, headers=ann.headers, params={"since": (MONDAY - timedelta(hours=1)).isoformat(),
                                                     "until": (MONDAY + timedelta(hours=1)).isoformat()})
    assert [row["calls"] for row in r.json()] == [3]
    assert client.get(URL, headers=ann.headers, params={"since": (MONDAY + timedelta(hours=1)).isoformat(),
                                                        "until": MONDAY.isoformat()}).status_code == 422
    assert client.get(URL, headers=ann.headers, params={"since": (MONDAY - timedelta(days=500)).isoformat(),
                                                        "until": MONDAY.isoformat()}).status_code == 422
