"""Saving a segment works its members out a chunk per transaction (segment.build, keyed, resumable); changing its
condition tells the differences only; a merge takes the merged lead out and checks the survivor again."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.events import SEGMENT_BUILD, SEGMENT_ENTERED, SEGMENT_LEFT
from leadflow.outbox import OutboxMessage
from leadflow.segments import members
from tests.integration.people.factories import lead
from tests.integration.segments.helpers import api_members, drain, segment, stored_members, told


def _builds(factory, segment_id: int) -> list[dict]:
    with factory() as session:
        return [p for p in session.scalars(select(OutboxMessage.payload).where(OutboxMessage.topic == SEGMENT_BUILD)
                                           .order_by(OutboxMessage.id)) if p["segment_id"] == segment_id]


def test_a_new_segment_finds_its_members_in_chunks_and_a_new_condition_tells_the_differences(
        client, auth, factory, monkeypatch):
    monkeypatch.setattr(members, "CHUNK", 2)
    countries = ["FI", "FI", "SE", "DE", "FI", "SE", "NO"]
    ids = [lead(client, auth, first_name=f"L{i}", country=c) for i, c in enumerate(countries)]
    drain(factory)
    nordics = segment(client, auth, 'country == "FI"', name="Nordics")
    assert client.get(f"/api/v1/segments/{nordics}", headers=auth).json()["built"] is False
    drain(factory)
    finns = {i for i, c in zip(ids, countries) if c == "FI"}
    swedes = {i for i, c in zip(ids, countries) if c == "SE"}
    assert stored_members(factory, nordics) == finns
    built = client.get(f"/api/v1/segments/{nordics}", headers=auth).json()
    assert built["built"] is True and built["members"] == 3
    steps = _builds(factory, nordics)
    assert len(steps) >= 4 and [s["after"] for s in steps] == sorted(s["after"] for s in steps)
    assert sorted(told(factory, SEGMENT_ENTERED, nordics)) == sorted(finns)

    changed = client.patch(f"/api/v1/segments/{nordics}", headers=auth,
                           json={"condition": 'country in ("FI", "SE")'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["built"] is False and changed.json()["version"] == 2
    drain(factory)
    assert api_members(client, auth, nordics) == finns | swedes
    assert sorted(told(factory, SEGMENT_ENTERED, nordics)) == sorted([*finns, *swedes])  # only the Swedes are new
    assert told(factory, SEGMENT_LEFT, nordics) == []
    assert client.patch(f"/api/v1/segments/{nordics}", headers=auth,
                        json={"condition": 'country == "SE"'}).status_code == 200
    drain(factory)
    assert stored_members(factory, nordics) == swedes
    assert sorted(told(factory, SEGMENT_LEFT, nordics)) == sorted(finns)
    assert client.get(f"/api/v1/segments/{nordics}", headers=auth).json()["members"] == 2

    # Only the description: nothing worked out again.
    before = len(_builds(factory, nordics))
    assert client.patch(f"/api/v1/segments/{nordics}", headers=auth,
                        json={"description": "Sweden only now"}).status_code == 200
    assert len(_builds(factory, nordics)) == before


def test_a_rebuild_step_run_twice_changes_nothing_twice(client, auth, factory):
    ids = [lead(client, auth, first_name=f"R{i}", country="FI") for i in range(3)]
    drain(factory)
    finns = segment(client, auth, 'country == "FI"', name="Finns again")
    with factory() as session:
        version = session.scalar(select(OutboxMessage.payload).where(OutboxMessage.topic == SEGMENT_BUILD))["version"]
    payload = {"segment_id": finns, "version": version, "run": "saved", "after": 0}
    with factory() as session:
        first = members.build_step(payload, session=session)
        session.commit()
    with factory() as session:
        second = members.build_step(payload, session=session)
        session.commit()
    assert set(ids) <= {lead_id for _, lead_id in first.entered} and second.entered == second.left == []
    drain(factory)
    assert stored_members(factory, finns) >= set(ids)
    assert sorted(told(factory, SEGMENT_ENTERED, finns)) == sorted(stored_members(factory, finns))


def test_a_merge_takes_the_merged_lead_out_and_the_survivor_in(client, auth, factory):
    chiefs = segment(client, auth, 'job_title has words ("ceo") and country == "FI"', name="Finnish CEOs")
    survivor = lead(client, auth, first_name="Eero", email="eero@example.com", job_title="CEO")
    merged = lead(client, auth, first_name="Eero", email="eero.m@example.org", job_title="CEO", country="FI")
    drain(factory)
    assert stored_members(factory, chiefs) == {merged}
    r = client.post(f"/api/v1/leads/{survivor}/merge", headers=auth, json={"other_id": merged})
    assert r.status_code == 201, r.text
    drain(factory)
    assert stored_members(factory, chiefs) == {survivor}  # the survivor took the country
    assert told(factory, SEGMENT_LEFT, chiefs) == [merged]
    assert client.get(f"/api/v1/segments/{chiefs}", headers=auth).json()["members"] == 1
    assert client.post(f"/api/v1/leads/{merged}/unmerge", headers=auth).status_code == 200
    drain(factory)
    assert merged in stored_members(factory, chiefs)
