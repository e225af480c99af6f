"""The pure scoring rules: points and decay over simulated time, caps per period, negative points, grades, AUC."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from leadflow.errors import Invalid
from leadflow.scoring import backtest, bands, decay, rules

DAY = 86400.0
T0 = 1_800_000_000.0  # a Friday


def _rules(**extra) -> rules.RuleSet:
    return rules.parse({"half_life_days": 10, **extra})


def test_points_halve_every_half_life():
    state = rules.BehaviourState()
    rs = _rules(behaviour=[{"id": "w", "event": "webinar_attended", "points": 40}])
    rules.apply_event(rs, state, "webinar_attended", {}, T0)
    assert rules.behaviour_at(rs, state, T0 + 10 * DAY) == pytest.approx(20)
    assert rules.behaviour_at(rs, state, T0 + 20 * DAY) == pytest.approx(10)


def test_one_event_costs_the_same_whatever_the_history_and_order_does_not_matter():
    rs = _rules(behaviour=[{"id": "v", "event": "page_view", "points": 3}])
    in_order, shuffled = rules.BehaviourState(), rules.BehaviourState()
    times = [T0 + i * 3600 * 7 for i in range(50)]
    for t in times:
        rules.apply_event(rs, in_order, "page_view", {}, t)
    for t in reversed(times):
        rules.apply_event(rs, shuffled, "page_view", {}, t)
    end = times[-1] + DAY
    assert rules.behaviour_at(rs, in_order, end) == pytest.approx(rules.behaviour_at(rs, shuffled, end))
    assert len(in_order.contributions) <= 2 * rs.explanation_size


def test_decay_add_without_half_life_is_a_plain_sum():
    assert decay.add(5, T0, 3, T0 + 100 * DAY, None) == (8, T0 + 100 * DAY)


def test_caps_limit_points_per_period_and_reopen_in_the_next():
    rs = rules.parse({"behaviour": [{"id": "o", "event": "email_open", "points": 2,
                                     "cap": {"points": 5, "period": "week"}}]})
    state = rules.BehaviourState()
    given = [sum(c.points for c in rules.apply_event(rs, state, "email_open", {}, T0 + i * 60)) for i in range(4)]
    assert given == [2, 2, 1, 0]
    assert rules.apply_event(rs, state, "email_open", {}, T0 + 7 * DAY)[0].points == 2


def test_negative_points_for_careers_pages_and_unsubscribes():
    rs = rules.parse(json.loads(resources.files("leadflow.scoring").joinpath("defaults.json").read_text()))
    state = rules.BehaviourState()
    rules.apply_event(rs, state, "page_view", {"url": "https://acme.example/careers/engineer"}, T0)
    rules.apply_event(rs, state, "newsletter_unsubscribed", {}, T0)
    assert state.points == 1 - 10 - 15
    assert rules.total_score(0, state.points) == 0


def test_url_wildcards_and_product_interests():
    rs = _rules(behaviour=[{"id": "p", "event": "page_view", "where": {"url": "*/products/crm*"}, "points": 4,
                            "product": "crm"}])
    state = rules.BehaviourState()
    assert rules.apply_event(rs, state, "page_view", {"url": "https://x.example/products/CRM/tour"}, T0)
    assert not rules.apply_event(rs, state, "page_view", {"url": "https://x.example/blog"}, T0)
    assert rules.interests_at(rs, state, T0 + 10 * DAY) == {"crm": 2.0}


def test_grade_from_fit_rules_with_first_match_groups():
    rs = rules.parse(json.loads(resources.files("leadflow.scoring").joinpath("defaults.json").read_text()))
    ceo = rules.evaluate_fit(rs, {"job_title": "Geschäftsführer", "employees": "1.500", "country": "de",
                                  "bant_known": 3})
    assert ceo.grade == "A" and ceo.points == 25 + 15 + 5 + 12
    student = rules.evaluate_fit(rs, {"job_title": "Student assistant to the CEO", "email_domain": "gmail.com"})
    assert student.grade == "D" and student.points == -20 - 8
    assert [h[0] for h in student.hits] == ["seniority-student", "free-mail"]


def test_invalid_definitions_name_the_path_of_each_problem():
    with pytest.raises(Invalid) as caught:
        rules.parse({"fit": [{"id": "a", "field": "job_title", "match": {"regex": ".*"}, "points": 1}],
                     "behaviour": [{"id": "a", "event": "x", "points": 1}, {"event": [], "points": 1}],
                     "grades": {"A": 10, "B": 20}})
    fields = {e.field for e in caught.value.errors}
    assert {"fit[0].match.regex", "behaviour[0].id", "behaviour[1].id", "behaviour[1].event", "grades.A"} <= fields


def test_bands_from_thresholds():
    assert [bands.band_of(s, {"hot": 60, "warm": 30}) for s in (75, 60, 59, 30, 0)] == [
        "hot", "hot", "warm", "warm", "cold"]


def test_auc_on_a_known_small_example():
    assert backtest.auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert backtest.auc([1, 1, 2], [False, True, True]) == pytest.approx(0.75)
    assert backtest.auc([1, 2], [True, True]) is None


def test_conversion_per_band_and_lift():
    figures = backtest.figures([(80, "hot", True), (70, "hot", True), (40, "warm", False), (35, "warm", True),
                                (5, "cold", False), (0, "cold", False)])
    hot = figures.bands[0]
    assert figures.base_rate == 0.5 and hot.rate == 1.0 and hot.lift == 2.0
