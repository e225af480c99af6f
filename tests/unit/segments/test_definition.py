"""A segment's fields checked when saved (each problem named with its field, a condition's with its column), and its
condition compiled once and run over leads' contexts."""

from __future__ import annotations

import pytest

from leadflow.conditions import fields
from leadflow.errors import Invalid
from leadflow.segments import definition


def _problems(raw: dict, **kwargs) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        definition.check(raw, **kwargs)
    return {e.field: e.reason for e in caught.value.errors}


def test_a_valid_segment_is_trimmed():
    assert definition.check({"name": "  Hot   Finns ", "description": "  ", "condition": ' country == "FI" '}) == {
        "name": "Hot Finns", "description": None, "condition": 'country == "FI"'}


def test_each_problem_is_named_with_its_field_and_a_condition_with_its_column():
    found = _problems({"name": "x" * 201, "condition": 'score >= 50 and (country == "FI"', "owner": 3})
    assert found["name"] == "must be at most 200 characters"
    assert found["condition"].endswith("(at column 33)")
    assert found["owner"].startswith("is not a field of a segment")
    assert _problems({"condition": 5})["condition"].startswith("is required")


def test_the_segment_scope_reads_what_a_routing_rule_reads_and_survey_answers_and_no_more():
    assert set(fields.names(fields.SEGMENT)) == set(fields.names(fields.ROUTING)) | {"survey.<question>"}
    assert set(fields.names(fields.JOURNEY)) == set(fields.names(fields.SEGMENT))
    assert definition.check({"name": "Big budget", "condition": "survey.budget >= 10000"})["condition"] == (
        "survey.budget >= 10000")
    assert "cannot be used in a segment" in _problems({"name": "T", "condition": 'team == "North"'})["condition"]
    assert "cannot be used in a segment" in _problems({"name": "E", "condition": 'event.url == "x"'})["condition"]


def test_a_change_checks_only_what_it_gives():
    assert definition.check({"description": "Nordic buyers"}, partial=True) == {"description": "Nordic buyers"}
    assert "condition" in _problems({"condition": "score >"}, partial=True)


def test_a_condition_compiles_once_and_knows_whether_it_reads_scores():
    first = definition.compiled('country in ("FI", "SE") and employees >= 1000')
    assert definition.compiled('country in ("FI", "SE") and employees >= 1000') is first
    assert first.check({"country": "fi", "employees": "5,000 employees"})
    assert not first.check({"country": "FI", "employees": None})
    assert not first.reads_scores and first.names == {"country", "employees"}
    assert definition.compiled("score >= 50").reads_scores
    assert definition.compiled("interests.crm > 10").reads_scores
