"""The scorecard's figures against their norms: flagged with reasons, money only in the norm's currency."""

from decimal import Decimal

from leadflow.followup import kpis


def test_defaults_are_the_seeds_norms():
    found = kpis.defaults()
    assert {k: (n.value, n.currency) for k, n in found.items()} == {
        "followed_up_pct": (Decimal("80"), None), "overdue_pct": (Decimal("10"), None),
        "quote_pct": (Decimal("80"), None), "won_pct": (Decimal("25"), None),
        "average_order": (Decimal("15000"), "EUR")}


def test_at_least_norms_flag_what_is_below_and_pass_what_meets_them():
    norm = kpis.defaults()["followed_up_pct"]
    low = kpis.check("followed_up_pct", Decimal("79.9"), norm)
    assert low.short and low.reason == "Followed up: 79.9 %, below the norm of at least 80.0 %"
    assert not kpis.check("followed_up_pct", Decimal("80"), norm).short


def test_at_most_norms_flag_what_is_above():
    norm = kpis.defaults()["overdue_pct"]
    high = kpis.check("overdue_pct", Decimal("10.1"), norm)
    assert high.short and "above the norm of at most 10.0 %" in high.reason
    assert not kpis.check("overdue_pct", Decimal("10"), norm).short


def test_money_is_compared_only_in_the_norms_currency():
    norm = kpis.defaults()["average_order"]
    assert kpis.check("average_order", Decimal("14999.99"), norm, currency="EUR").short
    other = kpis.check("average_order", Decimal("100"), norm, currency="USD")
    assert not other.short and other.reason == "the norm is in EUR; this figure is in USD"


def test_no_figure_or_no_norm_is_not_flagged():
    assert kpis.check("won_pct", None, kpis.defaults()["won_pct"]).reason == "no figure for the period"
    assert kpis.check("sales_cycle_days", Decimal("40"), None).reason == "no norm set"


def test_norms_from_text_and_their_problems():
    assert kpis.parse_norm("average_order", "20000 usd") == (kpis.Norm("average_order", Decimal("20000.00"), "USD"), [])
    assert kpis.parse_norm("won_pct", "30%")[0] == kpis.Norm("won_pct", Decimal("30.00"))
    assert kpis.parse_norm("won_pct", "130")[1] == [("value", "a percentage from 0 to 100")]
    assert kpis.parse_norm("won_pct", "lots")[1] == [("value", "'lots' is not a number")]
    assert kpis.parse_norm("speed", "1")[1][0][0] == "key"
    assert kpis.parse_norm("quote_pct", "80", "EUR")[1][0][0] == "currency"
    assert kpis.parse_norm("average_order", "10", "EURO")[1][0][0] == "currency"
    assert kpis.parse_norm("won_pct", "NaN")[1][0][0] == "value"
