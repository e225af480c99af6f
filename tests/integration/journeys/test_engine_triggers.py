"""What brings a lead into a journey and what a waiting run hears, through the worker on a database of its own
(SQLite and PostgreSQL): a form's captures, an event with a condition, a segment entered, a call list's leads in
chunks, a call's outcome waking a run that waits for it."""

from __future__ import annotations

from sqlalchemy import update

from leadflow import db, events, outbox, worker
from leadflow.journeys import engine, service
from leadflow.leads.models import Lead
from leadflow.people import service as people_service

POINTS = [{"id": "a", "type": "add_points", "points": 1, "reason": "entered", "next": None}]


def publish(world, topic: str, *payloads: dict) -> None:
    with world.factory() as session:
        for payload in payloads:
            outbox.publish(session, topic, payload)
        session.commit()
    worker.drain(world.factory)


def test_a_forms_captures_enter_and_an_event_entry_takes_only_the_leads_its_condition_holds_for(world):
    fi, se, other = world.leads(3)
    with world.factory() as session:
        session.execute(update(Lead).where(Lead.id == fi).values(country="FI"))
        session.execute(update(Lead).where(Lead.id == se).values(country="SE"))
        session.commit()
    by_form = world.journey({"entry": [{"kind": "form", "form_id": 7}], "steps": POINTS}, name="Brochure form")
    by_event = world.journey({"entry": [{"kind": "event", "topic": "lead.updated",
                                         "condition": "country == \"FI\""}], "steps": POINTS}, name="Finns")
    publish(world, events.LEAD_CAPTURED, {"lead_id": fi, "capture_id": 1, "channel": "form", "form_id": 7},
            {"lead_id": se, "capture_id": 2, "channel": "form", "form_id": 8},
            {"lead_id": other, "capture_id": 3, "channel": "api", "form_id": None})
    assert set(world.runs(by_form)) == {fi}
    with world.factory() as session:
        assert service.get(by_form, session=session).status == "live"
    publish(world, events.LEAD_UPDATED, *({"lead_id": lead, "fields": ["country"]} for lead in (fi, se, other)))
    assert set(world.runs(by_event)) == {fi}
    assert world.runs(by_event)[fi][0] == "active"
    engine.run_pass(world.factory)
    assert world.runs(by_event)[fi][0] == "done"


def test_a_segment_entered_enrols_and_a_call_lists_leads_are_enrolled_a_chunk_at_a_time(world, monkeypatch):
    leads = world.leads(7)
    segment = world.journey({"entry": [{"kind": "segment", "segment_id": 4}], "steps": POINTS}, name="Segment")
    publish(world, events.SEGMENT_ENTERED, {"segment_id": 4, "lead_id": leads[0]},
            {"segment_id": 5, "lead_id": leads[1]})
    assert set(world.runs(segment)) == {leads[0]}
    with world.factory() as session:
        owner = people_service.create_user(session=session, email="tm@example.com", role="telemarketer")
        call_list = people_service.create_call_list(session=session, name="Revisit", owner=owner)
        people_service.add_to_call_list(session=session, call_list=call_list, lead_ids=leads[2:])
        session.commit()
        list_id = call_list.id
    listed = world.journey({"entry": [{"kind": "list", "call_list_id": list_id}], "steps": POINTS}, name="List")
    monkeypatch.setattr(service, "CHUNK", 2)  # five leads: three chunks, each its own job
    with world.factory() as session:
        service.enrol_later(listed, f"list:{list_id}", session=session)
        session.commit()
    worker.drain(world.factory)
    runs = world.runs(listed)
    assert set(runs) == set(leads[2:])
    with world.factory() as session:
        from leadflow.journeys.models import JourneyRun

        assert {run.entry for run in session.query(JourneyRun).filter(JourneyRun.journey_id == listed)} == {
            f"list {list_id}"}


def test_a_run_waiting_for_a_call_outcome_goes_on_when_the_call_is_logged(world):
    reached, voicemail = world.leads(2)
    journey_id = world.journey({"steps": [
        {"id": "call", "type": "wait_until", "events": ["contact.logged:reached"], "timeout": "P5D",
         "next": "hot", "timeout_next": "cold"},
        {"id": "hot", "type": "set_field", "field": "custom.call", "value": "reached", "next": None},
        {"id": "cold", "type": "set_field", "field": "custom.call", "value": "no answer", "next": None}]})
    world.enrol(journey_id, [reached, voicemail])
    engine.run_pass(world.factory)
    publish(world, events.CONTACT_LOGGED,
            {"lead_id": reached, "contact_id": 1, "user_id": None, "kind": "call", "outcome": "reached"},
            {"lead_id": voicemail, "contact_id": 2, "user_id": None, "kind": "call", "outcome": "voicemail"})
    engine.run_pass(world.factory)
    assert world.runs(journey_id)[reached][:2] == ("done", "hot")
    assert world.runs(journey_id)[voicemail][:2] == ("active", "call")  # voicemail is not what it waits for
    world.clock.forward(days=5, seconds=1)
    engine.run_pass(world.factory)
    with world.factory() as session:
        db.begin_write(session)
        values = {lead: session.get(Lead, lead).custom_fields["call"] for lead in (reached, voicemail)}
    assert values == {reached: "reached", voicemail: "no answer"}
