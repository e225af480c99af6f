"""Every event has its consequence: a returning person's capture is rescored and checked like an edit, a new Sales
Ready rule or scoring rule set reaches every open lead through the worker, and no message is silently dropped."""

from __future__ import annotations

from sqlalchemy import select

from leadflow import outbox, worker
from leadflow.leads.models import Lead
from leadflow.outbox import OutboxMessage
from leadflow.qualification import service as qualification_service
from tests.integration.people.factories import lead


def _fit(client, auth, lead_id: int) -> tuple:
    body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    return body["score"], body["grade"], body["band"]


def _ready_messages(session, lead_id: int) -> list[OutboxMessage]:
    session.expire_all()
    return [m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "lead.sales_ready"))
            if m.payload.get("lead_id") == lead_id]


def _stage(client, auth, lead_id: int) -> str:
    return client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["stage"]


def test_a_returning_person_captured_again_is_rescored_like_the_same_edit(client, auth, factory):
    returning = lead(client, auth, email="ann@pumps.example", first_name="Ann")
    edited = lead(client, auth, email="bob@valves.example", first_name="Bob")
    worker.drain(factory)
    assert _fit(client, auth, returning) == _fit(client, auth, edited) == (0, "D", "cold")

    r = client.post("/api/v1/leads", headers=auth, json={"email": "ann@pumps.example", "job_title": "VP Sales",
                                                         "custom_fields": {"employees": 5000}})
    assert r.status_code == 200 and r.json()["id"] == returning, r.text
    assert client.patch(f"/api/v1/leads/{edited}", headers=auth, json={
        "job_title": "VP Sales", "custom_fields": {"employees": 5000}}).status_code == 200
    worker.drain(factory)
    assert _fit(client, auth, returning) == _fit(client, auth, edited) == (33, "B", "warm")


def test_a_returning_person_who_now_matches_the_rule_becomes_sales_ready_through_the_worker(client, auth, factory,
                                                                                           session):
    assert client.put("/api/v1/sales-ready-rule", headers=auth,
                      json={"expression": 'grade = "B"'}).status_code == 200
    lead_id = lead(client, auth, email="cy@pumps.example")
    worker.drain(factory)
    client.post("/api/v1/leads", headers=auth, json={"email": "cy@pumps.example", "job_title": "VP Sales",
                                                     "custom_fields": {"employees": 5000}})
    worker.drain(factory)
    assert _stage(client, auth, lead_id) == "sql"
    assert len(_ready_messages(session, lead_id)) == 1


def test_a_message_under_the_topic_name_of_before_the_upgrade_is_still_handled(client, auth, factory):
    lead_id = lead(client, auth, email="dee@pumps.example")
    worker.drain(factory)
    with factory() as session:  # as the capture of an older version wrote it, beside a change it did not score
        session.get(Lead, lead_id).job_title = "Chief Executive Officer"
        outbox.publish(session, "lead.merged", {"lead_id": lead_id, "capture_id": None, "channel": "api"})
        session.commit()
    worker.drain(factory)
    assert _fit(client, auth, lead_id)[:2] == (25, "B")
    with factory() as session:
        old = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "lead.merged")).one()
        assert old.done_at is not None and old.last_error is None


def test_a_topic_nobody_handles_is_kept_with_its_error_not_dropped(factory):
    with factory() as session:
        outbox.publish(session, "lead.mergde", {"lead_id": 1}, key="typo-topic")
        session.commit()
    worker.run_once(factory)
    with factory() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.key == "typo-topic")).one()
        assert message.done_at is None and "no handler for the topic 'lead.mergde'" in message.last_error


def test_saving_a_sales_ready_rule_checks_every_open_lead_in_the_worker(client, auth, factory, session):
    chiefs = [lead(client, auth, job_title="Chief Executive Officer") for _ in range(3)]
    analyst = lead(client, auth, job_title="Analyst")
    worker.drain(factory)
    assert {_stage(client, auth, i) for i in chiefs} == {"new"}

    r = client.put("/api/v1/sales-ready-rule", headers=auth, json={"expression": 'job_title contains "chief"'})
    assert r.status_code == 200
    assert {_stage(client, auth, i) for i in chiefs} == {"new"}  # not in the request: in the worker
    worker.drain(factory)
    assert {_stage(client, auth, i) for i in chiefs} == {"sql"}
    assert _stage(client, auth, analyst) == "new"
    assert [len(_ready_messages(session, i)) for i in chiefs] == [1, 1, 1]

    # Saving the rule again checks again, and a lead already Sales Ready publishes nothing more.
    client.put("/api/v1/sales-ready-rule", headers=auth,
               json={"expression": 'job_title contains "chief" or job_title contains "analyst"'})
    worker.drain(factory)
    assert [len(_ready_messages(session, i)) for i in chiefs] == [1, 1, 1]
    assert _stage(client, auth, analyst) == "sql"


def test_a_check_run_works_in_chunks_each_committed_and_resumes_from_its_cursor(client, auth, factory, session,
                                                                               monkeypatch):
    monkeypatch.setattr(qualification_service, "CHECK_CHUNK", 2)
    ids = [lead(client, auth, job_title="Chief Executive Officer") for _ in range(5)]
    worker.drain(factory)
    client.put("/api/v1/sales-ready-rule", headers=auth, json={"expression": 'job_title contains "chief"'})

    assert worker.run_once(factory, limit=1) == 1  # the first chunk, then the worker stops (a crash, a restart)
    assert [_stage(client, auth, i) for i in ids] == ["sql", "sql", "new", "new", "new"]
    session.expire_all()
    pending = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "sales_ready.check",
                                                          OutboxMessage.done_at.is_(None))).all()
    assert [m.payload["after"] for m in pending] == [ids[1]]

    worker.drain(factory)
    assert [_stage(client, auth, i) for i in ids] == ["sql"] * 5


def test_a_step_run_twice_after_a_crash_queues_its_next_step_once(client, auth, factory, session):
    ids = [lead(client, auth) for _ in range(2)]
    with factory() as own:
        for _ in range(2):  # the step committed, the worker died before marking its message done: run again
            qualification_service.check_step(session=own, run="crashed", after=0, reason="test")
        own.commit()
    session.expire_all()
    steps = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "sales_ready.check")).all()
    assert [(m.payload["after"], m.key) for m in steps] == [(ids[-1], f"sales_ready.check:crashed:{ids[-1]}")]


def test_activating_a_scoring_rule_set_checks_sales_ready_after_the_rescore(client, auth, factory, session):
    lead_id = lead(client, auth, job_title="Analyst")
    other = lead(client, auth, job_title="Analyst", email="other@valves.example")
    worker.drain(factory)
    assert client.put("/api/v1/sales-ready-rule", headers=auth, json={"expression": 'grade = "A"'}).status_code == 200
    worker.drain(factory)
    assert _stage(client, auth, lead_id) == "new"

    definition = {"name": "analysts first", "grades": {"A": 40, "B": 25, "C": 10},
                  "fit": [{"id": "analyst", "label": "Analyst", "field": "job_title", "match": {"words": ["analyst"]},
                           "points": 50}]}
    draft = client.post("/api/v1/scoring/rule-sets", headers=auth, json={"definition": definition}).json()
    assert client.post(f"/api/v1/scoring/rule-sets/{draft['id']}/activate", headers=auth).status_code == 202
    worker.drain(factory)
    assert {_stage(client, auth, i) for i in (lead_id, other)} == {"sql"}
    assert client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()["grade"] == "A"
    assert [len(_ready_messages(session, i)) for i in (lead_id, other)] == [1, 1]
    rescored = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "scoring.rescored")).all()
    assert len(rescored) == 1 and rescored[0].done_at is not None
