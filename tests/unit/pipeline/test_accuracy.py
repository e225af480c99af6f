"""The forecast's accuracy arithmetic: the error of a month ((actual - forecast) / forecast), MAPE and bias over the
months with a forecast, a month without a snapshot said as such (not zero), currencies never mixed, the months and
cutoffs chosen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from leadflow.pipeline import accuracy
from leadflow.pipeline.accuracy import NO_FORECAST, measure

D = Decimal


def test_the_error_is_actual_less_forecast_over_the_forecast_in_percent():
    line = accuracy.line("2026-03", None, "EUR", D("8000"), D("10000"))
    assert (line.forecast, line.actual, line.difference, line.error) == (D("8000.00"), D("10000.00"),
                                                                        D("2000.00"), D("25.0"))
    under = accuracy.line("2026-03", None, "EUR", D("3000"), D("1000"))
    assert (under.difference, under.error) == (D("-2000.00"), D("-66.7"))


def test_a_forecast_of_zero_has_no_error_and_none_recorded_has_no_forecast_at_all():
    zero = accuracy.line("2026-03", None, "EUR", D("0"), D("500"))
    assert (zero.forecast, zero.difference, zero.error) == (D("0.00"), D("500.00"), None)
    missing = accuracy.line("2026-03", None, "EUR", None, D("500"))
    assert (missing.forecast, missing.difference, missing.error) == (None, None, None)


def test_mape_and_bias_over_the_months_that_have_a_forecast():
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    taken = {"2026-01": date(2025, 12, 31), "2026-02": date(2026, 2, 1), "2026-03": date(2026, 3, 1),
             "2026-04": None}
    forecasts = {("2026-01", None, "EUR"): D("1000"), ("2026-02", None, "EUR"): D("2000"),
                 ("2026-03", None, "EUR"): D("4000")}
    actuals = {("2026-01", None, "EUR"): D("1200"), ("2026-02", None, "EUR"): D("1500"),
               ("2026-03", None, "EUR"): D("4000"), ("2026-04", None, "EUR"): D("9000")}
    found = measure(months, taken, forecasts, actuals)
    assert [[x.error for x in m.lines] for m in found.months] == [[D("20.0")], [D("-25.0")], [D("0.0")], [None]]
    (summary,) = found.summaries
    # |+20| + |-25| + 0 over 3 months; the signed mean: (20 - 25 + 0) / 3. April has no forecast: left out.
    assert (summary.currency, summary.months, summary.mape, summary.bias) == ("EUR", 3, D("15.0"), D("-1.7"))
    assert (summary.forecast, summary.actual) == (D("7000.00"), D("6700.00"))


def test_a_month_without_a_snapshot_says_no_forecast_was_recorded_rather_than_zero():
    found = measure(["2026-05"], {"2026-05": None}, {}, {("2026-05", None, "EUR"): D("700")})
    (month,) = found.months
    assert month.snapshot_on is None and month.note == NO_FORECAST
    (line,) = month.lines
    assert (line.forecast, line.actual, line.error) == (None, D("700.00"), None)
    assert found.summaries == []
    empty = measure(["2026-06"], {"2026-06": None}, {}, {}).months[0]
    assert (empty.lines, empty.note) == ([], NO_FORECAST)


def test_a_month_with_a_snapshot_and_nothing_in_a_currency_forecast_zero_there():
    found = measure(["2026-05"], {"2026-05": date(2026, 5, 1)}, {("2026-05", None, "EUR"): D("100")},
                    {("2026-05", None, "SEK"): D("5000")})
    lines = {x.currency: x for x in found.months[0].lines}
    assert (lines["SEK"].forecast, lines["SEK"].error) == (D("0.00"), None)
    assert (lines["EUR"].actual, lines["EUR"].error) == (D("0.00"), D("-100.0"))
    assert [(s.currency, s.months) for s in found.summaries] == [("EUR", 1)]


def test_currencies_are_never_added_together():
    months = ["2026-01", "2026-02"]
    taken = {m: date(2025, 12, 1) for m in months}
    forecasts = {("2026-01", None, "EUR"): D("100"), ("2026-01", None, "SEK"): D("1000"),
                 ("2026-02", None, "EUR"): D("100")}
    actuals = {("2026-01", None, "EUR"): D("150"), ("2026-01", None, "SEK"): D("500"),
               ("2026-02", None, "EUR"): D("50")}
    found = measure(months, taken, forecasts, actuals)
    assert [(x.currency, x.forecast, x.actual) for x in found.months[0].lines] == [
        ("EUR", D("100.00"), D("150.00")), ("SEK", D("1000.00"), D("500.00"))]
    by = {s.currency: s for s in found.summaries}
    assert (by["EUR"].months, by["EUR"].mape, by["EUR"].bias, by["EUR"].actual) == (2, D("50.0"), D("0.0"),
                                                                                    D("200.00"))
    assert (by["SEK"].months, by["SEK"].mape, by["SEK"].bias, by["SEK"].forecast) == (1, D("50.0"), D("-50.0"),
                                                                                      D("1000.00"))


def test_grouped_by_owner_each_owner_and_currency_has_its_own_summary():
    taken = {"2026-01": date(2026, 1, 1)}
    forecasts = {("2026-01", 7, "EUR"): D("100"), ("2026-01", None, "EUR"): D("40")}
    actuals = {("2026-01", 7, "EUR"): D("80")}
    found = measure(["2026-01"], taken, forecasts, actuals)
    assert [(x.group, x.error) for x in found.months[0].lines] == [(7, D("-20.0")), (None, D("-100.0"))]
    assert [(s.group, s.currency, s.mape) for s in found.summaries] == [(7, "EUR", D("20.0")),
                                                                         (None, "EUR", D("100.0"))]


def test_the_months_measured_are_the_last_full_ones_and_the_cutoff_their_first_day_less_lead_days():
    assert accuracy.past_months(date(2026, 3, 15), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert accuracy.cutoff("2026-03") == date(2026, 3, 1)
    assert accuracy.cutoff("2026-03", 7) == date(2026, 2, 22)
    assert accuracy.covered_months(date(2026, 3, 31))[::12] == ["2026-03", "2027-03"]
    assert len(accuracy.covered_months(date(2026, 3, 31))) == 13


def test_months_and_lead_days_outside_their_range_are_refused_with_the_reason():
    assert accuracy.check_months(6) is None and accuracy.check_lead_days(0) is None
    for bad in (0, 37, -1, "x", True, None):
        assert accuracy.check_months(bad) == "a whole number from 1 to 36"
    for bad in (-1, 367, "7 days"):
        assert accuracy.check_lead_days(bad) == "a whole number from 0 to 366"
    assert accuracy.whole(" 12 ") == 12 and accuracy.whole("-3") == "-3" and accuracy.whole("1e3") == "1e3"
