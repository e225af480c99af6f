"""/api/v1/journeys: create, read, replace the draft (a stale revision is a 409), 422s naming the step and the field,
publish (a new version; the old stays), pause and resume, versions, counts and runs; permissions per role."""

from __future__ import annotations

import pytest

from tests.integration.journeys.journeys import brochure, make
from tests.integration.people.factories import person


def test_a_journey_is_made_in_draft_and_read_back_with_its_revision(client, auth):
    made = make(client, auth)
    assert made["status"] == "draft" and made["live"] is None
    assert made["draft"]["number"] == 1 and made["draft"]["definition"]["start"] == "wait7"
    got = client.get(f"/api/v1/journeys/{made['id']}", headers=auth).json()
    assert got["draft"]["revision"] == made["draft"]["revision"] and got["counts"] == {}
    listed = client.get("/api/v1/journeys", headers=auth).json()["journeys"]
    assert [(j["name"], j["status"], j["active"], j["has_draft"]) for j in listed] == [
        ("Brochure follow-up", "draft", 0, True)]


def test_a_journey_without_a_definition_starts_with_an_exit_and_a_name_is_needed_and_unique(client, auth):
    blank = client.post("/api/v1/journeys", headers=auth, json={"name": "Webinar"})
    assert blank.status_code == 201 and blank.json()["draft"]["definition"]["steps"] == [{"id": "exit1",
                                                                                          "type": "exit"}]
    again = client.post("/api/v1/journeys", headers=auth, json={"name": "webinar"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "name"
    nameless = client.post("/api/v1/journeys", headers=auth, json={"name": " "})
    assert nameless.status_code == 422 and nameless.json()["errors"] == [{"field": "name", "reason": "is required"}]


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["steps"][0].update(duration="soon"), "definition.steps.wait7.duration", "no duration"),
    (lambda d: d["steps"][1].pop("template_id"), "definition.steps.survey.template_id", "email template"),
    (lambda d: d["steps"][3]["branches"][1]["when"].update(condition='survey.next_step in ("quote"'),
     "definition.steps.route.branches.1.when.condition", "column"),
    (lambda d: d["steps"][4].update(stage="won"), "definition.steps.discard.stage", "must be one of"),
    (lambda d: d["steps"][2].update(next="nowhere"), "definition.steps.answer.next", "no step 'nowhere'"),
    (lambda d: d["goals"][0].update(condition="stage =="), "definition.goals.0.condition", ""),
])
def test_a_draft_with_a_problem_is_a_422_naming_the_step_and_the_field(client, auth, change, field, words):
    made = make(client, auth)
    definition = brochure()
    change(definition)
    r = client.put(f"/api/v1/journeys/{made['id']}/draft", headers=auth, json={"definition": definition})
    assert r.status_code == 422, r.text
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert field in errors and words in errors[field]
    assert client.get(f"/api/v1/journeys/{made['id']}", headers=auth).json()["draft"]["definition"] == brochure()


def test_a_draft_saved_against_a_stale_revision_is_a_409_and_the_other_change_is_kept(client, auth):
    made = make(client, auth)
    seen = made["draft"]["revision"]
    first = brochure()
    first["steps"][0]["duration"] = "P5D"
    assert client.put(f"/api/v1/journeys/{made['id']}/draft", headers=auth,
                      json={"definition": first, "revision": seen}).status_code == 200
    second = brochure()
    second["steps"][0]["duration"] = "P9D"
    stale = client.put(f"/api/v1/journeys/{made['id']}/draft", headers=auth,
                       json={"definition": second, "revision": seen})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    kept = client.get(f"/api/v1/journeys/{made['id']}", headers=auth).json()["draft"]["definition"]
    assert kept["steps"][0]["duration"] == "P5D"


def test_publishing_makes_a_version_live_and_the_next_edit_a_new_draft_version(client, auth):
    made = make(client, auth)
    journey = f"/api/v1/journeys/{made['id']}"
    live = client.post(journey + "/publish", headers=auth)
    assert live.status_code == 200 and live.json()["status"] == "live"
    assert live.json()["live"]["number"] == 1 and live.json()["draft"] is None
    again = client.post(journey + "/publish", headers=auth)
    assert again.status_code == 409 and "no draft" in again.text
    changed = brochure()
    changed["steps"][0]["duration"] = "P3D"
    edited = client.put(journey + "/draft", headers=auth, json={"definition": changed}).json()
    assert edited["draft"]["number"] == 2 and edited["live"]["definition"]["steps"][0]["duration"] == "P7D"
    assert client.post(journey + "/publish", headers=auth).json()["live"]["number"] == 2
    versions = client.get(journey + "/versions", headers=auth).json()["versions"]
    assert [(v["number"], v["published_at"] is not None) for v in versions] == [(2, True), (1, True)]
    assert client.get(journey + "/versions/1", headers=auth).json()["definition"] == brochure()
    assert client.get(journey + "/versions/7", headers=auth).status_code == 404


def test_pause_and_resume_a_published_journey_only(client, auth):
    made = make(client, auth)
    journey = f"/api/v1/journeys/{made['id']}"
    assert client.post(journey + "/pause", headers=auth).status_code == 409
    client.post(journey + "/publish", headers=auth)
    assert client.post(journey + "/pause", headers=auth).json()["status"] == "paused"
    assert client.get("/api/v1/journeys", headers=auth).json()["journeys"][0]["status"] == "paused"
    assert client.post(journey + "/resume", headers=auth).json()["status"] == "live"


def test_counts_and_runs_of_a_journey_nobody_entered_yet(client, auth):
    made = make(client, auth)
    journey = f"/api/v1/journeys/{made['id']}"
    assert client.get(journey + "/counts", headers=auth).json() == {"steps": {}, "runs": {}}
    assert client.get(journey + "/runs", headers=auth).json() == {"runs": [], "next_after": None}
    assert client.get(journey + "/runs", headers=auth, params={"status": "lost"}).status_code == 422
    assert client.get("/api/v1/journeys/999999", headers=auth).status_code == 404


def test_bad_bodies_are_422s_with_the_field(client, auth):
    made = make(client, auth)
    journey = f"/api/v1/journeys/{made['id']}"
    assert client.put(journey + "/draft", headers=auth, json={}).json()["errors"][0]["field"] == "definition"
    not_object = client.put(journey + "/draft", headers=auth, json={"definition": [1, 2]})
    assert not_object.status_code == 422 and not_object.json()["errors"][0]["field"] == "definition"
    bad_enrol = client.post(journey + "/enrol", headers=auth, json={"lead_ids": "all"})
    assert bad_enrol.status_code == 422 and bad_enrol.json()["errors"][0]["field"] == "lead_ids"


def test_who_may_read_and_who_may_change_journeys(client, auth, factory):
    made = make(client, auth)
    journey = f"/api/v1/journeys/{made['id']}"
    for role, reads, manages in (("marketing", 200, 200), ("sales_manager", 200, 403), ("sales_rep", 403, 403),
                                 ("telemarketer", 403, 403)):
        who = person(factory, role)
        assert client.get(journey, headers=who.headers).status_code == reads, role
        r = client.post(journey + "/publish", headers=who.headers)
        assert r.status_code == (manages if manages == 403 else 200), (role, r.text)
        if r.status_code == 200:
            client.put(journey + "/draft", headers=auth, json={"definition": brochure()})
    assert client.get("/api/v1/journeys").status_code == 401


def test_enrolling_a_segment_that_does_not_exist_or_into_a_draft_is_refused_at_once_not_left_to_the_worker(
        client, auth, session):
    from sqlalchemy import text

    made = make(client, auth)
    journey = f"/api/v1/journeys/{made['id']}"
    segment = client.post("/api/v1/segments", headers=auth, json={"name": "Finns", "condition": 'country == "FI"'})
    assert segment.status_code == 201, segment.text
    draft = client.post(journey + "/enrol", headers=auth, json={"segment_id": segment.json()["id"]})
    assert draft.status_code == 409 and "publish it first" in draft.text
    assert client.post(journey + "/publish", headers=auth).status_code == 200
    for unknown in (999999, 10 ** 30):
        r = client.post(journey + "/enrol", headers=auth, json={"segment_id": unknown})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "segment_id", r.text
    assert client.post(journey + "/enrol", headers=auth, json={"segment_id": segment.json()["id"]}).status_code == 200
    queued = session.execute(text("SELECT payload FROM outbox WHERE topic = 'journey.enrol'")).scalars().all()
    assert len(queued) == 1 and f"segment:{segment.json()['id']}" in str(queued[0])
