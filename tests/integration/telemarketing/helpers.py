"""Telemarketing's test helpers: a team of agents, a list made through the API, callable leads."""

from __future__ import annotations

import itertools

from leadflow.people import roles
from leadflow.people import service as people_service
from tests.integration.people import factories

KIND = "telemarketing" if "telemarketing" in roles.TEAM_KINDS else roles.TEAM_KINDS[0]

_numbers = itertools.count(1)

SCRIPT = [
    {"key": "need", "label": "How badly do you need it?", "kind": "single", "maps_to": "bant.need",
     "options": [{"value": "high", "label": "Badly"}, {"value": "low", "label": "Not much"}]},
    {"key": "budget", "label": "What is your budget?", "kind": "text", "maps_to": "bant.budget"},
    {"key": "role", "label": "Your job title", "kind": "text", "maps_to": "job_title"},
]


def agents(factory, count: int = 2, *, team: str | None = None) -> tuple[int, list[factories.Person]]:
    """A team of telemarketers: its id and its agents."""
    name = team or f"Callers {next(_numbers)}"
    factories.team(factory, name, kind=KIND)
    with factory() as session:
        team_id = people_service.team_by_name(name, session=session).id
    return team_id, [factories.person(factory, "telemarketer", team=name) for _ in range(count)]


def callable_lead(client, auth, **fields) -> int:
    n = next(_numbers)
    fields.setdefault("email", f"callee{n}@pumps.example")
    fields.setdefault("phone", f"+35840{1000000 + n}")
    return factories.lead(client, auth, **fields)


def make_list(client, auth, *, team_id: int | None = None, **fields) -> dict:
    body = {"name": f"List {next(_numbers)}", "hours_from": 0, "hours_to": 1440, "days": "1234567", **fields}
    if team_id is not None:
        body["team_id"] = team_id
    r = client.post("/api/v1/call-lists", headers=auth, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def put_on(client, auth, made, ids):
    r = client.post(f"/api/v1/call-lists/{made['id']}/leads", headers=auth, json={"lead_ids": ids})
    assert r.status_code == 200, r.text
    return r.json()


def claim(client, made, who) -> int | None:
    r = client.post(f"/api/v1/call-lists/{made['id']}/claims", headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()["lead"]["id"] if r.json()["claimed"] else None


def call(client, made, who, lead_id, outcome, **body):
    return client.post(f"/api/v1/call-lists/{made['id']}/calls", headers=who.headers,
                       json={"lead_id": lead_id, "outcome": outcome, **body})


def entry_of(client, auth, made, lead_id) -> dict | None:
    for state in ("waiting", "done"):
        r = client.get(f"/api/v1/call-lists/{made['id']}/entries", headers=auth, params={"state": state})
        for found in r.json():
            if found["lead_id"] == lead_id:
                return found
    return None
