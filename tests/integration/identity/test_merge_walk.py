"""Merge and unmerge walk the lead tables the stages declare (leadflow.stages), naming none themselves: the rows of
each table declared "move" follow the lead and come back, those declared "delete" go, the others stay."""

from __future__ import annotations

import dataclasses

from sqlalchemy import column, func, select, table

from leadflow import stages
from leadflow.identity import merges
from leadflow.identity.models import LeadMerge
from leadflow.stage import OnMerge


def _lead(client, auth, **body) -> int:
    r = client.post("/api/v1/leads", headers=auth, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def _count(factory, name: str, lead_id: int) -> int:
    rows = table(name, column("lead_id"))
    with factory() as session:
        return session.scalar(select(func.count()).select_from(rows).where(rows.c.lead_id == lead_id))


def test_a_merge_records_the_rows_of_every_table_declared_to_move_and_unmerge_brings_them_back(client, auth, factory):
    a = _lead(client, auth, first_name="Walk", last_name="Er", email="walk@er.example")
    b = _lead(client, auth, first_name="Walk", last_name="Er", email="walk.er@gmail.com",
              consents=[{"purpose": "newsletter", "granted": True}])
    moving = [t.name for t in stages.lead_tables() if t.on_merge is OnMerge.MOVE]
    before = {name: _count(factory, name, b) for name in moving}
    assert before["captures"] and before["consents"] and before["activities"]
    assert client.post(f"/api/v1/leads/{a}/merge", headers=auth, json={"other_id": b}).status_code == 201
    with factory() as session:
        record = session.scalar(select(LeadMerge).where(LeadMerge.merged_id == b))
        assert set(record.moved) == set(moving)
        assert {name: len(ids) for name, ids in record.moved.items()} == before
    assert all(_count(factory, name, b) == 0 for name in moving if name != "activities")  # merged_away is new
    assert client.post(f"/api/v1/leads/{b}/unmerge", headers=auth).status_code == 200
    assert all(_count(factory, name, b) >= before[name] for name in moving)


def test_rows_of_a_table_declared_delete_go_with_the_merged_lead_and_kept_ones_stay(client, auth, factory,
                                                                                     monkeypatch):
    declared = [dataclasses.replace(t, on_merge=OnMerge.DELETE) if t.name == "consents" else t
                for t in stages.lead_tables()]
    monkeypatch.setattr(merges, "_lead_tables", tuple(declared))
    a = _lead(client, auth, first_name="Del", last_name="Ete", email="del@ete.example")
    b = _lead(client, auth, first_name="Del", last_name="Ete", email="del.ete@gmail.com",
              consents=[{"purpose": "newsletter", "granted": True}])
    kept = {name: _count(factory, name, b) for name in ("lead_scores", "call_list_leads")}
    assert _count(factory, "consents", b) == 1
    assert client.post(f"/api/v1/leads/{a}/merge", headers=auth, json={"other_id": b}).status_code == 201
    assert _count(factory, "consents", b) == 0 and _count(factory, "consents", a) == 0
    assert {name: _count(factory, name, b) for name in kept} == kept
