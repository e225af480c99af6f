"""The simulator: a journey run over sample leads on a virtual clock, the world drawn from rates and a seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow.journeys import simulate
from leadflow.journeys.definition import DefinitionError
from leadflow.journeys.simulate import Rates

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)

BROCHURE = {
    "entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "goals": [], "start": "s1",
    "steps": [
        {"id": "s1", "type": "wait", "duration": "P7D", "next": "s2"},
        {"id": "s2", "type": "send_email", "template_id": 1, "next": "s3"},
        {"id": "s3", "type": "wait_until", "events": ["survey.submitted"], "timeout": "P3D", "next": "s4"},
        {"id": "s4", "type": "branch",
         "branches": [{"when": {"happened": "bounced", "step": "s2"}, "next": "d1"},
                      {"when": {"condition": 'survey.next_step in ("quote", "meeting")'}, "next": "h1"},
                      {"when": {"happened": "not_opened", "step": "s2"}, "next": "d1"},
                      {"when": {"happened": "survey_submitted"}, "next": "n1"},
                      {"when": {"happened": "opened", "step": "s2"}, "next": "c1"}],
         "else": "x1"},
        {"id": "h1", "type": "hand_to_sales", "next": None},
        {"id": "c1", "type": "add_to_call_list", "call_list_id": 2, "next": None},
        {"id": "d1", "type": "change_stage", "stage": "disqualified", "reason": "bounced or not opened", "next": None},
        {"id": "n1", "type": "add_points", "points": 10, "reason": "answered the survey", "next": None},
        {"id": "x1", "type": "exit"}]}


def leads(n: int) -> list[dict]:
    return [{"id": i, "email": f"lead{i}@example.com", "stage": "new", "country": "FI"} for i in range(1, n + 1)]


def test_the_same_seed_gives_the_same_counts_and_paths_and_another_seed_other_ones():
    first = simulate.simulate(BROCHURE, leads(300), rates=Rates(), seed=7, start=START).as_dict()
    again = simulate.simulate(BROCHURE, leads(300), rates=Rates(), seed=7, start=START).as_dict()
    other = simulate.simulate(BROCHURE, leads(300), rates=Rates(), seed=8, start=START).as_dict()
    assert first == again
    assert first["ways"] != other["ways"]


def test_every_lead_walks_to_one_end_and_the_branch_ways_add_up_to_the_leads_that_reached_it():
    result = simulate.simulate(BROCHURE, leads(500), rates=Rates(), seed=1, start=START)
    assert result.reached["s1"] == result.reached["s2"] == result.reached["s4"] == 500
    assert sum(result.ways["s4"].values()) == 500
    assert set(result.ways["s4"]) <= {"0", "1", "2", "3", "4", "else"}
    assert result.reached["d1"] == result.ways["s4"].get("0", 0) + result.ways["s4"].get("2", 0)
    assert result.reached["h1"] == result.ways["s4"]["1"]
    assert result.ends == {"done": 500 - result.ways["s4"].get("else", 0), "exited": result.ways["s4"].get("else", 0),
                           "goal": 0, "cut": 0}


def test_rates_steer_the_ways_everything_bounces_or_everyone_asks_for_a_quote():
    bounced = simulate.simulate(BROCHURE, leads(50), rates=Rates(delivered=0.0), seed=3, start=START)
    assert bounced.ways["s4"] == {"0": 50} and bounced.happened["bounced"] == 50
    keen = Rates(delivered=1.0, opened=1.0, survey_answered=1.0, answers={"quote": 1.0})
    eager = simulate.simulate(BROCHURE, leads(50), rates=keen, seed=3, start=START)
    assert eager.ways["s4"] == {"1": 50} and eager.reached["h1"] == 50
    silent = simulate.simulate(BROCHURE, leads(50), rates=Rates(delivered=1.0, opened=0.0), seed=3, start=START)
    assert silent.ways["s4"] == {"2": 50}


def test_a_path_carries_virtual_times_the_wait_and_the_timeout_of_the_wait_until():
    result = simulate.simulate(BROCHURE, leads(1), rates=Rates(delivered=1.0, opened=0.0), seed=3, start=START)
    path = result.paths[0]
    steps = [(v.step_id, v.at) for v in path.visits]
    assert steps[:2] == [("s1", START + timedelta(days=7)), ("s2", START + timedelta(days=7))]
    assert path.visits[0].what == "waited" and path.visits[1].what == "sent, delivered"
    assert ("s3", START + timedelta(days=10)) in steps
    assert ("s4", START + timedelta(days=10)) in steps
    assert path.end == "done" and path.ended_at == START + timedelta(days=10)


def test_an_answered_survey_ends_the_wait_early():
    keen = Rates(delivered=1.0, opened=1.0, survey_answered=1.0, answers={"meeting": 1.0}, open_within_hours=1,
                 answer_within_hours=1)
    path = simulate.simulate(BROCHURE, leads(1), rates=keen, seed=5, start=START).paths[0]
    branch_at = next(v.at for v in path.visits if v.step_id == "s4")
    assert START + timedelta(days=7) < branch_at <= START + timedelta(days=7, hours=2)
    assert path.visits[-1].step_id == "h1"


def test_a_goal_takes_a_lead_out_early():
    definition = {**BROCHURE, "goals": [{"name": "Customer", "condition": 'stage == "customer"'}]}
    sample = leads(4)
    sample[0]["stage"] = "customer"
    result = simulate.simulate(definition, sample, rates=Rates(), seed=2, start=START)
    assert result.ends["goal"] == 1 and result.paths[0].end == "goal" and result.reached["s1"] == 4


def test_a_loop_is_cut_off_and_said_so():
    looping = {"start": "a", "steps": [{"id": "a", "type": "wait", "duration": "1d", "next": "b"},
                                       {"id": "b", "type": "add_points", "points": 1, "reason": "again",
                                        "next": "a"}]}
    result = simulate.simulate(looping, leads(2), rates=Rates(), seed=1, start=START)
    assert result.ends["cut"] == 2


def test_a_definition_with_problems_is_refused_with_the_step_and_field():
    broken = {**BROCHURE, "steps": [{**BROCHURE["steps"][0], "duration": "soon"}, *BROCHURE["steps"][1:]]}
    with pytest.raises(DefinitionError) as refused:
        simulate.simulate(broken, leads(1), rates=Rates(), seed=1, start=START)
    assert [p.path for p in refused.value.problems] == ["steps.s1.duration"]
