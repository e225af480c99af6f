"""BANT answers as people write them, read into the values leadflow stores."""

from __future__ import annotations

from datetime import date

import pytest

from leadflow.qualification.bant import (
    answers_in,
    budget_bounds,
    known_count,
    may_record,
    normalize,
)

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(("criterion", "raw", "value"), [
    ("timeline", "Q1 2027", "6m"),
    ("timeline", "2027 Q1", "6m"),
    ("timeline", "Q4 2026", "3m"),
    ("timeline", "Q2 2026", "1m"),  # a period already over: they meant soon
    ("timeline", "3 months", "3m"),
    ("timeline", "within 6 months", "6m"),
    ("timeline", "2 weeks", "1m"),
    ("timeline", "ASAP", "1m"),
    ("timeline", "> 12 months", "later"),
    ("timeline", "no plans", "none"),
    ("timeline", "12m", "12m"),
    ("budget", "< 10k", "<10k"),
    ("budget", "10k - 50k", "10k-50k"),
    ("budget", "€25,000", "25k"),
    ("budget", "over 1m", "1m+"),
    ("budget", "Yes", "yes"),
    ("budget", "No budget", "no"),
    ("budget", "50k EUR", "50k"),  # a currency says nothing the amount does not (amounts are kept without it)
    ("budget", "50k EUR approved", "50k EUR approved"),  # more than an amount: kept as written, never cut short
    ("budget", "about 50k per year", "about 50k per year"),
    ("authority", "Decision Maker", "decision_maker"),
    ("authority", "I recommend the tools we buy", "influencer"),
    ("authority", "end user", "user"),
    ("need", "urgent", "high"),
    ("need", "We need a CRM for 40 reps", "We need a CRM for 40 reps"),
])
def test_answers_are_read_into_stored_values(criterion, raw, value):
    answer = normalize(criterion, raw, today=TODAY)
    assert (answer.value, answer.problem) == (value, None)


@pytest.mark.parametrize("raw", ["", "Select", "unknown", "n/a", None, "  "])
def test_placeholders_mean_unknown(raw):
    assert normalize("timeline", raw, today=TODAY).value is None


def test_unreadable_answers_say_what_is_expected():
    assert "3 months" in normalize("timeline", "whenever the moon is full", today=TODAY).problem
    assert "decision maker" in normalize("authority", "purple", today=TODAY).problem
    assert normalize("budget", "lots", today=TODAY).problem
    assert normalize("colour", "blue", today=TODAY).problem


def test_known_counts_answers_and_no_is_an_answer():
    assert known_count({"budget": "no", "authority": None, "need": "high"}) == 2
    assert known_count({}) == 0


def test_budget_bounds_for_rules_on_size():
    assert budget_bounds("10k-50k") == (10_000, 50_000)
    assert budget_bounds("<10k") == (0, 10_000)
    assert budget_bounds("1m+") == (1_000_000, None)
    assert budget_bounds("yes") == (None, None)
    assert budget_bounds("50k EUR approved") == (50_000, 50_000)  # an answer in its own words: the amounts it names


def test_answers_are_found_among_custom_fields_by_name():
    assert answers_in({"Budget": "25k", "bant_timeline": "Q1 2027", "color": "red", "need": ""}) == {
        "budget": "25k", "timeline": "Q1 2027"}


def test_who_may_record_which_source():
    assert may_record("telemarketer", "telemarketer")
    assert not may_record("telemarketer", "lead")
    assert may_record("marketing", "import")
    assert may_record("sales_rep", "sales")
    assert not may_record("sales_rep", "marketing")
