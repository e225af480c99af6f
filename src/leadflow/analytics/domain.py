"""Campaign economics, pure: the figures of a group of leads (counts at each step, cost, revenue) and what follows
from them (conversion at each step, cost per lead, per SQL and per order, revenue per lead, ROI, ROAS); a
program's own costs split across the campaigns under it; amounts turned into the reporting currency; the monthly
cohorts' months; the seeds' 25/25/50 split.

Pure: standard library only; never touches the database or the web. Every figure that cannot be computed (no
cost, no leads) is None, never 0 or infinity.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

STEPS = ("leads", "mqls", "sqls", "opportunities", "quotes", "customers")
STEP_LABELS = {"leads": "Leads", "mqls": "MQLs", "sqls": "SQLs", "opportunities": "Opportunities",
               "quotes": "Quotes", "customers": "Customers", "orders": "Orders"}
CENT = Decimal("0.01")


def money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part: Decimal | int | None, whole: Decimal | int | None, places: str = "0.0001") -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """What a group of leads (and the money spent on them) came to. Counts are leads that reached each step (a lead
    counted once however often it got there); orders are won opportunities (a lead converted twice: two orders, one
    customer); revenue and cost are in the reporting currency, `unconverted` counts amounts that had no rate."""

    leads: int = 0
    mqls: int = 0
    sqls: int = 0
    opportunities: int = 0
    quotes: int = 0
    customers: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0")
    cost: Decimal | None = None  # None: no cost can be told for this group (a salesperson, a country)
    unconverted: int = 0

    def __add__(self, other: Figures) -> Figures:
        cost = None if self.cost is None and other.cost is None else (self.cost or 0) + (other.cost or 0)
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)
                          if f.name != "cost"}, cost=cost)

    def with_cost(self, cost: Decimal | None) -> Figures:
        return replace(self, cost=cost)


@dataclass(frozen=True)
class Derived:
    """The figures' ratios: conversion from leads to each step and from each step to the next, cost per lead, per
    SQL and per order (CPO), revenue per lead, ROI ((revenue - cost) / cost) and ROAS (revenue / cost)."""

    conversion: dict[str, Decimal | None]  # step -> share of leads that reached it
    step_conversion: dict[str, Decimal | None]  # step -> share of the step before that reached it
    cost_per_lead: Decimal | None
    cost_per_sql: Decimal | None
    cost_per_order: Decimal | None
    revenue_per_lead: Decimal | None
    average_order: Decimal | None
    roi: Decimal | None
    roas: Decimal | None


def derive(f: Figures) -> Derived:
    conversion = {step: ratio(getattr(f, step), f.leads) for step in STEPS[1:]}
    step_conversion = {step: ratio(getattr(f, step), getattr(f, before)) for before, step in zip(STEPS, STEPS[1:])}
    cost = f.cost
    return Derived(
        conversion=conversion, step_conversion=step_conversion,
        cost_per_lead=money(cost / f.leads) if cost is not None and f.leads else None,
        cost_per_sql=money(cost / f.sqls) if cost is not None and f.sqls else None,
        cost_per_order=money(cost / f.orders) if cost is not None and f.orders else None,
        revenue_per_lead=money(f.revenue / f.leads) if f.leads else None,
        average_order=money(f.revenue / f.orders) if f.orders else None,
        roi=ratio(f.revenue - cost, cost) if cost else None,
        roas=ratio(f.revenue, cost) if cost else None,
    )


# -- a program's costs across its campaigns ------------------------------------------------------------------------

@dataclass
class Node:
    """A campaign in the tree: its own cost and leads, and the nodes under it."""

    id: int
    parent_id: int | None
    own_cost: Decimal = Decimal("0")
    own_leads: int = 0
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class Allocation:
    """Where each campaign's cost ends up: `cost` is what the campaign carries (its own plus its share of the
    programs' above it, when it has no campaigns under it), `rolled_up` the whole subtree's, `kept` the share a
    program carries itself for the leads that named it rather than a campaign under it."""

    cost: dict[int, Decimal]
    rolled_up: dict[int, Decimal]
    kept: dict[int, Decimal]


def tree(nodes: Iterable[Node]) -> list[Node]:
    """Link the nodes into trees; the roots, by id. A parent that is missing or a loop makes a node a root."""
    by_id = {n.id: n for n in nodes}
    roots = []
    for node in sorted(by_id.values(), key=lambda n: n.id):
        node.children = []
    for node in sorted(by_id.values(), key=lambda n: n.id):
        parent, seen = node.parent_id, {node.id}
        while parent is not None and parent in by_id and parent not in seen:
            seen.add(parent)
            parent = by_id[parent].parent_id
        if node.parent_id is None or node.parent_id not in by_id or parent is not None and parent in seen:
            roots.append(node)
        else:
            by_id[node.parent_id].children.append(node)
    return roots


def _subtree_leads(node: Node, memo: dict[int, int]) -> int:
    memo[node.id] = node.own_leads + sum(_subtree_leads(c, memo) for c in node.children)
    return memo[node.id]


def allocate(roots: list[Node]) -> Allocation:
    """Split each program's own cost across the campaigns under it, in proportion to their (subtree's) leads, or
    equally when none has a lead; recursively down to the leaves. Nothing is lost or made up: a tree's costs add up
    to the same total before and after, to the cent (the last share takes the rounding)."""
    leads: dict[int, int] = {}
    for root in roots:
        _subtree_leads(root, leads)
    cost: dict[int, Decimal] = {}
    kept: dict[int, Decimal] = {}

    def walk(node: Node, inherited: Decimal) -> None:
        pool = node.own_cost + inherited
        cost[node.id] = Decimal("0")
        if not node.children:
            cost[node.id] = pool
            return
        # A program with leads of its own (captures that named it) keeps their share itself.
        parts = [(child, leads[child.id]) for child in node.children] + ([(None, node.own_leads)]
                                                                          if node.own_leads else [])
        total_leads = sum(n for _, n in parts)
        given = Decimal("0")
        for i, (child, n) in enumerate(parts):
            if i == len(parts) - 1:
                share = pool - given
            elif total_leads:
                share = (pool * n / total_leads).quantize(CENT, rounding=ROUND_HALF_UP)
            else:
                share = (pool / len(parts)).quantize(CENT, rounding=ROUND_HALF_UP)
            given += share
            if child is None:
                cost[node.id] = share
                kept[node.id] = share
            else:
                walk(child, share)

    rolled: dict[int, Decimal] = {}

    def roll(node: Node) -> Decimal:
        rolled[node.id] = cost.get(node.id, Decimal("0")) + sum((roll(c) for c in node.children), Decimal("0"))
        return rolled[node.id]

    for root in roots:
        walk(root, Decimal("0"))
        roll(root)
    return Allocation(cost=cost, rolled_up=rolled, kept={k: v for k, v in kept.items() if v})


# -- currencies ----------------------------------------------------------------------------------------------------

class Rates:
    """Exchange rates into the reporting currency, each valid from a day until the next one of its currency."""

    def __init__(self, reporting: str, rates: Iterable[tuple[str, date, Decimal]]):
        self.reporting = reporting
        self._by: dict[str, tuple[list[date], list[Decimal]]] = {}
        for currency, valid_from, rate in sorted(rates, key=lambda r: (r[0], r[1])):
            days, values = self._by.setdefault(currency, ([], []))
            days.append(valid_from)
            values.append(Decimal(rate))

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == self.reporting:
            return Decimal("1")
        found = self._by.get(currency)
        if not found:
            return None
        i = bisect_right(found[0], day)
        # Before the first rate of a currency, its first rate (better than dropping the amount); said in the docs.
        return found[1][max(i - 1, 0)]

    def convert(self, amount: Decimal, currency: str, day: date | datetime) -> Decimal | None:
        """The amount in the reporting currency at the day's rate; None when the currency has no rate."""
        if isinstance(day, datetime):
            day = day.date()
        rate = self.rate(currency, day)
        return None if rate is None else money(Decimal(amount) * rate)


# -- periods and cohorts -------------------------------------------------------------------------------------------

def month_of(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def months_between(start: date, end: date) -> list[date]:
    """The first days of the months from start's month to end's (inclusive)."""
    months, current = [], month_of(start)
    while current <= end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def overlap_share(start: date, until: date, period_start: date, period_end: date) -> Decimal:
    """The share of a cost spread evenly over the days start..until (inclusive) that falls in the period
    [period_start, period_end)."""
    days = (until - start).days + 1
    if days <= 0:
        return Decimal("0")
    first, last = max(start, period_start), min(until, period_end.fromordinal(period_end.toordinal() - 1))
    inside = (last - first).days + 1
    return Decimal(max(inside, 0)) / Decimal(days)


# -- the seeds' split ----------------------------------------------------------------------------------------------

EXPECTED_SPLIT = {"sales_ready": Decimal("0.25"), "discarded": Decimal("0.25"), "nurture": Decimal("0.50")}
SPLIT_LABELS = {"sales_ready": "Sales Ready at once", "discarded": "Discarded at once",
                "nurture": "For nurture (intent unclear)"}


def split(counts: Mapping[str, int]) -> dict[str, dict]:
    """The 25/25/50 rule of thumb against the counts: each part's share, the expected share and the gap in points."""
    total = sum(counts.get(k, 0) for k in EXPECTED_SPLIT)
    out = {}
    for key, expected in EXPECTED_SPLIT.items():
        share = ratio(counts.get(key, 0), total)
        out[key] = {"label": SPLIT_LABELS[key], "leads": counts.get(key, 0), "share": share, "expected": expected,
                    "gap_points": None if share is None else ((share - expected) * 100).quantize(Decimal("0.1"))}
    return out

