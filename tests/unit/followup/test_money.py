"""The seeds' money table (100 leads, EUR 4,500 per followed-up lead) and its edges."""

from decimal import Decimal

import pytest

from leadflow.followup import money


def test_the_seeds_table_100_leads_at_4500_gives_112500_225000_337500_450000():
    # 25 followed up, 5 of them won at EUR 22,500: w x v = 0.2 x 22,500 = 4,500 per followed-up lead
    found = money.table(handed_over=100, followed_up=25, won_followed_up=5, order_value=Decimal("22500"),
                        currency="EUR")
    assert found.value_per_followed_up_lead == Decimal("4500.00")
    assert [(row.rate, row.revenue) for row in found.rows] == [
        (Decimal("0.25"), Decimal("112500.00")), (Decimal("0.50"), Decimal("225000.00")),
        (Decimal("0.75"), Decimal("337500.00")), (Decimal("1"), Decimal("450000.00"))]
    assert [row.actual for row in found.rows] == [True, False, False, False]
    assert found.left_on_the_table == Decimal("337500.00")
    assert found.reason is None


def test_an_actual_rate_between_the_steps_is_its_own_row():
    found = money.table(handed_over=3, followed_up=1, won_followed_up=1, order_value=Decimal("1000"), currency="EUR")
    rates = [row.rate for row in found.rows]
    assert rates == sorted(rates) and len(rates) == 5
    (actual,) = [row for row in found.rows if row.actual]
    assert actual.revenue == Decimal("1000.00")  # 3 x 1/3 x 1 x 1000, not 999.99
    assert found.left_on_the_table == Decimal("2000.00")


def test_nothing_won_gives_zeros_with_the_reason():
    found = money.table(handed_over=10, followed_up=4, won_followed_up=0, order_value=None, currency=None)
    assert {row.revenue for row in found.rows} == {Decimal("0.00")}
    assert found.reason == "no followed-up lead won yet: no observed order value"
    assert money.table(handed_over=0, followed_up=0, won_followed_up=0, order_value=None,
                       currency=None).reason == "no leads handed over in the period"


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        money.table(handed_over=1, followed_up=2, won_followed_up=0, order_value=None, currency=None)
    with pytest.raises(ValueError):
        money.table(handed_over=2, followed_up=1, won_followed_up=2, order_value=None, currency=None)
