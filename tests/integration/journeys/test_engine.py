"""The engine on a database of its own (SQLite and PostgreSQL): runs wait, act and end, each (lead, step) once, with
the worker's ticks; two passes at once share the due rows; a killed pass leaves nothing done; versions, goals,
re-entry and pause."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from leadflow import db, worker
from leadflow.email.models import EmailMessage
from leadflow.journeys import engine, jobs, service
from leadflow.journeys.models import JourneyStep
from leadflow.leads.models import Activity, Lead


def nurture(points: int = 5) -> dict:
    return {"entry": [{"kind": "manual"}], "reentry": {"mode": "never"},
            "steps": [{"id": "wait", "type": "wait", "duration": "1d", "next": "points"},
                      {"id": "points", "type": "add_points", "points": points, "reason": "read the brochure",
                       "next": "tag"},
                      {"id": "tag", "type": "set_field", "field": "custom.nurture", "value": "brochure",
                       "next": "stage"},
                      {"id": "stage", "type": "change_stage", "stage": "nurture", "reason": "not ready yet",
                       "next": "out"},
                      {"id": "out", "type": "exit"}]}


def tick(world) -> None:
    with world.factory() as session:
        jobs.ensure_scheduled(session)
        session.commit()
    worker.drain(world.factory)


def test_a_run_waits_its_day_then_does_each_step_once_by_the_workers_ticks(world):
    leads = world.leads(3)
    journey_id = world.journey(nurture())
    assert world.enrol(journey_id, leads)["entered"] == leads
    tick(world)
    assert {step for _, step, *_ in world.steps(journey_id)} == {"wait"}  # a day to go
    world.clock.forward(days=1, seconds=1)
    tick(world)
    assert [row[1:] for row in world.steps(journey_id) if row[0] == leads[0]] == [
        ("wait", 1, "waited", True), ("points", 1, "+5 points (read the brochure)", True),
        ("tag", 1, "set custom.nurture", True), ("stage", 1, "moved to nurture", True), ("out", 1, "exited", True)]
    assert world.runs(journey_id) == {lead: ("exited", "out", "exited") for lead in leads}
    with world.factory() as session:
        lead = session.get(Lead, leads[0])
        assert lead.stage == "nurture"
        assert lead.custom_fields == {"journey_points": 5, "nurture": "brochure"}
        assert session.scalars(select(Activity.summary).where(Activity.lead_id == lead.id,
                                                              Activity.kind == "points_added")).all() == [
            "+5 points: read the brochure"]
    tick(world)  # nothing more
    assert len(world.steps(journey_id)) == 15


def test_two_passes_at_once_do_each_lead_and_step_exactly_once(world):
    leads = world.leads(600)
    journey_id = world.journey({"steps": [
        {"id": "points", "type": "add_points", "points": 3, "reason": "welcome", "next": "stage"},
        {"id": "stage", "type": "change_stage", "stage": "nurture", "next": None}]})
    world.enrol(journey_id, leads)
    start, failures = threading.Barrier(2), []

    def run_pass() -> None:
        try:
            start.wait()
            engine.run_pass(world.factory, limit=50)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows = world.steps(journey_id)
    assert len(rows) == 1200 and all(done for *_, done in rows)
    assert len({(lead, step) for lead, step, *_ in rows}) == 1200
    assert world.count(Activity, Activity.kind == "points_added") == 600
    assert world.count(Activity, Activity.kind == "stage_changed") == 600
    assert world.count(Lead, Lead.stage == "nurture") == 600


def test_a_pass_killed_mid_chunk_leaves_nothing_done_and_the_next_sends_each_message_once(world, monkeypatch):
    leads = world.leads(40)
    template_id = world.template()
    journey_id = world.journey({"steps": [
        {"id": "mail", "type": "send_email", "template_id": template_id, "next": "points"},
        {"id": "points", "type": "add_points", "points": 1, "reason": "mailed", "next": None}]})
    world.enrol(journey_id, leads)
    real_write = engine._write

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("the worker was killed")

    monkeypatch.setattr(engine, "_write", killed)
    with pytest.raises(KeyboardInterrupt):
        engine.run_pass(world.factory, limit=25)
    assert world.count(EmailMessage) == 0
    assert world.count(JourneyStep, JourneyStep.done_at.is_not(None)) == 0
    monkeypatch.setattr(engine, "_write", real_write)
    engine.run_pass(world.factory, limit=25)
    engine.run_pass(world.factory, limit=25)
    with world.factory() as session:
        keys = session.scalars(select(EmailMessage.key)).all()
    assert len(keys) == len(set(keys)) == 40
    assert world.count(Activity, Activity.kind == "points_added") == 40
    assert {status for status, *_ in world.runs(journey_id).values()} == {"done"}


def test_runs_finish_on_the_version_they_started_and_new_runs_take_the_published_one(world):
    first, second = world.leads(2)
    journey_id = world.journey({"steps": [
        {"id": "wait", "type": "wait", "duration": "2d", "next": "a"},
        {"id": "a", "type": "set_field", "field": "custom.version", "value": "one", "next": None}]})
    world.enrol(journey_id, [first])
    with world.factory() as session:
        journey = service.get(journey_id, session=session)
        service.save_draft(journey, {"steps": [
            {"id": "wait", "type": "wait", "duration": "2d", "next": "b"},
            {"id": "b", "type": "set_field", "field": "custom.version", "value": "two", "next": None}]},
            session=session)
        session.commit()
    world.enrol(journey_id, [second])  # the draft is not live yet: still version one
    with world.factory() as session:
        service.publish(service.get(journey_id, session=session), session=session, actor="tests")
        session.commit()
    third = world.leads(1, prefix="third")[0]
    world.enrol(journey_id, [third])
    world.clock.forward(days=2, seconds=1)
    engine.run_pass(world.factory)
    with world.factory() as session:
        versions = {lead_id: session.get(Lead, lead_id).custom_fields["version"] for lead_id in (first, second, third)}
    assert versions == {first: "one", second: "one", third: "two"}


def test_a_goal_reached_while_waiting_ends_the_run_early(world):
    lead, other = world.leads(2)
    journey_id = world.journey({"goals": [{"name": "Became an SQL", "condition": "stage == \"sql\""}],
                                "steps": [{"id": "wait", "type": "wait", "duration": "7d", "next": "points"},
                                          {"id": "points", "type": "add_points", "points": 1, "reason": "r",
                                           "next": None}]})
    world.enrol(journey_id, [lead, other])
    from leadflow.qualification import service as qualification_service

    with world.factory() as session:
        db.begin_write(session)
        qualification_service.move_stage(session.get(Lead, lead), "sql", actor="tests", session=session)
        session.commit()
    worker.drain(world.factory)  # lead.stage_changed: the run's rows due now, its goal checked
    engine.run_pass(world.factory)
    runs = world.runs(journey_id)
    assert runs[lead] == ("goal", "wait", "goal: Became an SQL")
    assert runs[other] == ("active", "wait", None)  # woken too? no: only the changed lead's run
    world.clock.forward(days=7, seconds=1)
    engine.run_pass(world.factory)
    assert world.runs(journey_id)[other][0] == "done"
    assert world.count(Activity, Activity.kind == "points_added") == 1


def test_re_entry_rules_never_and_after_exit(world):
    lead = world.leads(1)[0]
    quick = {"steps": [{"id": "a", "type": "add_points", "points": 1, "reason": "r", "next": None}]}
    never = world.journey({**quick, "reentry": {"mode": "never"}}, name="Never")
    again = world.journey({**quick, "reentry": {"mode": "after_exit"}}, name="Again")
    for journey_id in (never, again):
        assert world.enrol(journey_id, [lead])["entered"] == [lead]
        assert world.enrol(journey_id, [lead])["refused"] == {lead: "already in the journey"}
    engine.run_pass(world.factory)
    assert "never" in world.enrol(never, [lead])["refused"][lead]
    assert world.enrol(again, [lead])["entered"] == [lead]
    engine.run_pass(world.factory)
    assert world.count(Activity, Activity.kind == "points_added") == 3  # once in "never", twice in "again"


def test_a_paused_journeys_due_steps_wait_until_it_is_resumed(world):
    lead = world.leads(1)[0]
    journey_id = world.journey({"steps": [{"id": "a", "type": "add_points", "points": 1, "reason": "r",
                                           "next": None}]})
    world.enrol(journey_id, [lead])
    with world.factory() as session:
        service.pause(service.get(journey_id, session=session), session=session)
        session.commit()
    assert engine.run_pass(world.factory) == 0
    assert world.runs(journey_id)[lead][0] == "active"
    with world.factory() as session:
        service.resume(service.get(journey_id, session=session), session=session)
        session.commit()
    assert engine.run_pass(world.factory) == 1
    assert world.runs(journey_id)[lead][0] == "done"
