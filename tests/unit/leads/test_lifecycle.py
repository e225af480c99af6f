"""The lifecycle stage machine: allowed moves, and the reasons disqualifying needs."""

from __future__ import annotations

import pytest

from leadflow.leads.lifecycle import DISQUALIFY_REASONS, MOVES, STAGES, check_move


def test_every_stage_has_its_moves_and_every_move_goes_to_a_stage():
    assert set(MOVES) == set(STAGES)
    for moves in MOVES.values():
        assert set(moves) <= set(STAGES)


@pytest.mark.parametrize(("start", "end"), [
    ("new", "mql"), ("new", "sql"), ("mql", "sql"), ("sql", "opportunity"), ("opportunity", "customer"),
    ("nurture", "mql"), ("disqualified", "recycled"), ("recycled", "new"), ("sql", "nurture"),
])
def test_allowed_moves(start, end):
    assert check_move(start, end).allowed


@pytest.mark.parametrize(("start", "end"), [
    ("new", "customer"), ("new", "opportunity"), ("disqualified", "sql"), ("customer", "new"), ("mql", "new"),
    ("sql", "sql"),
])
def test_moves_not_allowed_list_the_allowed_ones(start, end):
    move = check_move(start, end)
    assert not move.allowed
    assert move.allowed_moves == MOVES[start]
    if start != end:
        assert ", ".join(MOVES[start]) in move.problem


def test_disqualifying_needs_a_known_reason_and_other_needs_a_note():
    assert check_move("mql", "disqualified").field == "reason"
    assert not check_move("mql", "disqualified", reason="bored").allowed
    assert check_move("mql", "disqualified", reason="competitor").allowed
    assert check_move("mql", "disqualified", reason="other").field == "note"
    assert check_move("mql", "disqualified", reason="other", note="moved abroad").allowed
    assert {"competitor", "student", "no_budget", "spam"} <= set(DISQUALIFY_REASONS)


def test_an_unknown_stage_is_refused():
    assert "must be one of" in check_move("new", "hot").problem
