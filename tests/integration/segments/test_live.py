"""A lead enters a segment as soon as its data matches and leaves when it no longer does: captured, edited, moved
to another stage, handed to a salesperson, merged; each change told once as segment.entered or segment.left."""

from __future__ import annotations

from leadflow.events import SEGMENT_ENTERED, SEGMENT_LEFT
from tests.integration.people.factories import lead, person
from tests.integration.segments.helpers import api_members, drain, segment, stored_members, told


def test_a_lead_enters_and_leaves_as_its_data_changes_through_the_api(client, auth, factory):
    finns = segment(client, auth, 'country == "FI" and job_title has words ("ceo", "cto")', name="Finnish chiefs")
    drain(factory)
    chief = lead(client, auth, first_name="Aino", country="FI", job_title="CEO")
    other = lead(client, auth, first_name="Bo", country="SE", job_title="CEO")
    drain(factory)
    assert api_members(client, auth, finns) == {chief}
    assert told(factory, SEGMENT_ENTERED, finns) == [chief]

    assert client.patch(f"/api/v1/leads/{other}", headers=auth, json={"country": "Finland"}).status_code == 200
    drain(factory)
    assert api_members(client, auth, finns) == {chief, other}
    assert client.patch(f"/api/v1/leads/{chief}", headers=auth, json={"job_title": "Buyer"}).status_code == 200
    drain(factory)
    assert api_members(client, auth, finns) == {other}
    assert told(factory, SEGMENT_ENTERED, finns) == [chief, other]
    assert told(factory, SEGMENT_LEFT, finns) == [chief]
    found = client.get(f"/api/v1/segments/{finns}", headers=auth).json()
    assert found["members"] == 1 and found["built"] is True

    # The same change again tells nobody anything.
    assert client.patch(f"/api/v1/leads/{other}", headers=auth, json={"city": "Oulu"}).status_code == 200
    drain(factory)
    assert told(factory, SEGMENT_ENTERED, finns) == [chief, other] and told(factory, SEGMENT_LEFT, finns) == [chief]


def test_a_stage_change_and_an_owner_move_leads_in_and_out(client, auth, factory):
    sqls = segment(client, auth, 'stage == "sql"', name="SQLs")
    owned = segment(client, auth, "owner_id is known", name="Owned")
    rep = person(factory, "sales_rep")
    drain(factory)
    one = lead(client, auth, first_name="Cecilia")
    drain(factory)
    assert stored_members(factory, sqls) == set() and stored_members(factory, owned) == set()
    assert client.patch(f"/api/v1/leads/{one}", headers=auth, json={"stage": "sql"}).status_code == 200
    assert client.patch(f"/api/v1/leads/{one}", headers=auth, json={"owner": rep.id}).status_code == 200
    drain(factory)
    assert stored_members(factory, sqls) == {one} and stored_members(factory, owned) == {one}
    assert client.patch(f"/api/v1/leads/{one}", headers=auth, json={"owner": None}).status_code == 200
    drain(factory)
    assert stored_members(factory, owned) == set() and told(factory, SEGMENT_LEFT, owned) == [one]


def test_a_recapture_with_new_data_brings_the_lead_in(client, auth, factory):
    big = segment(client, auth, "employees >= 1000", name="Enterprises")
    drain(factory)
    first = lead(client, auth, email="dana@example.com", first_name="Dana")
    drain(factory)
    assert stored_members(factory, big) == set()
    again = client.post("/api/v1/leads", headers=auth, json={"email": "dana@example.com",
                                                             "custom_fields": {"employees": "5,000 employees"}})
    assert again.status_code in (200, 201) and again.json()["id"] == first
    drain(factory)
    assert stored_members(factory, big) == {first}
