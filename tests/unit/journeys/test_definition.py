"""A journey's definition: parsed into typed steps, every problem named by its step and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow.journeys import definition as d
from leadflow.journeys.template_definition import brochure


def steps(*items, **top):
    return {"start": items[0]["id"], "steps": list(items), **top}


def problems(data) -> dict[str, str]:
    with pytest.raises(d.DefinitionError) as caught:
        d.parse_definition(data)
    return {p.path: p.reason for p in caught.value.problems}


def test_the_brochure_template_parses_into_typed_steps():
    parsed = d.parse_definition(brochure(template_id=4, call_list_id=2, form_id=3))
    assert parsed.start == "wait7"
    assert isinstance(parsed.step("wait7"), d.Wait) and parsed.step("wait7").duration == timedelta(days=7)
    assert isinstance(parsed.step("survey"), d.SendEmail) and parsed.step("survey").template_id == 4
    answer = parsed.step("answer")
    assert isinstance(answer, d.WaitUntil) and answer.events == ("survey.submitted",)
    assert answer.timeout == timedelta(days=3)
    route = parsed.step("route")
    assert isinstance(route, d.Branch) and route.otherwise == "call"
    assert route.ways[1].when.condition.names == ("survey.next_step",)
    assert parsed.entry[0] == d.Entry("form", form_id=3)
    assert parsed.goals[0].name == "Became an SQL"


@pytest.mark.parametrize(("text", "span"), [
    ("P7D", timedelta(days=7)), ("PT12H", timedelta(hours=12)),
    ("P1DT6H30M", timedelta(days=1, hours=6, minutes=30)),
    ("P2W", timedelta(weeks=2)), ("7d", timedelta(days=7)), ("12h", timedelta(hours=12)),
    ("30m", timedelta(minutes=30)),
    ("2w", timedelta(weeks=2)), (" 3D ", timedelta(days=3)),
])
def test_durations_read_iso_8601_and_short_forms(text, span):
    assert d.parse_duration(text) == span


@pytest.mark.parametrize("text", ["", "P", "PT", "seven days", "7", "P1M", "P1Y", "-3d", 7])
def test_durations_that_are_no_duration_are_refused_with_a_reason(text):
    with pytest.raises(ValueError):
        d.parse_duration(text)


def test_months_are_refused_because_their_length_varies():
    with pytest.raises(ValueError, match="days"):
        d.parse_duration("P1M")


def test_format_duration_round_trips():
    for span in (timedelta(days=7), timedelta(hours=12), timedelta(days=1, hours=6, minutes=30), timedelta(0)):
        assert d.parse_duration(d.format_duration(span)) == span if span else d.format_duration(span) == "P0D"


def test_every_problem_names_its_step_and_field():
    found = problems(steps(
        {"id": "s1", "type": "wait", "duration": "a while", "next": "s2"},
        {"id": "s2", "type": "send_email", "next": "s3"},
        {"id": "s3", "type": "branch", "branches": [{"when": {"condition": "stage = "}, "next": "s9"},
                                                    {"when": {"happened": "opened", "step": "s1"}, "next": None},
                                                    {"when": {"happened": "danced"}, "next": None}]},
        {"id": "s4", "type": "teleport"},
    ))
    assert "no duration" in found["steps.s1.duration"]
    assert "template" in found["steps.s2.template_id"]
    assert "column" in found["steps.s3.branches.0.when.condition"]
    assert found["steps.s3.branches.0.next"] == "no step 's9'"
    assert found["steps.s3.branches.1.when.step"] == "'s1' is no send_email step"
    assert "must be a condition or one of" in found["steps.s3.branches.2.when.happened"]
    assert "must be one of" in found["steps.s4.type"]


def test_unknown_fields_in_conditions_are_refused_but_survey_answers_are_known():
    found = problems(steps({"id": "b", "type": "branch", "branches": [
        {"when": {"condition": "shoe_size > 40"}, "next": None}], "else": None}))
    assert "unknown field 'shoe_size'" in found["steps.b.branches.0.when.condition"]
    assert d.parse_definition(steps({"id": "b", "type": "branch", "branches": [
        {"when": {"condition": "survey.budget == \"yes\" and country == \"FI\""}, "next": None}], "else": None}))


def test_the_journeys_own_fields_are_checked():
    found = problems({"entry": [{"kind": "form"}, {"kind": "event", "topic": "lead.exploded"}, {"kind": "nope"}],
                      "reentry": {"mode": "after_days"}, "goals": [{"name": "SQL"}], "start": "x",
                      "steps": [{"id": "a", "type": "exit"}]})
    assert found["entry.0.form_id"] == "is required"
    assert "must be one of" in found["entry.1.topic"]
    assert "must be one of" in found["entry.2.kind"]
    assert found["reentry.days"] == "is required"
    assert found["goals.0.condition"] == "is required"
    assert found["start"] == "no step 'x'"


def test_steps_no_path_reaches_and_loops_without_a_wait_are_refused():
    found = problems(steps({"id": "a", "type": "set_field", "field": "custom.x", "value": 1, "next": "b"},
                           {"id": "b", "type": "add_points", "points": 5, "reason": "r", "next": "a"},
                           {"id": "c", "type": "exit"}))
    assert found["steps.c.id"] == "no step leads here from the start"
    assert "without a wait" in found["steps.a.next"]


def test_a_loop_through_a_wait_is_allowed_and_its_steps_are_known_to_loop():
    from leadflow.journeys import flow

    parsed = d.parse_definition(steps({"id": "w", "type": "wait", "duration": "1d", "next": "p"},
                                      {"id": "p", "type": "add_points", "points": 1, "reason": "r", "next": "w"}))
    assert flow.on_loop(parsed) == {"w", "p"}


def test_duplicate_ids_and_bad_ids_are_refused():
    found = problems({"steps": [{"id": "a", "type": "exit"}, {"id": "a", "type": "exit"}, {"id": "no spaces"}]})
    assert found["steps.a.id"] == "is used by another step"
    assert "letters" in found["steps.2.id"]


def test_wait_until_needs_events_or_a_date_and_a_timeout_for_events():
    found = problems(steps({"id": "w", "type": "wait_until", "next": None}))
    assert "events" in found["steps.w.events"]
    found = problems(steps({"id": "w", "type": "wait_until", "events": ["survey.submitted"], "next": None}))
    assert "is required" in found["steps.w.timeout"]
    found = problems(steps({"id": "w", "type": "wait_until", "events": ["tv.watched"], "timeout": "1d",
                            "next": None}))
    assert "no event a journey hears" in found["steps.w.events"]
    parsed = d.parse_definition(steps({"id": "w", "type": "wait_until", "date": "2027-01-31", "next": None}))
    assert parsed.step("w").date == datetime(2027, 1, 31, tzinfo=UTC)
    parsed = d.parse_definition(steps({"id": "w", "type": "wait_until", "events": ["contact.logged:reached"],
                                       "timeout": "2d", "next": None}))
    assert parsed.step("w").events == ("contact.logged:reached",)


def test_set_field_add_points_and_change_stage_check_their_values():
    found = problems(steps({"id": "f", "type": "set_field", "field": "password", "value": "x", "next": "p"},
                           {"id": "p", "type": "add_points", "points": 0, "reason": "r", "next": "c"},
                           {"id": "c", "type": "change_stage", "stage": "customer", "next": None}))
    assert "custom.<name>" in found["steps.f.field"]
    assert "not 0" in found["steps.p.points"]
    assert "must be one of" in found["steps.c.stage"]


def test_not_an_object_is_one_problem():
    assert problems([1, 2]) == {"definition": "must be an object with entry, start and steps"}
    assert d.problems_of({"steps": []}) and not d.problems_of(steps({"id": "x", "type": "exit"}))
