"""The segments API: a condition checked when saved (422 naming the field, the reason and the column), names kept
apart, who may read and change segments, and the members each person sees."""

from __future__ import annotations

from tests.integration.people.factories import lead, person
from tests.integration.segments.helpers import api_members, drain, segment


def _errors(r) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["reason"] for e in r.json()["errors"]}


def test_a_condition_that_does_not_parse_is_refused_with_its_column(client, auth):
    bad = _errors(client.post("/api/v1/segments", headers=auth, json={"name": "Broken", "condition":
                                                                      'country == "FI" and and score > 5'}))
    assert "condition" in bad and "at column 21" in bad["condition"]
    unknown = _errors(client.post("/api/v1/segments", headers=auth, json={"name": "Typo", "condition":
                                                                          'contry == "FI"'}))
    assert "unknown field 'contry'" in unknown["condition"] and "at column 1" in unknown["condition"]
    handed = _errors(client.post("/api/v1/segments", headers=auth, json={"name": "Team", "condition":
                                                                         'team == "North"'}))
    assert "cannot be used in a segment" in handed["condition"]
    empty = _errors(client.post("/api/v1/segments", headers=auth, json={"name": "", "condition": "  ",
                                                                        "colour": "red"}))
    assert empty["name"] == "is required" and "write a condition" in empty["condition"]
    assert "not a field of a segment" in empty["colour"]
    assert client.get("/api/v1/segments", headers=auth).json()["items"] == []


def test_names_are_unique_whatever_their_case_and_a_change_is_checked_too(client, auth):
    first = segment(client, auth, "score >= 10", name="Warm leads")
    again = _errors(client.post("/api/v1/segments", headers=auth, json={"name": "warm  LEADS",
                                                                        "condition": "score >= 20"}))
    assert "exists already" in again["name"]
    other = segment(client, auth, "score >= 50", name="Hot leads")
    assert "exists already" in _errors(client.patch(f"/api/v1/segments/{other}", headers=auth,
                                                    json={"name": "Warm leads"}))["name"]
    assert "at column" in _errors(client.patch(f"/api/v1/segments/{first}", headers=auth,
                                               json={"condition": "score >="}))["condition"]
    assert client.get(f"/api/v1/segments/{first}", headers=auth).json()["condition"] == "score >= 10"
    assert client.get("/api/v1/segments/999999", headers=auth).status_code == 404
    assert client.get(f"/api/v1/segments/{2 ** 70}", headers=auth).status_code in (404, 422)
    assert client.delete(f"/api/v1/segments/{other}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/segments/{other}", headers=auth).status_code == 404


def test_a_rep_reads_segments_but_cannot_change_them_and_sees_only_their_own_members(client, auth, factory):
    rep = person(factory, "sales_rep")
    manager = person(factory, "marketing")
    telemarketer = person(factory, "telemarketer")
    finns = segment(client, auth, 'country == "FI"', name="Finland")
    mine = lead(client, auth, owner=rep, first_name="Oma", country="FI")
    theirs = lead(client, auth, first_name="Muu", country="FI")
    drain(factory)
    assert api_members(client, auth, finns) == {mine, theirs}
    assert api_members(client, rep.headers, finns) == {mine}
    listed = client.get("/api/v1/segments", headers=rep.headers).json()["items"]
    assert [(s["id"], s["members"]) for s in listed] == [(finns, 1)]
    assert client.get(f"/api/v1/segments/{finns}", headers=manager.headers).json()["members"] == 2
    for change in (lambda h: client.post("/api/v1/segments", headers=h, json={"name": "x", "condition": "score > 1"}),
                   lambda h: client.patch(f"/api/v1/segments/{finns}", headers=h, json={"name": "Mine"}),
                   lambda h: client.delete(f"/api/v1/segments/{finns}", headers=h),
                   lambda h: client.post(f"/api/v1/segments/{finns}/rebuild", headers=h)):
        assert change(rep.headers).status_code == 403
    assert client.get("/api/v1/segments", headers=telemarketer.headers).status_code == 403
    assert client.get("/api/v1/segments").status_code == 401
    created = client.post("/api/v1/segments", headers=manager.headers, json={"name": "By marketing",
                                                                             "condition": "score > 1"})
    assert created.status_code == 201 and created.json()["created_by"].startswith("user:") or created.json()


def test_the_preview_counts_the_leads_the_caller_sees(client, auth, factory):
    rep = person(factory, "sales_rep")
    mine = lead(client, auth, owner=rep, first_name="Oma", country="FI")
    lead(client, auth, first_name="Muu", country="FI")
    seen = client.post("/api/v1/segments/preview", headers=rep.headers, json={"condition": 'country == "FI"'})
    assert seen.status_code == 200 and seen.json()["matched"] == 1 and seen.json()["sample"] == [mine]
    assert "at column" in _errors(client.post("/api/v1/segments/preview", headers=rep.headers,
                                              json={"condition": 'country =="FI" or'}))["condition"]
