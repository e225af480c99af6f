"""The brochure template through the API: its journey made as a draft (a telemarketer owns its call list)."""

from __future__ import annotations

from tests.integration.people.factories import person
def test_the_brochure_template_makes_its_journey_as_a_draft(client, auth, factory):
    person(factory, "telemarketer")
    r = client.post("/api/v1/journeys/template/brochure", headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Brochure follow-up" and r.json()["status"] == "draft"
    assert r.json()["draft"]["definition"]["start"] == "wait7"
