"""What the sales and management dashboards show, gathered from the stages that own it (each through its queries):
the follow-up scorecard against its norms, the weighted pipeline by month, revenue from marketing leads by month
against the targets, the forecast ahead and its accuracy on past months. Reads, no decisions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.analytics import domain
from leadflow.analytics.facts import rates as exchange_rates
from leadflow.analytics.models import LeadFact, RevenueTarget
from leadflow.analytics.queries import Filters, economics, scope, sees_costs
from leadflow.clock import as_utc
from leadflow.followup import kpis
from leadflow.followup import scorecard as scorecards
from leadflow.people.service import Actor
from leadflow.pipeline import queries as pipeline_queries
from leadflow.pipeline import sales_figures
from leadflow.pipeline import snapshots


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# -- sales ---------------------------------------------------------------------------------------------------------

@dataclass
class Sales:
    card: scorecards.Scorecard
    tiles: list[dict]
    forecast: list[pipeline_queries.ForecastLine]
    months: list[str]
    currencies: list[str]


def sales(actor: Actor, *, session: Session, today: date | None = None) -> Sales:
    """This month's scorecard per salesperson (as the actor sees it) and its KPIs against their norms; the weighted
    pipeline by expected close month, per currency."""
    today = today or clock.now().date()
    first = today.replace(day=1)
    card = scorecards.scorecard(actor, session=session, group="rep", start=_midnight(first),
                                end=_midnight(_month_after(first)))
    tiles = []
    for key in ("followed_up_pct", "overdue_pct", "quote_pct", "won_pct"):
        check = card.total.checks.get(key)
        spec = kpis.SPECS[key]
        tiles.append({"key": key, "label": spec.label, "value": card.total.figures.get(key), "unit": spec.unit,
                      "norm": card.norms.get(key), "direction": spec.direction,
                      "short": bool(check and check.short), "reason": check.reason if check else ""})
    # The open pipeline only: what was won already is the scorecard's, not a forecast (as on the management page).
    lines = [line for line in pipeline_queries.forecast(actor, pipeline_queries.OpportunityFilter(status="open"),
                                                         session=session, group="month") if line.key]
    months = sorted({str(line.key) for line in lines if str(line.key) >= first.strftime("%Y-%m")})[:12]
    currencies = sorted({line.currency for line in lines})
    return Sales(card=card, tiles=tiles, forecast=lines, months=months, currencies=currencies)


# -- management ----------------------------------------------------------------------------------------------------

@dataclass
class Management:
    currency: str
    months: list[date]
    marketing: dict[date, Decimal]  # revenue won in the month from leads marketing brought (a campaign or a source)
    other: dict[date, Decimal]  # from the other leads
    targets: dict[date, Decimal]
    ahead: list[date]
    weighted: dict[date, Decimal]  # the weighted pipeline by expected close month, in the reporting currency
    unconverted: int
    accuracy: snapshots.Report | None
    tiles: list[dict] = field(default_factory=list)


def management(actor: Actor, *, session: Session, today: date | None = None, months: int = 12) -> Management:
    today = today or clock.now().date()
    rates = exchange_rates(session=session)
    this_month = today.replace(day=1)
    first = this_month
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    past = domain.months_between(first, this_month)
    won = sales_figures.won().subquery()
    query = (select(won.c.value, won.c.currency, won.c.closed_at, LeadFact.campaign_id, LeadFact.source)
             .join(LeadFact, LeadFact.lead_id == won.c.lead_id)
             .where(and_(won.c.closed_at >= _midnight(first), won.c.closed_at < _midnight(_month_after(this_month)))))
    limit = scope(actor)
    if limit is not None:
        query = query.where(limit)
    marketing: dict[date, Decimal] = defaultdict(Decimal)
    other: dict[date, Decimal] = defaultdict(Decimal)
    unconverted = 0
    for value, currency, closed_at, campaign_id, source in session.execute(query):
        closed = as_utc(closed_at)
        amount = rates.convert(Decimal(value), currency, closed)
        if amount is None:
            unconverted += 1
            continue
        (marketing if campaign_id is not None or source else other)[domain.month_of(closed)] += amount
    # The company's targets are for the company's figures: who sees only some leads is shown none.
    targets = {t.month: t.amount for t in session.scalars(
        select(RevenueTarget).where(RevenueTarget.team_key == 0, RevenueTarget.month >= first))} \
        if scope(actor) is None else {}
    ahead = domain.months_between(this_month, _add_months(this_month, 5))
    weighted: dict[date, Decimal] = defaultdict(Decimal)
    for line in pipeline_queries.forecast(actor, pipeline_queries.OpportunityFilter(status="open"),
                                          session=session, group="month"):
        if not line.key:
            continue
        month = date.fromisoformat(f"{line.key}-01")
        if month in ahead:
            amount = rates.convert(line.weighted, line.currency, today)
            if amount is None:
                unconverted += 1
            else:
                weighted[month] += amount
    accuracy = snapshots.report(actor, session=session, months=6, today=today)
    m = Management(currency=rates.reporting, months=past, marketing=dict(marketing), other=dict(other),
                   targets=targets, ahead=ahead, weighted=dict(weighted), unconverted=unconverted,
                   accuracy=accuracy)
    m.tiles = _tiles(actor, m, today, session=session)
    return m


def _add_months(day: date, count: int) -> date:
    for _ in range(count):
        day = _month_after(day)
    return day


def _tiles(actor: Actor, m: Management, today: date, *, session: Session) -> list[dict]:
    year = [month for month in m.months if month.year == today.year]
    revenue = sum((m.marketing.get(month, Decimal("0")) for month in year), Decimal("0"))
    target = sum((m.targets.get(month, Decimal("0")) for month in year), Decimal("0"))
    tiles = [{"label": f"Revenue from marketing leads, {today.year}", "value": revenue, "unit": "money",
              "note": f"target {target:,.0f}" if target else "no target set",
              "short": bool(target) and revenue < target}]
    if sees_costs(actor):
        report = economics(actor, Filters(start=_midnight(date(today.year, 1, 1)),
                                          end=_midnight(date(today.year + 1, 1, 1))), session=session,
                           group="source")
        tiles.append({"label": f"Marketing cost, {today.year}", "value": report.total.figures.cost, "unit": "money",
                      "note": "of the leads that came in this year", "short": False})
        roi = report.total.derived.roi
        tiles.append({"label": "ROI of this year's leads", "value": None if roi is None else roi * 100,
                      "unit": "percent", "note": "(revenue - cost) / cost", "short": roi is not None and roi < 0})
    next_three = sum((m.weighted.get(month, Decimal("0")) for month in m.ahead[:3]), Decimal("0"))
    target_three = sum((m.targets.get(month, Decimal("0")) for month in m.ahead[:3]), Decimal("0"))
    tiles.append({"label": "Weighted pipeline, next 3 months", "value": next_three, "unit": "money",
                  "note": f"target {target_three:,.0f}" if target_three else "no target set",
                  "short": bool(target_three) and next_three < target_three})
    return tiles
