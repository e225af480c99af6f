"""A/B tests' arithmetic: assignment is deterministic and follows the split, the tests agree with textbook values,
and the verdict reads as a marketer expects."""

from __future__ import annotations

from collections import Counter

import pytest

from leadflow.email import experiments as ex


def test_assignment_is_deterministic_and_follows_the_split():
    split = {"A": 50, "B": 50}
    first = [ex.assign(7, lead, split, 10) for lead in range(1, 40_001)]
    again = [ex.assign(7, lead, dict(split), 10) for lead in range(1, 40_001)]
    assert first == again
    counts = Counter(first)
    assert set(counts) == {"A", "B", ex.HOLDOUT}
    assert counts[ex.HOLDOUT] / 40_000 == pytest.approx(0.10, abs=0.01)
    assert counts["A"] / 40_000 == pytest.approx(0.45, abs=0.01)
    assert counts["B"] / 40_000 == pytest.approx(0.45, abs=0.01)


def test_another_experiment_shuffles_the_leads_anew_and_uneven_splits_hold():
    a = [ex.assign(1, lead, {"A": 80, "B": 20}) for lead in range(1, 20_001)]
    b = [ex.assign(2, lead, {"A": 80, "B": 20}) for lead in range(1, 20_001)]
    assert a != b
    assert Counter(a)["B"] / 20_000 == pytest.approx(0.20, abs=0.01)
    assert ex.HOLDOUT not in a
    assert {ex.assign(3, lead, {"only": 100}, 0) for lead in range(1, 500)} == {"only"}


def test_a_split_that_does_not_add_up_says_why():
    assert ex.validate_split({"A": 50, "B": 40}, 10) == {"split": "the shares add up to 90 %, not 100 %"}
    assert "holdout_pct" in ex.validate_split({"A": 100}, 100)
    assert ex.validate_split({}, 0) == {"split": "give at least one variant a share"}
    assert ex.validate_split({"A": 60, "B": 40}, 20) == {}


def test_the_student_t_tail_matches_the_tables():
    # two-sided critical values from any t table: p = 0.05 at t = 12.706 (df 1), 2.228 (df 10), 1.96 (df -> inf)
    assert ex.student_t_two_sided(12.706, 1) == pytest.approx(0.05, abs=1e-4)
    assert ex.student_t_two_sided(2.228, 10) == pytest.approx(0.05, abs=1e-4)
    assert ex.student_t_two_sided(2.0, 10) == pytest.approx(0.0734, abs=1e-4)
    assert ex.student_t_two_sided(2.576, 10_000) == pytest.approx(0.01, abs=2e-4)
    assert ex.student_t_two_sided(1.96, 10_000_000) == pytest.approx(0.05, abs=1e-4)
    assert ex.student_t_two_sided(0.0, 5) == pytest.approx(1.0)


def test_intervals_and_lift():
    wilson = ex.wilson_interval(0, 10)
    assert wilson.low == pytest.approx(0, abs=1e-12) and wilson.high == pytest.approx(0.2775, abs=1e-4)
    wald = ex.normal_interval(50, 100)
    assert (wald.low, wald.high) == (pytest.approx(0.402, abs=1e-3), pytest.approx(0.598, abs=1e-3))
    assert ex.lift(0.10, 0.15) == pytest.approx(0.5)
    assert ex.lift(0, 0.1) is None and ex.wilson_interval(0, 0) is None


def test_welch_on_small_samples_matches_a_hand_computation():
    a = ex.Summary.of([1, 2, 3, 4, 5])  # mean 3, variance 2.5
    b = ex.Summary.of([2, 4, 6, 8, 10])  # mean 6, variance 10
    test = ex.welch_t_test(a, b)
    # t = 3 / sqrt(2.5/5 + 10/5) = 1.8974; df = 2.5^2 / (0.5^2/4 + 2^2/4) = 5.882
    assert test.statistic == pytest.approx(1.8974, abs=1e-4)
    assert test.df == pytest.approx(5.882, abs=1e-3)
    # the t table: p = 0.10 at t = 1.943 (df 6) and 2.015 (df 5), so a little above 0.10 here
    assert 0.10 < test.p_value < 0.115
    assert ex.welch_t_test(ex.Summary.of([1]), b) is None


def test_the_verdict_in_words():
    close = ex.judge("click", [ex.Group("A", 1000, 100), ex.Group("B", 1000, 125)])
    assert close.winner is None and close.leader == "B" and close.runner_up == "A"
    assert close.confidence == pytest.approx(0.9231, abs=1e-3)
    assert close.words == "no winner yet: 92.3 % confidence, below 95 %"
    clear = ex.judge("click", [ex.Group("A", 1000, 100), ex.Group("B", 1000, 135)])
    assert clear.words == "B beats A on clicks with 98.5 % confidence" and clear.winner == "B"
    level = ex.judge("open", [ex.Group("A", 100, 10), ex.Group("B", 100, 10)])
    assert level.winner is None and "level" in level.words
    lonely = ex.judge("open", [ex.Group("A", 100, 10), ex.Group("B", 0, 0)])
    assert lonely.winner is None and lonely.words == "no winner yet: not enough results to compare"


def test_three_variants_the_weakest_comparison_counts():
    verdict = ex.judge("open", [ex.Group("A", 5000, 500), ex.Group("B", 5000, 700), ex.Group("C", 5000, 690)])
    assert verdict.leader == "B" and verdict.runner_up == "C" and verdict.winner is None
    assert verdict.confidence < 0.5


def test_a_comparison_with_nothing_to_go_on_reads_not_enough_data():
    nothing = ex.two_proportion_z_test(0, 50, 0, 60)  # nobody on either side did it
    assert nothing is not None and not nothing.informative and nothing.confidence == 0.0
    assert ex.comparison_words(nothing) == "not enough data"
    assert ex.comparison_words(None) == "not enough data"
    some = ex.two_proportion_z_test(5, 100, 15, 100)
    assert ex.comparison_words(some, sent=0) == "not enough data"  # nothing was sent to the variant yet
    assert ex.comparison_words(some, sent=100) == f"{ex.confidence_words(some.confidence)} confidence"
    assert ex.comparison_words(ex.two_proportion_z_test(10, 100, 10, 100)) == "0.0 % confidence"  # level, measured
    quiet = ex.judge("sql", [ex.Group("A", 40, 0), ex.Group("B", 40, 0)])
    assert quiet.winner is None and quiet.confidence is None
    assert quiet.words == "no winner yet: not enough results to compare"
