"""What a run does at each step: the brochure journey's every way, waits, goals, entry and re-entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow.journeys import flow
from leadflow.journeys.definition import Entry, Reentry, parse_definition
from leadflow.journeys.flow import Facts, Message, PastRun, Seen
from leadflow.journeys.template_definition import brochure

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
BROCHURE = parse_definition(brochure(template_id=4, call_list_id=2, form_id=3))


def test_a_run_starts_by_waiting_a_week():
    arrival = flow.start(BROCHURE, NOW)
    assert arrival.step_id == "wait7" and arrival.due_at == NOW + timedelta(days=7)


def test_after_the_wait_the_survey_email_is_sent_now_then_the_run_waits_for_an_answer_three_days():
    decision = flow.step(BROCHURE, "wait7", Facts(), NOW)
    assert decision.action == "none" and decision.next.step_id == "survey" and decision.next.due_at == NOW
    decision = flow.step(BROCHURE, "survey", Facts(), NOW)
    assert decision.action == "send_email" and decision.next.step_id == "answer"
    assert decision.next.waits_for == ("survey.submitted",)
    assert decision.next.due_at == decision.next.timeout_at == NOW + timedelta(days=3)


def test_an_answer_before_the_timeout_goes_on_at_once():
    arrived = NOW - timedelta(days=1)
    facts = Facts(events=[Seen("survey.submitted", NOW)], arrived_at=arrived)
    decision = flow.step(BROCHURE, "answer", facts, NOW)
    assert decision.outcome == "survey.submitted" and decision.next.step_id == "route"


def test_an_event_before_the_run_arrived_at_the_wait_does_not_count():
    facts = Facts(events=[Seen("survey.submitted", NOW - timedelta(days=2))], arrived_at=NOW - timedelta(days=1))
    decision = flow.step(BROCHURE, "answer", facts, NOW)
    assert decision.action == "keep_waiting" and decision.due_at == NOW + timedelta(days=2)


def test_the_timeout_goes_on_without_the_event():
    decision = flow.step(BROCHURE, "answer", Facts(arrived_at=NOW - timedelta(days=3)), NOW)
    assert decision.outcome == "timeout" and decision.next.step_id == "route"


def route(messages=None, events=(), context=None):
    facts = Facts(context=context or {}, messages={"survey": Message(**messages)} if messages is not None else {},
                  events=list(events))
    return flow.step(BROCHURE, "route", facts, NOW)


def test_bounced_is_discarded():
    assert route({"status": "bounced", "bounced": True}).next.step_id == "discard_bounced"


def test_asking_for_a_quote_or_a_meeting_goes_straight_to_sales():
    for answer in ("quote", "meeting"):
        decision = route({"status": "sent", "delivered": True, "opened": True},
                         [Seen("survey.submitted", NOW)], {"survey.next_step": answer})
        assert decision.next.step_id == "sales", answer
        assert decision.outcome == 'way 2: survey.next_step in ("quote", "meeting")'


def test_answered_otherwise_is_nurtured():
    decision = route({"status": "sent", "delivered": True, "opened": True}, [Seen("survey.submitted", NOW)],
                     {"survey.next_step": "nothing"})
    assert decision.next.step_id == "nurture"


def test_not_opened_is_discarded_and_opened_but_not_answered_goes_to_telemarketing():
    assert route({"status": "sent", "delivered": True}).next.step_id == "discard_unopened"
    assert route({"status": "skipped", "reason": "do not contact"}).next.step_id == "discard_unopened"
    decision = route({"status": "sent", "delivered": True, "opened": True})
    assert decision.next.step_id == "call" and decision.outcome == "else"


def test_action_steps_are_performed_and_the_last_ends_the_run():
    decision = flow.step(BROCHURE, "sales", Facts(), NOW)
    assert decision.action == "hand_to_sales" and decision.end == "done" and decision.next is None
    decision = flow.step(BROCHURE, "nurture", Facts(), NOW)
    assert decision.action == "change_stage" and decision.next.step_id == "points"


def test_a_goal_reached_ends_the_run_at_any_step_before_its_action():
    decision = flow.step(BROCHURE, "survey", Facts(context={"stage": "sql"}), NOW)
    assert decision.action == "goal" and decision.end == "goal" and decision.goal == "Became an SQL"


def test_exit_ends_the_run_as_exited():
    parsed = parse_definition({"steps": [{"id": "x", "type": "exit"}]})
    assert flow.step(parsed, "x", Facts(), NOW).end == "exited"


def test_call_outcomes_forms_and_clicks_are_branched_on():
    parsed = parse_definition({"steps": [
        {"id": "m", "type": "send_email", "template_id": 1, "next": "b"},
        {"id": "b", "type": "branch", "branches": [
            {"when": {"happened": "call_outcome:reached"}, "next": "r"},
            {"when": {"happened": "form_submitted", "form_id": 9}, "next": "f"},
            {"when": {"happened": "clicked", "step": "m"}, "next": "c"}], "else": "x"},
        {"id": "r", "type": "exit"}, {"id": "f", "type": "exit"}, {"id": "c", "type": "exit"},
        {"id": "x", "type": "exit"}]})

    def where(messages=None, events=()):
        facts = Facts(messages={"m": Message(**(messages or {}))}, events=list(events))
        return flow.step(parsed, "b", facts, NOW).next.step_id

    assert where(events=[Seen("contact.logged", NOW, outcome="no_answer")]) == "x"
    assert where(events=[Seen("contact.logged", NOW, outcome="reached")]) == "r"
    assert where(events=[Seen("lead.captured", NOW, form_id=8)]) == "x"
    assert where(events=[Seen("lead.captured", NOW, form_id=9)]) == "f"
    assert where({"clicked": True, "opened": True}) == "c"


def test_wait_until_a_date_or_for_a_call_outcome():
    parsed = parse_definition({"steps": [
        {"id": "d", "type": "wait_until", "date": "2027-04-01", "next": "c"},
        {"id": "c", "type": "wait_until", "events": ["contact.logged:reached"], "timeout": "2d", "next": None,
         "timeout_next": "x"},
        {"id": "x", "type": "exit"}]})
    assert flow.start(parsed, NOW).due_at == datetime(2027, 4, 1, tzinfo=UTC)
    facts = Facts(events=[Seen("contact.logged", NOW, outcome="voicemail")], arrived_at=NOW - timedelta(days=2))
    assert flow.step(parsed, "c", facts, NOW).next.step_id == "x"
    facts = Facts(events=[Seen("contact.logged", NOW, outcome="reached")], arrived_at=NOW - timedelta(days=1))
    decision = flow.step(parsed, "c", facts, NOW)
    assert decision.next is None and decision.end == "done"


def test_re_entry_rules():
    before = [PastRun("done", NOW - timedelta(days=40), NOW - timedelta(days=30))]
    assert flow.may_enter(Reentry(), [], NOW) is None
    assert "never" in flow.may_enter(Reentry("never"), before, NOW)
    assert flow.may_enter(Reentry("after_exit"), before, NOW) is None
    assert flow.may_enter(Reentry("after_exit"), [PastRun("active", NOW)], NOW) == "already in the journey"
    assert flow.may_enter(Reentry("after_days", 30), before, NOW) is None
    assert "50 days" in flow.may_enter(Reentry("after_days", 50), before, NOW)


def test_entry_triggers_match_their_form_event_or_segment_and_condition():
    parsed = parse_definition({"entry": [{"kind": "form", "form_id": 3},
                                         {"kind": "event", "topic": "lead.captured", "condition": "country == \"FI\""},
                                         {"kind": "segment", "segment_id": 5}],
                               "steps": [{"id": "x", "type": "exit"}]})
    assert flow.entry_for(parsed, "lead.captured", {"form_id": 3}, {}) == Entry("form", form_id=3)
    assert flow.entry_for(parsed, "lead.captured", {"form_id": 4}, {"country": "SE"}) is None
    assert flow.entry_for(parsed, "lead.captured", {}, {"country": "FI"}).kind == "event"
    assert flow.entry_for(parsed, "segment.entered", {"segment_id": 5}, {}).segment_id == 5
    assert flow.entry_for(parsed, "segment.entered", {"segment_id": 6}, {}) is None


def test_a_wait_woken_early_keeps_waiting_until_its_end():
    decision = flow.step(BROCHURE, "wait7", Facts(arrived_at=NOW - timedelta(days=2)), NOW)
    assert decision.action == "keep_waiting" and decision.due_at == NOW + timedelta(days=5)
    assert flow.step(BROCHURE, "wait7", Facts(arrived_at=NOW - timedelta(days=7)), NOW).next.step_id == "survey"
