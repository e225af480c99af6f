"""Routing through HTTP and the worker: the Oulu story, teams in turn, absence and capacity, the fallback queue
managers see, an owner set by hand never overwritten, reassignment keeping the history, and rules that refuse bad
input with the field."""

from __future__ import annotations

from datetime import timedelta

from leadflow import clock, worker
from tests.integration.people.factories import Person, lead, person, team, visible

RULES = """
rules:
  - name: Northern Finland
    when: city == "Oulu"
    to: user:{oulu}
  - name: Rest of Finland
    when: country == "FI"
    to: team:Finland
"""


def _setup(client, auth, factory) -> tuple[Person, Person, Person, Person]:
    team(factory, "Finland")
    oulu = person(factory, "sales_rep")
    first, second = person(factory, "sales_rep", team="Finland"), person(factory, "sales_rep", team="Finland")
    manager = person(factory, "sales_manager")
    r = client.post("/api/v1/routing/rule-sets", headers=auth,
                    json={"text": RULES.format(oulu=oulu.email), "activate": True, "notes": "agreed"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "active" and r.json()["definition"]["rules"][0]["to"] == f"user:{oulu.email}"
    return oulu, first, second, manager


def _to_sql(client, auth, lead_id: int) -> None:
    r = client.post(f"/api/v1/leads/{lead_id}/stage", headers=auth, json={"to": "sql"})
    assert r.status_code == 200, r.text


def _owner(client, auth, lead_id: int) -> tuple:
    body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    return body["owner"], body["owner_email"], body["queue"]


def test_a_lead_from_oulu_goes_to_the_oulu_rep_with_why_and_one_from_helsinki_to_the_finland_team(
        client, auth, factory):
    oulu, first, second, _ = _setup(client, auth, factory)
    from_oulu = lead(client, auth, first_name="Outi", city="Oulu", country="FI", company="Pohjola Oy")
    from_helsinki = lead(client, auth, first_name="Heikki", city="Helsinki", country="FI")
    _to_sql(client, auth, from_oulu)
    _to_sql(client, auth, from_helsinki)
    worker.drain(factory)

    assert _owner(client, auth, from_oulu) == (oulu.id, oulu.email, None)
    owner, email, _ = _owner(client, auth, from_helsinki)
    assert owner in (first.id, second.id) and email in (first.email, second.email)

    history = client.get(f"/api/v1/leads/{from_oulu}/assignments", headers=auth).json()
    assert len(history) == 1
    (assigned,) = history
    assert assigned["rule"] == "Northern Finland" and assigned["trigger"] == "stage_sql"
    assert assigned["user_email"] == oulu.email and assigned["method"] == "rule"
    assert any(p["result"] for p in assigned["reasons"]["explanation"])
    helsinki = client.get(f"/api/v1/leads/{from_helsinki}/assignments", headers=auth).json()[0]
    assert helsinki["rule"] == "Rest of Finland"
    assert {"rule": "Rest of Finland", "target": "team:Finland"}.items() <= helsinki["reasons"]["considered"][0].items()

    timeline = client.get(f"/api/v1/leads/{from_oulu}/activities", headers=auth).json()
    assert any(a["kind"] == "assigned" and "Northern Finland" in a["summary"] for a in timeline)
    # the rep sees it at once, as new for them; the other reps do not see it at all
    assert from_oulu in visible(client, oulu) and from_oulu not in visible(client, first)


def test_a_team_takes_turns_and_the_turn_survives_between_batches(client, auth, factory):
    _, first, second, _ = _setup(client, auth, factory)
    leads = [lead(client, auth, city="Espoo", country="FI") for _ in range(6)]
    for lead_id in leads[:3]:
        _to_sql(client, auth, lead_id)
    worker.drain(factory)
    for lead_id in leads[3:]:
        _to_sql(client, auth, lead_id)
    worker.drain(factory)
    owners = [_owner(client, auth, lead_id)[0] for lead_id in leads]
    assert sorted(owners) == sorted([first.id, second.id] * 3)
    assert all(a != b for a, b in zip(owners, owners[1:], strict=False))  # strictly in turn


def test_an_absent_rep_is_skipped_with_the_reason_and_the_lead_goes_to_the_next_rule(client, auth, factory):
    oulu, first, second, _ = _setup(client, auth, factory)
    moment = clock.now()
    r = client.post(f"/api/v1/users/{oulu.id}/absences", headers=auth, json={
        "starts_at": (moment - timedelta(days=1)).isoformat(), "ends_at": (moment + timedelta(days=6)).isoformat(),
        "note": "holiday"})
    assert r.status_code == 201, r.text
    lead_id = lead(client, auth, city="Oulu", country="FI")
    _to_sql(client, auth, lead_id)
    worker.drain(factory)
    assert _owner(client, auth, lead_id)[0] in (first.id, second.id)
    reasons = client.get(f"/api/v1/leads/{lead_id}/assignments", headers=auth).json()[0]["reasons"]
    assert any(s["email"] == oulu.email and "absent" in s["reason"] for s in reasons["skipped"])


def test_a_rep_at_capacity_is_skipped_and_what_nobody_can_take_waits_in_the_queue_managers_see(
        client, auth, factory):
    oulu, first, second, manager = _setup(client, auth, factory)
    for rep in (oulu, first, second):
        r = client.put(f"/api/v1/routing/capacities/{rep.id}", headers=auth, json={"max_open": 0})
        assert r.status_code == 200, r.text
    lead_id = lead(client, auth, city="Oulu", country="FI")
    _to_sql(client, auth, lead_id)
    worker.drain(factory)
    assert _owner(client, auth, lead_id) == (None, None, "Unassigned")
    reasons = client.get(f"/api/v1/leads/{lead_id}/assignments", headers=auth).json()[0]["reasons"]
    assert {s["email"] for s in reasons["skipped"]} == {oulu.email, first.email, second.email}
    assert all("capacity" in s["reason"] for s in reasons["skipped"])
    assert lead_id in visible(client, manager) and lead_id not in visible(client, first)
    queued = client.get("/api/v1/leads", headers=manager.headers, params={"queued": "true"}).json()["items"]
    assert [x["id"] for x in queued] == [lead_id]

    # room again: the manager routes it now
    assert client.put(f"/api/v1/routing/capacities/{oulu.id}", headers=auth, json={}).status_code == 200
    r = client.post(f"/api/v1/leads/{lead_id}/route", headers=manager.headers)
    assert r.status_code == 200, r.text
    assert r.json()["assignment"]["user_id"] == oulu.id
    assert _owner(client, auth, lead_id) == (oulu.id, oulu.email, None)


def test_an_owner_set_by_hand_is_never_overwritten(client, auth, factory):
    oulu, first, _, _ = _setup(client, auth, factory)
    lead_id = lead(client, auth, city="Oulu", country="FI", owner=first)
    _to_sql(client, auth, lead_id)
    worker.drain(factory)
    assert _owner(client, auth, lead_id)[0] == first.id
    history = client.get(f"/api/v1/leads/{lead_id}/assignments", headers=auth).json()
    assert [(h["method"], h["user_id"]) for h in history] == [("manual", first.id)]


def test_a_manager_hands_a_lead_over_and_the_history_keeps_every_owner(client, auth, factory):
    oulu, first, second, _ = _setup(client, auth, factory)
    lead_id = lead(client, auth, city="Oulu", country="FI")
    _to_sql(client, auth, lead_id)
    worker.drain(factory)
    r = client.post(f"/api/v1/leads/{lead_id}/assign", headers=auth,
                    json={"to": f"user:{second.email}", "note": "Oulu rep on a trade fair"})
    assert r.status_code == 201, r.text
    worker.drain(factory)
    history = client.get(f"/api/v1/leads/{lead_id}/assignments", headers=auth).json()
    assert [(h["user_id"], h["method"]) for h in history] == [(second.id, "manual"), (oulu.id, "rule")]
    assert history[0]["previous_user_id"] == oulu.id and history[0]["reasons"]["note"] == "Oulu rep on a trade fair"
    assert _owner(client, auth, lead_id)[:2] == (second.id, second.email)
    # a lead with an owner is never routed over
    assert client.post(f"/api/v1/leads/{lead_id}/route", headers=auth).status_code == 422


def test_a_rep_cannot_change_routing_or_hand_leads_to_strangers(client, auth, factory):
    oulu, first, second, manager = _setup(client, auth, factory)
    assert client.get("/api/v1/routing/rule-sets", headers=first.headers).status_code == 403
    assert client.post("/api/v1/routing/rule-sets", headers=first.headers,
                       json={"text": "rules: []"}).status_code == 403
    lead_id = lead(client, auth, owner=first)
    assert client.post(f"/api/v1/leads/{lead_id}/assign", headers=first.headers,
                       json={"to": f"user:{second.email}"}).status_code == 403
    other = lead(client, auth, owner=oulu)
    assert client.get(f"/api/v1/leads/{other}/assignments", headers=first.headers).status_code == 404


def test_bad_rules_are_refused_with_each_field_and_nothing_is_saved(client, auth, factory):
    _setup(client, auth, factory)
    r = client.post("/api/v1/routing/rule-sets", headers=auth, json={"text": (
        "rules:\n  - name: A\n    when: cty == \"Oulu\"\n    to: user:nobody@example.com\n"
        "  - name: B\n    to: team:Nowhere\n    method: sideways\n")})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"rules[0].when", "rules[1].method", "rules[0].to", "rules[1].to"} <= fields  # every problem at once
    r = client.post("/api/v1/routing/rule-sets", headers=auth, json={"text": (
        "rules:\n  - name: A\n    to: user:nobody@example.com\n  - name: B\n    to: team:Nowhere\n")})
    assert r.status_code == 422
    assert {(e["field"], e["reason"].split(" ")[0]) for e in r.json()["errors"]} == {
        ("rules[0].to", "no"), ("rules[1].to", "no")}
    caller = person(factory, "telemarketer")
    r = client.post("/api/v1/routing/rule-sets", headers=auth, json={"text": (
        f"rules:\n  - name: A\n    to: user:{caller.email}\n")})
    assert r.status_code == 422 and "not in sales" in r.json()["errors"][0]["reason"]
    r = client.post("/api/v1/routing/rule-sets", headers=auth, json={"text": "rules: [unclosed"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("line")
    versions = client.get("/api/v1/routing/rule-sets", headers=auth).json()
    assert [v["version"] for v in versions] == [1]


def test_the_preview_says_where_the_open_leads_would_go_and_writes_nothing(client, auth, factory):
    oulu, *_ = _setup(client, auth, factory)
    for city in ("Oulu", "Oulu", "Tampere"):
        lead(client, auth, city=city, country="FI")
    lead(client, auth, city="Stockholm", country="SE")
    r = client.post("/api/v1/routing/preview", headers=auth, json={})
    assert r.status_code == 200, r.text
    targets = {t["target"]: t["count"] for t in r.json()["targets"]}
    assert targets[f"user:{oulu.email}"] == 2 and targets["queue:Unassigned"] == 1
    assert sum(targets.values()) == r.json()["leads"] == 4
    assert client.get("/api/v1/leads", headers=auth, params={"queued": "true"}).json()["items"] == []


def test_export_gives_back_what_was_imported(client, auth, factory):
    oulu, *_ = _setup(client, auth, factory)
    r = client.get("/api/v1/routing/rule-sets/active", headers=auth, params={"format": "yaml"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/yaml")
    again = client.post("/api/v1/routing/rule-sets", headers=auth, json={"text": r.text})
    assert again.status_code == 201
    assert again.json()["definition"] == client.get("/api/v1/routing/rule-sets/1", headers=auth).json()["definition"]


def test_routing_a_queued_lead_again_when_still_nobody_can_take_it_adds_nothing(client, auth, factory):
    oulu, first, second, manager = _setup(client, auth, factory)
    for rep in (oulu, first, second):
        assert client.put(f"/api/v1/routing/capacities/{rep.id}", headers=auth, json={"max_open": 0}).status_code == 200
    lead_id = lead(client, auth, city="Oulu", country="FI")
    _to_sql(client, auth, lead_id)
    worker.drain(factory)
    for _ in range(2):
        r = client.post(f"/api/v1/leads/{lead_id}/route", headers=manager.headers)
        assert r.status_code == 200 and r.json()["assignment"] is None, r.text
    history = client.get(f"/api/v1/leads/{lead_id}/assignments", headers=auth).json()
    assert [(h["queue"], h["method"]) for h in history] == [("Unassigned", "fallback")]
