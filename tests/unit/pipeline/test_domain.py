"""The pipeline's pure rules: the effective probability and where it came from, weighted values, stage moves and
their reasons, quote status changes, the checks on money, currencies and probabilities, the forecast sums."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leadflow.pipeline import domain

STAGES = {"qualification": domain.StageInfo("qualification", 10), "proposal": domain.StageInfo("proposal", 50),
          "old": domain.StageInfo("old", 30, active=False), "won": domain.StageInfo("won", 100, "won"),
          "lost": domain.StageInfo("lost", 0, "lost")}
REASONS = {"won": ("price",), "lost": ("price", "competitor")}


def test_won_is_one_and_lost_is_zero_whatever_the_rep_set():
    assert domain.effective_probability(status="won", rep_probability=20, stage_probability=50) == \
        domain.Probability(100, "won")
    assert domain.effective_probability(status="lost", rep_probability=90, stage_probability=50) == \
        domain.Probability(0, "lost")


def test_an_open_one_uses_the_reps_own_probability_else_the_stage_default():
    assert domain.effective_probability(status="open", rep_probability=0, stage_probability=50) == \
        domain.Probability(0, "rep")
    assert domain.effective_probability(status="open", rep_probability=None, stage_probability=25) == \
        domain.Probability(25, "stage")


def test_weighted_value_keeps_the_currency_and_rounds_to_the_cent():
    money = domain.weighted(Decimal("1000.01"), "SEK", domain.Probability(25, "stage"))
    assert money == domain.Money(Decimal("250.00"), "SEK")
    assert domain.weighted(Decimal("10.02"), "EUR", domain.Probability(25, "rep")).amount == Decimal("2.51")
    assert str(domain.weighted(Decimal("80"), "EUR", domain.Probability(100, "won"))) == "80.00 EUR"


def test_open_stages_move_freely_but_not_to_a_stage_no_longer_used():
    assert domain.check_stage_move(status="open", from_stage="qualification", to_stage="proposal",
                                   stages=STAGES).allowed
    assert domain.check_stage_move(status="open", from_stage="proposal", to_stage="qualification",
                                   stages=STAGES).allowed
    refused = domain.check_stage_move(status="open", from_stage="proposal", to_stage="old", stages=STAGES)
    assert not refused.allowed and "no longer used" in refused.problem
    unknown = domain.check_stage_move(status="open", from_stage="proposal", to_stage="nope", stages=STAGES)
    assert not unknown.allowed and unknown.field == "stage"


@pytest.mark.parametrize("to", ["won", "lost"])
def test_won_and_lost_need_a_reason_from_the_managed_list(to):
    missing = domain.check_stage_move(status="open", from_stage="proposal", to_stage=to, stages=STAGES,
                                      reasons=REASONS)
    assert not missing.allowed and missing.field == "reason" and "price" in missing.problem
    wrong = domain.check_stage_move(status="open", from_stage="proposal", to_stage=to, stages=STAGES,
                                    reason="because", reasons=REASONS)
    assert not wrong.allowed and wrong.field == "reason"
    ok = domain.check_stage_move(status="open", from_stage="proposal", to_stage=to, stages=STAGES,
                                 reason="price", reasons=REASONS)
    assert ok.allowed and ok.status == to


def test_a_closed_opportunity_must_be_reopened_before_it_is_closed_again():
    again = domain.check_stage_move(status="won", from_stage="won", to_stage="lost", stages=STAGES, reason="price",
                                    reasons=REASONS)
    assert not again.allowed and "reopen" in again.problem
    same = domain.check_stage_move(status="won", from_stage="won", to_stage="won", stages=STAGES, reason="price",
                                   reasons=REASONS)
    assert not same.allowed


def test_quotes_go_draft_sent_then_decided_and_stay_decided():
    assert domain.check_quote_move("draft", "sent") is None
    assert domain.check_quote_move("sent", "accepted") is None
    assert "cannot go" in domain.check_quote_move("draft", "accepted")
    assert "decided" in domain.check_quote_move("rejected", "sent")
    assert "one of" in domain.check_quote_move("sent", "maybe")
    today = date(2026, 3, 5)
    assert domain.quote_dates("sent", today=today, sent_on=None, decided_on=None) == (today, None)
    assert domain.quote_dates("accepted", today=today, sent_on=date(2026, 3, 1), decided_on=None) == \
        (date(2026, 3, 1), today)


@pytest.mark.parametrize("text,amount,problem", [
    ("12500", Decimal("12500.00"), None), ("0", Decimal("0.00"), None), (12.5, Decimal("12.50"), None),
    ("-1", None, "must be 0 or more"), ("1.234", None, "at most two decimals"), ("abc", None, "a number like"),
    ("NaN", None, "a number like"), (None, None, "required"), (True, None, "required"),
    ("1e30", None, "too large"),
])
def test_values_are_money_of_zero_or_more(text, amount, problem):
    found, reason = domain.parse_money(text)
    assert found == amount
    assert (reason is None) if problem is None else (problem in reason)


def test_currencies_are_three_letter_codes_and_probabilities_whole_percents():
    assert domain.check_currency("eur") == ("EUR", None)
    assert domain.check_currency("EURO")[1] and domain.check_currency("E1R")[1] and domain.check_currency(None)[1]
    assert domain.check_probability("40") == (40, None)
    assert domain.check_probability(None) == (None, None)
    assert domain.check_probability(101)[1] and domain.check_probability(-1)[1] and domain.check_probability("x")[1]


def test_competitor_names_fold_case_and_spacing():
    assert domain.folded_name("  ACME  Corp. ") == domain.folded_name("acme corp") == "acme corp"


def test_forecast_sums_per_group_and_currency_never_across_currencies():
    rows = [
        domain.ForecastRow("2026-03", 1, 7, "EUR", Decimal("1000"), domain.Probability(50, "stage")),
        domain.ForecastRow("2026-03", 1, 7, "EUR", Decimal("300"), domain.Probability(100, "won")),
        domain.ForecastRow("2026-03", 2, 7, "EUR", Decimal("500"), domain.Probability(0, "lost")),
        domain.ForecastRow("2026-03", 2, 7, "USD", Decimal("200"), domain.Probability(25, "rep")),
        domain.ForecastRow("2026-04", 2, None, "EUR", Decimal("100"), domain.Probability(10, "stage")),
    ]
    by_month = domain.forecast(rows, "month")
    march = by_month[("2026-03", "EUR")]
    assert (march.count, march.value, march.weighted, march.won) == (3, Decimal("1800"), Decimal("800.00"),
                                                                      Decimal("300"))
    assert by_month[("2026-03", "USD")].weighted == Decimal("50.00")
    assert by_month[("2026-04", "EUR")].weighted == Decimal("10.00")
    by_owner = domain.forecast(rows, "owner")
    assert by_owner[(2, "EUR")].weighted == Decimal("10.00") and by_owner[(2, "EUR")].count == 2
    by_team = domain.forecast(rows, "team")
    assert set(by_team) == {(7, "EUR"), (7, "USD"), (None, "EUR")}


@pytest.mark.parametrize("text, problem", [
    ("2026-03", None), ("1900-01", None), ("9998-12", None),
    ("0000-01", "a year from 1900 to 9998"), ("9999-12", "a year from 1900 to 9998"),
    ("1899-12", "a year from 1900 to 9998"), ("2026-13", "a month like 2026-03"), ("June", "a month like 2026-03"),
])
def test_a_close_month_is_a_month_whose_bounds_are_dates(text, problem):
    assert domain.check_month(text) == problem
