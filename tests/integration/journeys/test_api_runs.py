"""Journeys with leads in them, through the API: enrol by hand (a lead refused says why), the counts per step and
the runs (of the leads one sees), a lead in flight stays on its version when a new one is published; the simulator
is deterministic with a seed and names a wrong rate's field."""

from __future__ import annotations

from tests.integration.journeys.journeys import brochure, make
from tests.integration.people.factories import lead, person


def live(client, auth) -> str:
    made = make(client, auth)
    journey = f"/api/v1/journeys/{made['id']}"
    assert client.post(journey + "/publish", headers=auth).status_code == 200
    return journey


def test_leads_enrolled_by_hand_wait_at_the_first_step_and_are_counted(client, auth):
    journey = live(client, auth)
    first, second = lead(client, auth), lead(client, auth)
    r = client.post(journey + "/enrol", headers=auth, json={"lead_ids": [first, second, 99999999]})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["entered"]) == sorted([first, second])
    assert r.json()["refused"] == {"99999999": "no such lead"}
    again = client.post(journey + "/enrol", headers=auth, json={"lead_ids": [first]}).json()
    assert again["entered"] == [] and again["refused"] == {str(first): "already in the journey"}
    counts = client.get(journey + "/counts", headers=auth).json()
    assert counts["steps"] == {"wait7": {"waiting": 2, "passed": 0, "ways": {}}}
    assert counts["runs"] == {"active": 2, "done": 0, "exited": 0, "goal": 0}
    runs = client.get(journey + "/runs", headers=auth).json()["runs"]
    assert sorted(r["lead_id"] for r in runs) == sorted([first, second])
    assert {(r["status"], r["step"], r["entry"]) for r in runs} == {("active", "wait7", "by hand")}


def test_a_lead_in_flight_stays_on_its_version_when_a_new_one_is_published(client, auth):
    journey = live(client, auth)
    first = lead(client, auth)
    client.post(journey + "/enrol", headers=auth, json={"lead_ids": [first]})
    changed = brochure()
    changed["steps"][0]["duration"] = "P1D"
    client.put(journey + "/draft", headers=auth, json={"definition": changed})
    assert client.post(journey + "/publish", headers=auth).json()["live"]["number"] == 2
    second = lead(client, auth)
    client.post(journey + "/enrol", headers=auth, json={"lead_ids": [second]})
    runs = {r["lead_id"]: r["version_id"] for r in client.get(journey + "/runs", headers=auth).json()["runs"]}
    assert runs[first] != runs[second]
    v1 = client.get(journey + "/counts", headers=auth, params={"version": 1}).json()["steps"]
    assert v1["wait7"]["waiting"] == 1


def test_a_manager_sees_the_runs_of_their_teams_leads_only(client, auth, factory):
    journey = live(client, auth)
    manager = person(factory, "sales_manager")
    mine = lead(client, auth, owner=manager)
    other = lead(client, auth)
    client.post(journey + "/enrol", headers=auth, json={"lead_ids": [mine, other]})
    seen = client.get(journey + "/runs", headers=manager.headers).json()["runs"]
    assert [r["lead_id"] for r in seen] == [mine]


def test_enrolling_in_an_unpublished_journey_is_a_409(client, auth):
    made = make(client, auth)
    r = client.post(f"/api/v1/journeys/{made['id']}/enrol", headers=auth, json={"lead_ids": [lead(client, auth)]})
    assert r.status_code == 409 and "publish it first" in r.text


RATES = {"source": "latest", "latest": 40, "delivered": 90, "opened": 50, "clicked": 20, "survey_answered": 40,
         "answer_quote": 25, "answer_meeting": 25, "answer_call": 25, "answer_nothing": 25,
         "start": "2027-01-04T09:00:00+00:00"}


def test_the_simulator_gives_the_same_answer_for_the_same_seed(client, auth):
    made = make(client, auth)
    for n in range(40):
        lead(client, auth, first_name=f"Sample{n}")
    journey = f"/api/v1/journeys/{made['id']}"
    first = client.post(journey + "/simulate", headers=auth, json={**RATES, "seed": 11})
    assert first.status_code == 200, first.text
    again = client.post(journey + "/simulate", headers=auth, json={**RATES, "seed": 11}).json()
    other = client.post(journey + "/simulate", headers=auth, json={**RATES, "seed": 12}).json()
    assert first.json() == again
    body = again
    assert body["leads"] == 40 and body["reached"]["wait7"] == 40 and sum(body["ways"]["route"].values()) == 40
    assert (body["ways"], body["paths"]) != (other["ways"], other["paths"])
    assert body["paths"][0]["visits"][0] == {"step": "wait7", "at": "2027-01-11T09:00:00+00:00", "what": "waited"}
    assert body["simulated"] == "the draft (version 1)"
    assert client.get(journey + "/counts", headers=auth).json()["steps"] == {}


def test_the_simulator_names_a_wrong_input_and_a_broken_definition(client, auth):
    made = make(client, auth)
    journey = f"/api/v1/journeys/{made['id']}"
    bad = client.post(journey + "/simulate", headers=auth, json={"opened": "lots", "delivered": 140})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"opened", "delivered"}
    segment = client.post(journey + "/simulate", headers=auth, json={"source": "segment"})
    assert segment.status_code == 422 and segment.json()["errors"][0]["field"] == "segment_id"


def test_a_manager_counts_every_lead_at_a_step_but_lists_and_samples_only_their_teams(client, auth, factory):
    journey = live(client, auth)
    manager = person(factory, "sales_manager")
    mine = lead(client, auth, owner=manager, email="mine@example.com")
    other = lead(client, auth, email="not.mine@example.com")
    client.post(journey + "/enrol", headers=auth, json={"lead_ids": [mine, other]})
    counts = client.get(journey + "/counts", headers=manager.headers).json()
    assert counts["steps"]["wait7"]["waiting"] == 2 and counts["runs"]["active"] == 2  # aggregates: everyone
    at_step = client.get(journey + "/runs", headers=manager.headers, params={"step": "wait7"}).json()["runs"]
    assert [r["lead_id"] for r in at_step] == [mine]  # the leads behind the count: only those they see
    sample = client.post(journey + "/simulate", headers=manager.headers, json={**RATES, "seed": 3}).json()
    assert sample["leads"] == 1 and [p["label"] for p in sample["paths"]] == ["mine@example.com"]
