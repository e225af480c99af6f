"""The editor's changes to a draft and the drawing of a journey as boxes and ways."""

from __future__ import annotations

import pytest

from leadflow.errors import Invalid
from leadflow.journeys import drawing, editing
from tests.unit.journeys.test_simulate import BROCHURE


def test_a_step_added_after_a_step_takes_its_place_in_the_chain():
    out, new = editing.add_step(BROCHURE, "add_points", after="s1")
    steps = {s["id"]: s for s in out["steps"]}
    assert new == "points1" and steps["s1"]["next"] == "points1" and steps["points1"]["next"] == "s2"
    assert {s["id"] for s in BROCHURE["steps"]} == {s["id"] for s in out["steps"]} - {"points1"}


def test_a_step_added_on_a_way_of_a_branch_and_on_its_otherwise_way():
    out, new = editing.add_step(BROCHURE, "wait", after="s4", way="1")
    steps = {s["id"]: s for s in out["steps"]}
    assert steps["s4"]["branches"][1]["next"] == new and steps[new]["next"] == "h1"
    out, other = editing.add_step(out, "exit", after="s4", way="else")
    steps = {s["id"]: s for s in out["steps"]}
    assert steps["s4"]["else"] == other and "next" not in steps[other]
    with pytest.raises(Invalid) as refused:
        editing.add_step(out, "wait", after="s4", way="9")
    assert refused.value.errors[0].field == "way"


def test_removing_a_step_joins_its_way_up_and_a_branch_takes_what_only_it_reached():
    out = editing.remove_step(BROCHURE, "s1")
    assert out["start"] == "s2"
    out = editing.remove_step(BROCHURE, "s4")
    steps = {s["id"] for s in out["steps"]}
    assert {s["next"] for s in out["steps"] if s["id"] == "s3"} == {"x1"}
    assert steps == {"s1", "s2", "s3", "x1"}


def test_a_steps_form_sets_its_fields_and_a_number_that_is_not_one_is_named():
    out = editing.update_step(BROCHURE, "s1", {"duration": "PT12H"})
    assert out["steps"][0]["duration"] == "PT12H"
    with pytest.raises(Invalid) as refused:
        editing.update_step(BROCHURE, "n1", {"points": "ten"})
    assert refused.value.errors[0].field == "steps.n1.points" and "ten" in refused.value.errors[0].reason
    out = editing.update_step(BROCHURE, "s4", {"way-0-kind": "condition", "way-0-condition": 'country == "FI"'})
    assert out["steps"][3]["branches"][0]["when"] == {"condition": 'country == "FI"'}


def test_entry_reentry_and_goals_from_the_settings_form():
    out = editing.update_settings(BROCHURE, {"entry_kinds": ["manual", "form"], "form_id": "3",
                                             "reentry_mode": "after_days", "reentry_days": "30",
                                             "goals": 'Became an SQL: stage == "sql"\n'})
    assert out["entry"] == [{"kind": "manual"}, {"kind": "form", "form_id": 3}]
    assert out["reentry"] == {"mode": "after_days", "days": 30}
    assert out["goals"] == [{"name": "Became an SQL", "condition": 'stage == "sql"'}]
    with pytest.raises(Invalid) as refused:
        editing.update_settings(BROCHURE, {"goals": "no colon here"})
    assert refused.value.errors[0].field == "goals.0"


def test_the_drawing_puts_the_ways_side_by_side_with_their_words_and_counts():
    boxes = drawing.draw(BROCHURE, {"s4": {"ways": {"1": 5, "else": 2}}}, {("template", 1): "Brochure survey"})
    assert [b.step_id for b in boxes] == ["s1", "s2", "s3", "s4"]
    assert boxes[0].detail == "7 days" and boxes[1].detail == "Brochure survey"
    ways = boxes[3].ways
    assert [w.index for w in ways] == ["0", "1", "2", "3", "4", "else"]
    assert ways[0].label == "its email bounced (s2)" and ways[1].went == 5 and ways[-1].went == 2
    assert ways[1].label == 'survey.next_step in ("quote", "meeting")'
    assert isinstance(ways[0].column[0], drawing.Box) and ways[0].column[0].step_id == "d1"
    assert isinstance(ways[2].column[0], drawing.Goto) and ways[2].column[0].step_id == "d1"
