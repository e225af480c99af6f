"""Campaign economics' pure arithmetic: ratios with None where they cannot be told, a program's cost split down its
tree to the cent, exchange rates by day, costs over several days inside a period, the 25/25/50 split."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from leadflow.analytics import domain


def test_the_ratios_of_a_campaign_are_exact_and_none_where_they_cannot_be_told():
    f = domain.Figures(leads=400, mqls=200, sqls=100, opportunities=40, quotes=30, customers=10, orders=12,
                       revenue=D("54000"), cost=D("6000"))
    d = domain.derive(f)
    assert (d.cost_per_lead, d.cost_per_sql, d.cost_per_order) == (D("15.00"), D("60.00"), D("500.00"))
    assert (d.roi, d.roas, d.revenue_per_lead, d.average_order) == (D("8.0000"), D("9.0000"), D("135.00"),
                                                                     D("4500.00"))
    assert d.conversion["customers"] == D("0.0250") and d.step_conversion["sqls"] == D("0.5000")
    nothing = domain.derive(domain.Figures())
    assert nothing.roi is None and nothing.cost_per_order is None and nothing.conversion["sqls"] is None
    no_cost = domain.derive(domain.Figures(leads=5, revenue=D("10"), cost=None))
    assert no_cost.roi is None and no_cost.revenue_per_lead == D("2.00")
    spent_nothing_back = domain.derive(domain.Figures(leads=1000, cost=D("2500")))
    assert spent_nothing_back.roi == D("-1.0000") and spent_nothing_back.cost_per_order is None


def test_figures_add_up_and_an_unknown_cost_stays_unknown():
    a = domain.Figures(leads=1, orders=2, revenue=D("5"), cost=D("3"))
    b = domain.Figures(leads=2, revenue=D("1"), cost=None)
    assert (a + b).leads == 3 and (a + b).cost == D("3") and (a + b).revenue == D("6")
    assert (domain.Figures(cost=None) + domain.Figures(cost=None)).cost is None


def test_a_programs_cost_is_split_by_leads_down_the_tree_and_nothing_is_lost():
    nodes = [domain.Node(1, None, D("1000"), 0), domain.Node(2, 1, D("500"), 3), domain.Node(3, 1, D("99"), 1),
             domain.Node(4, 2, D("0"), 0)]
    allocation = domain.allocate(domain.tree(nodes))
    # 1,000 split 3:1 between 2 (its subtree: 3 leads) and 3; 2's leads are its own (none under 4), so 2 keeps
    # its 1,250 and 4 carries nothing.
    assert allocation.cost[3] == D("349.00") and allocation.cost[2] == D("1250.00") and allocation.cost[4] == 0
    assert allocation.kept == {2: D("1250.00")}
    assert allocation.rolled_up[1] == D("1599.00") == sum(allocation.cost.values())


def test_a_program_with_leads_of_its_own_keeps_their_share_and_no_leads_means_equal_shares():
    allocation = domain.allocate(domain.tree([domain.Node(1, None, D("100"), 1), domain.Node(2, 1, D("0"), 1),
                                              domain.Node(3, 1, D("0"), 2)]))
    assert (allocation.cost[1], allocation.cost[2], allocation.cost[3]) == (D("25.00"), D("25.00"), D("50.00"))
    even = domain.allocate(domain.tree([domain.Node(1, None, D("100"), 0), domain.Node(2, 1), domain.Node(3, 1),
                                        domain.Node(5, 1)]))
    assert [even.cost[i] for i in (2, 3, 5)] == [D("33.33"), D("33.33"), D("33.34")]


def test_a_loop_in_the_tree_makes_a_root_instead_of_hanging():
    roots = domain.tree([domain.Node(1, 2, D("10")), domain.Node(2, 1, D("5"))])
    assert roots and sum(domain.allocate(roots).cost.values()) == D("15")


def test_rates_apply_from_their_day_and_the_reporting_currency_is_one():
    rates = domain.Rates("EUR", [("SEK", date(2026, 1, 1), D("0.09")), ("SEK", date(2026, 7, 1), D("0.1"))])
    assert rates.convert(D("1000"), "SEK", date(2026, 6, 30)) == D("90.00")
    assert rates.convert(D("1000"), "SEK", datetime(2026, 7, 1, 0, 0, tzinfo=UTC)) == D("100.00")
    assert rates.convert(D("1000"), "SEK", date(2025, 12, 1)) == D("90.00")  # before the first: the first
    assert rates.convert(D("12.345"), "EUR", date(2026, 1, 1)) == D("12.35")
    assert rates.convert(D("5"), "USD", date(2026, 1, 1)) is None


def test_a_cost_over_several_days_counts_for_the_days_inside_the_period():
    november = (date(2026, 11, 1), date(2026, 12, 1))
    assert domain.overlap_share(date(2026, 11, 1), date(2026, 11, 30), *november) == 1
    assert domain.overlap_share(date(2026, 10, 17), date(2026, 11, 15), *november) == D(15) / D(30)
    assert domain.overlap_share(date(2026, 12, 1), date(2026, 12, 1), *november) == 0


def test_the_seeds_split_against_25_25_50():
    out = domain.split({"sales_ready": 30, "discarded": 20, "nurture": 50})
    assert out["sales_ready"]["share"] == D("0.3000") and out["sales_ready"]["gap_points"] == D("5.0")
    assert out["nurture"]["gap_points"] == D("0.0") and domain.split({})["nurture"]["share"] is None


def test_months_between_cross_years():
    assert domain.months_between(date(2025, 11, 20), date(2026, 2, 1)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
