"""The arithmetic checked on the public Hillstrom email experiment (64,000 customers: a third got a men's email, a
third a women's, a third none; two weeks later: visited, converted, spent). The published figures: visit rates
18.3 % (Mens), 15.1 % (Womens) and 10.6 % (No E-Mail), conversion 1.25 / 0.88 / 0.57 %, spend per customer $1.42 /
$1.08 / $0.65; both emails beat no email."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest

from leadflow.email import experiments as ex


@pytest.fixture
def hillstrom(shared_data) -> ex.Analysis:
    return _analyse(shared_data / "behaviour" / "hillstrom_email_campaign.csv")


@functools.cache
def _analyse(path: Path) -> ex.Analysis:  # read once for the module's tests
    with path.open(newline="", encoding="utf-8") as source:
        return ex.analyse_rows(csv.DictReader(source), group="segment", proportions=["visit", "conversion"],
                               amounts=["spend"], control="No E-Mail")


def test_the_groups_and_their_visit_rates(hillstrom):
    visits = hillstrom.proportions["visit"]
    assert sorted(hillstrom.groups) == ["Mens E-Mail", "No E-Mail", "Womens E-Mail"]
    assert sum(g.n for g in visits.values()) == 64_000
    assert round(visits["Mens E-Mail"].value * 100, 1) == 18.3
    assert round(visits["Womens E-Mail"].value * 100, 1) == 15.1
    assert round(visits["No E-Mail"].value * 100, 1) == 10.6


def test_both_emails_beat_no_email_on_visits(hillstrom):
    tests = hillstrom.tests("visit")
    assert tests["Mens E-Mail"].statistic == pytest.approx(22.49, abs=0.01)
    assert tests["Womens E-Mail"].statistic == pytest.approx(13.95, abs=0.01)
    assert all(t.confidence > 0.999 for t in tests.values())
    visits = hillstrom.proportions["visit"]
    mens_lift = ex.lift(visits["No E-Mail"].value, visits["Mens E-Mail"].value)
    assert mens_lift == pytest.approx(0.721, abs=1e-3)
    low = ex.wilson_interval(visits["Mens E-Mail"].successes, visits["Mens E-Mail"].n)
    assert low.low == pytest.approx(0.1776, abs=1e-4) and low.high == pytest.approx(0.1880, abs=1e-4)


def test_conversion_compared(hillstrom):
    conversions = hillstrom.proportions["conversion"]
    assert round(conversions["Mens E-Mail"].value * 100, 2) == 1.25
    assert round(conversions["Womens E-Mail"].value * 100, 2) == 0.88
    assert round(conversions["No E-Mail"].value * 100, 2) == 0.57
    tests = hillstrom.tests("conversion")
    assert tests["Mens E-Mail"].statistic == pytest.approx(7.39, abs=0.01)
    assert tests["Womens E-Mail"].confidence == pytest.approx(0.99984, abs=1e-5)


def test_spend_per_customer_by_welch(hillstrom):
    spend = hillstrom.amounts["spend"]
    assert round(spend["Mens E-Mail"].value, 2) == 1.42
    assert round(spend["Womens E-Mail"].value, 2) == 1.08
    assert round(spend["No E-Mail"].value, 2) == 0.65
    tests = hillstrom.tests("spend")
    assert tests["Mens E-Mail"].statistic == pytest.approx(5.30, abs=0.01)
    assert tests["Mens E-Mail"].df == pytest.approx(36_671, abs=1)
    assert tests["Womens E-Mail"].statistic == pytest.approx(3.26, abs=0.01)
    assert tests["Womens E-Mail"].p_value == pytest.approx(0.00113, abs=1e-5)


def test_the_verdicts_between_the_two_emails(hillstrom):
    visits = hillstrom.proportions["visit"]
    verdict = ex.judge("click", [visits["Womens E-Mail"], visits["Mens E-Mail"]])
    assert verdict.words == "Mens E-Mail beats Womens E-Mail on clicks with more than 99.9 % confidence"
    spend = hillstrom.amounts["spend"]
    revenue = ex.judge("revenue", [spend["Womens E-Mail"], spend["Mens E-Mail"]])
    assert revenue.winner == "Mens E-Mail" and revenue.confidence == pytest.approx(0.970, abs=1e-3)
    assert revenue.words == "Mens E-Mail beats Womens E-Mail on won revenue per lead with 97.0 % confidence"
    strict = ex.judge("revenue", [spend["Womens E-Mail"], spend["Mens E-Mail"]], level=0.99)
    assert strict.words == "no winner yet: 97.0 % confidence, below 99 %"
