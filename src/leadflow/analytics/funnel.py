"""The funnel, the monthly cohorts, the 25/25/50 split and the attribution report, read from the lead facts and
credits: the leads that came in during a period (the actor's scope, the filters) and what they became since, each
figure in one statement (PostgreSQL takes its medians with percentile_cont; SQLite hands the times over as Julian
days and the medians are taken here)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.analytics import attribution, domain
from leadflow.analytics.facts import reporting_currency
from leadflow.analytics.models import LeadCredit, LeadFact
from leadflow.analytics.queries import NONE_LABEL, Filters, conditions, scope, subtree_ids
from leadflow.campaigns import queries as campaign_queries
from leadflow.errors import Invalid
from leadflow.people.service import Actor

STEPS = ("leads", "mqls", "sqls", "opportunities", "customers")
STEP_LABELS = {k: domain.STEP_LABELS[k] for k in STEPS}
REACHED = {"mqls": LeadFact.mql_at, "sqls": LeadFact.sql_at, "opportunities": LeadFact.opportunity_at,
           "customers": LeadFact.customer_at}
WHERE_NOW = ("open", "disqualified", "nurture", "recycled")  # where a lead that stopped at a step is now
WHERE_NOW_LABELS = {"open": "Still open", "disqualified": "Disqualified", "nurture": "Nurture",
                    "recycled": "Recycled"}
YOUNG_DAYS = 90  # a cohort whose last day is fewer days ago than this has not had its time to convert
SPLIT_DAYS = 7
GOALS = ("sql", "revenue")
GOAL_LABELS = {"sql": "SQLs", "revenue": "Revenue (customers)"}
CREDIT_GROUPS = ("campaign", "source", "medium", "channel")
CREDIT_GROUP_LABELS = {"campaign": "Campaign", "source": "Source", "medium": "Medium", "channel": "Channel"}
_CREDIT_COLUMN = {"campaign": LeadCredit.campaign_id, "source": LeadCredit.source, "medium": LeadCredit.medium,
                  "channel": LeadCredit.channel}
_FACT_COLUMN = {"source": LeadFact.source, "medium": LeadFact.medium, "channel": LeadFact.channel,
                "offer": LeadFact.offer, "country": LeadFact.country, "industry": LeadFact.industry,
                "owner": LeadFact.owner_id, "team": LeadFact.team_id}
TENTH, SHARE = Decimal("0.1"), Decimal("0.0001")


def _days(later, earlier, dialect: str):
    """later - earlier in days (a float), as the database computes it."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _tenth(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _median(values: list[float]) -> Decimal | None:
    return _tenth(statistics.median(values)) if values else None


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# -- the funnel ----------------------------------------------------------------------------------------------------

@dataclass
class Step:
    key: str
    label: str
    count: int
    from_previous: Decimal | None  # the share of the step before that got here
    from_leads: Decimal | None
    median_days: Decimal | None  # from reaching the step before to reaching this one (the leads that did both)
    median_days_from_lead: Decimal | None  # from coming in to reaching this one
    stopped: dict[str, int] | None  # those that got here and no further, by where they are now (None: the end)


@dataclass
class Funnel:
    filters: Filters
    steps: list[Step]


def funnel(actor: Actor, f: Filters, *, session: Session) -> Funnel:
    """How many of the period's leads reached each step (at any time since), the conversion from the step before
    and from the leads, the median days between the steps, and where those that stopped at a step are now: in
    one pass over the period's facts for the counts, one for the medians."""
    where = conditions(actor, f, campaign_queries.attributes(session=session))
    reached = [LeadFact.lead_id] + [REACHED[s] for s in STEPS[1:]]
    columns = [func.count(c) for c in reached]
    stops = []
    for i, step in enumerate(STEPS[:-1]):
        stopped_here = and_(reached[i].is_not(None), reached[i + 1].is_(None))
        for now in WHERE_NOW[1:]:
            stops.append((step, now))
            columns.append(func.sum(case((and_(stopped_here, LeadFact.stage == now), 1), else_=0)))
    values = [int(v or 0) for v in session.execute(select(*columns).where(and_(*where))).one()]
    counts = values[:len(STEPS)]
    stopped: dict[str, dict[str, int]] = defaultdict(dict)
    for (step, now), n in zip(stops, values[len(STEPS):]):
        stopped[step][now] = n
    between, from_lead = _funnel_medians(where, session=session)
    steps = []
    for i, step in enumerate(STEPS):
        count = counts[i]
        now_at = None  # the last step has no next one to stop before
        if i < len(STEPS) - 1:
            now_at = {"open": count - counts[i + 1] - sum(stopped[step].values()), **stopped[step]}
        steps.append(Step(key=step, label=STEP_LABELS[step], count=count,
                          from_previous=domain.ratio(count, counts[i - 1]) if i else None,
                          from_leads=domain.ratio(count, counts[0]) if i else None,
                          median_days=between.get(step), median_days_from_lead=from_lead.get(step), stopped=now_at))
    return Funnel(filters=f, steps=steps)


def _funnel_medians(where: list, *, session: Session) -> tuple[dict, dict]:
    """Per step, the median days from the step before and from coming in, over the leads that reached it (a lead at
    a step has passed the ones before it, so every lead that counts has reached MQL)."""
    times = [LeadFact.created_at] + [REACHED[s] for s in STEPS[1:]]
    if _postgres(session):
        columns = []
        for i in range(1, len(STEPS)):
            columns.append(func.percentile_cont(0.5).within_group(_days(times[i], times[i - 1], "postgresql")))
            columns.append(func.percentile_cont(0.5).within_group(_days(times[i], times[0], "postgresql")))
        row = session.execute(select(*columns).where(and_(*where))).one()
        return ({STEPS[i]: _tenth(row[2 * (i - 1)]) for i in range(1, len(STEPS))},
                {STEPS[i]: _tenth(row[2 * (i - 1) + 1]) for i in range(1, len(STEPS))})
    query = select(*[func.julianday(t) for t in times]).where(and_(*where, LeadFact.mql_at.is_not(None)))
    between: list[list[float]] = [[] for _ in STEPS]
    from_lead: list[list[float]] = [[] for _ in STEPS]
    for row in session.connection().execute(query):
        for i in range(1, len(STEPS)):
            if row[i] is None:
                break
            between[i].append(row[i] - row[i - 1])
            from_lead[i].append(row[i] - row[0])
    return ({STEPS[i]: _median(between[i]) for i in range(1, len(STEPS))},
            {STEPS[i]: _median(from_lead[i]) for i in range(1, len(STEPS))})


# -- cohorts -------------------------------------------------------------------------------------------------------

@dataclass
class Cohort:
    month: date
    leads: int
    reached: dict[str, int]  # mqls, sqls, opportunities, customers
    share: dict[str, Decimal | None]  # each as a share of the cohort's leads
    orders: int  # won opportunities (a lead won twice: two orders, one customer)
    revenue: Decimal
    median_days_to_sql: Decimal | None
    median_days_to_customer: Decimal | None
    young: bool  # its last day is fewer than YOUNG_DAYS ago: its leads have not had their time to convert


@dataclass
class Cohorts:
    filters: Filters
    currency: str
    young_days: int
    cohorts: list[Cohort]


def cohorts(actor: Actor, f: Filters, *, session: Session, young_days: int = YOUNG_DAYS) -> Cohorts:
    """Per month the leads came in (every month of the period, empty ones too): how many, the share that reached
    each step since, their revenue, and the median days from coming in to SQL and to customer."""
    where = conditions(actor, f, campaign_queries.attributes(session=session))
    month = LeadFact.created_month
    query = (select(month, func.count(), *[func.count(REACHED[s]) for s in STEPS[1:]],
                    func.coalesce(func.sum(LeadFact.orders), 0), func.coalesce(func.sum(LeadFact.revenue), 0))
             .where(and_(*where)).group_by(month))
    found = {_as_date(row[0]): row[1:] for row in session.execute(query)}
    to_sql, to_customer = _cohort_medians(where, session=session)
    today = clock.now().date()
    last_day = date.fromordinal(f.end.date().toordinal() - 1)
    out = []
    for first in domain.months_between(f.start.date(), last_day):
        leads, *steps, orders, revenue = found.get(first, (0, 0, 0, 0, 0, 0, 0))
        reached = dict(zip(STEPS[1:], (int(n) for n in steps)))
        month_end = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        out.append(Cohort(month=first, leads=int(leads), reached=reached,
                          share={k: domain.ratio(n, leads) for k, n in reached.items()},
                          orders=int(orders), revenue=domain.money(Decimal(revenue)),
                          median_days_to_sql=to_sql.get(first), median_days_to_customer=to_customer.get(first),
                          young=(today - min(month_end, last_day)).days < young_days))
    return Cohorts(filters=f, currency=reporting_currency(session=session), young_days=young_days, cohorts=out)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _cohort_medians(where: list, *, session: Session) -> tuple[dict, dict]:
    month = LeadFact.created_month
    if _postgres(session):
        query = (select(month,
                        func.percentile_cont(0.5).within_group(_days(LeadFact.sql_at, LeadFact.created_at,
                                                                     "postgresql")),
                        func.percentile_cont(0.5).within_group(_days(LeadFact.customer_at, LeadFact.created_at,
                                                                     "postgresql")))
                 .where(and_(*where, LeadFact.sql_at.is_not(None))).group_by(month))
        to_sql, to_customer = {}, {}
        for first, sql_days, customer_days in session.execute(query):
            to_sql[_as_date(first)], to_customer[_as_date(first)] = _tenth(sql_days), _tenth(customer_days)
        return to_sql, to_customer
    query = select(month, _days(LeadFact.sql_at, LeadFact.created_at, "sqlite"),
                   _days(LeadFact.customer_at, LeadFact.created_at, "sqlite")).where(
        and_(*where, LeadFact.sql_at.is_not(None)))
    sql_days: dict[date, list[float]] = defaultdict(list)
    customer_days: dict[date, list[float]] = defaultdict(list)
    for first, to_sql_, to_customer_ in session.connection().execute(query):
        first = _as_date(first)
        sql_days[first].append(to_sql_)
        if to_customer_ is not None:
            customer_days[first].append(to_customer_)
    return ({k: _median(v) for k, v in sql_days.items()}, {k: _median(v) for k, v in customer_days.items()})


# -- the 25/25/50 split --------------------------------------------------------------------------------------------

@dataclass
class Split:
    filters: Filters
    days: int
    parts: dict[str, dict]  # domain.split: sales_ready, discarded, nurture, each with its share and gap in points
    pending: int  # came in fewer than `days` ago and neither Sales Ready nor discarded yet: not counted


def split(actor: Actor, f: Filters, *, session: Session, days: int = SPLIT_DAYS) -> Split:
    """The period's leads in three parts against the 25/25/50 rule of thumb: Sales Ready at once (Sales Ready or an
    SQL within `days` of coming in), discarded at once (disqualified within `days`, and not Sales Ready at once), for
    nurture (the rest); a lead younger than `days` that is neither yet is pending, in no part."""
    if not 1 <= days <= 365:
        raise Invalid.one("days", "a whole number of days from 1 to 365")
    dialect = "postgresql" if _postgres(session) else "sqlite"
    where = conditions(actor, f, campaign_queries.attributes(session=session))
    created = LeadFact.created_at
    ready = or_(and_(LeadFact.sales_ready_at.is_not(None), _days(LeadFact.sales_ready_at, created, dialect) <= days),
                and_(LeadFact.sql_at.is_not(None), _days(LeadFact.sql_at, created, dialect) <= days))
    discarded = and_(LeadFact.disqualified_at.is_not(None), _days(LeadFact.disqualified_at, created, dialect) <= days)
    young = created > clock.now() - timedelta(days=days)
    total, n_ready, n_discarded, n_pending = (int(v or 0) for v in session.execute(select(
        func.count(), func.sum(case((ready, 1), else_=0)),
        func.sum(case((and_(~ready, discarded), 1), else_=0)),
        func.sum(case((and_(~ready, ~discarded, young), 1), else_=0))).where(and_(*where))).one())
    counts = {"sales_ready": n_ready, "discarded": n_discarded, "nurture": total - n_ready - n_discarded - n_pending}
    return Split(filters=f, days=days, parts=domain.split(counts), pending=n_pending)


# -- attribution ---------------------------------------------------------------------------------------------------

@dataclass
class Credited:
    key: object
    label: str
    conversions: dict[str, Decimal]  # model -> the conversions credited (the sum of the weights)
    revenue: dict[str, Decimal]  # model -> the revenue credited (weight x the lead's revenue); goal revenue only
    leads: int  # converted leads with a touch in this group


@dataclass
class Attribution:
    filters: Filters
    goal: str
    group: str
    currency: str
    rows: list[Credited]
    conversions: int  # the leads that converted in the period (SQLs, or first orders)
    revenue: Decimal  # their revenue (goal revenue)
    unattributed: int  # converted leads with no touch before converting: no model credits them
    unattributed_revenue: Decimal
    total: Credited  # the rows summed, unattributed aside: with it, each model's column adds up to `conversions`


def lead_conditions(actor: Actor, f: Filters, attributes: list) -> list:
    """The actor's scope and the filters (campaign: its subtree, the others equal or '(none)') on the lead facts,
    without the period: the attribution report's period is when the leads converted."""
    where = []
    limit = scope(actor)
    if limit is not None:
        where.append(limit)
    if f.campaign_id is not None:
        where.append(LeadFact.campaign_id.in_(sorted(subtree_ids(f.campaign_id, attributes))))
    for key, value in f.narrowed().items():
        column = _FACT_COLUMN[key]
        where.append(column.is_(None) if value == NONE_LABEL else column == value)
    return where


def _converted(goal: str, f: Filters):
    if goal == "sql":
        return [LeadFact.sql_at >= f.start, LeadFact.sql_at < f.end]
    return [LeadFact.orders > 0, LeadFact.customer_at >= f.start, LeadFact.customer_at < f.end]


def check_goal(goal: str | None) -> str:
    goal = goal or "sql"
    if goal not in GOALS:
        raise Invalid.one("goal", f"one of {', '.join(GOALS)}")
    return goal


def check_credit_group(group: str | None) -> str:
    group = group or "campaign"
    if group not in CREDIT_GROUPS:
        raise Invalid.one("group", f"one of {', '.join(CREDIT_GROUPS)}")
    return group


def attribution_report(actor: Actor, f: Filters, *, session: Session, goal: str = "sql",
                       group: str = "campaign") -> Attribution:
    """The leads that converted during the period (became an SQL, or placed their first order), of the actor's
    scope and the filters, and the credit each campaign (source, medium, channel) earns for them under each model,
    side by side; converted leads with no touch are 'unattributed', so each model's column adds up to the
    conversions."""
    goal, group = check_goal(goal), check_credit_group(group)
    attributes = campaign_queries.attributes(session=session)
    leads_where = lead_conditions(actor, f, attributes)
    key = _CREDIT_COLUMN[group]
    # Each credit carries its share of the lead's revenue: the facts are joined only to narrow the leads (a scope,
    # a filter), never to read them, so an admin's unfiltered report reads the credits alone.
    query = (select(key, LeadCredit.model, func.sum(LeadCredit.weight), func.sum(LeadCredit.revenue),
                    func.count(LeadCredit.lead_id.distinct()))
             .where(LeadCredit.goal == goal, LeadCredit.model.in_(attribution.MODELS),  # the index's second column
                    LeadCredit.goal_at >= f.start, LeadCredit.goal_at < f.end, *leads_where)
             .group_by(key, LeadCredit.model))
    if leads_where:
        query = query.join(LeadFact, LeadFact.lead_id == LeadCredit.lead_id)
    names = {r.id: r.name for r in attributes}
    rows: dict[object, Credited] = {}
    weights: dict[str, Decimal] = defaultdict(Decimal)  # per model, unrounded: the total row adds these up
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for value, model, weight, revenue, leads in session.execute(query):
        row = rows.setdefault(value, Credited(key=value, label=_label(group, value, names), conversions={},
                                              revenue={}, leads=0))
        weight, revenue = Decimal(str(weight or 0)), Decimal(str(revenue or 0))
        weights[model] += weight
        amounts[model] += revenue
        row.conversions[model] = weight.quantize(SHARE, rounding=ROUND_HALF_UP)
        row.revenue[model] = domain.money(revenue)
        row.leads = max(row.leads, int(leads))
    # The converted leads with no credit: not among the leads credited in the period, an uncorrelated IN that both
    # databases turn into one hashed set (a correlated NOT EXISTS or an outer join to a derived table can be planned
    # as a scan per lead: quadratic at a million leads).
    credited = select(LeadCredit.lead_id).where(LeadCredit.goal == goal, LeadCredit.model == attribution.MODELS[0],
                                                LeadCredit.goal_at >= f.start, LeadCredit.goal_at < f.end)
    uncredited = LeadFact.lead_id.not_in(credited)
    total, revenue, unattributed, unattributed_revenue = session.execute(
        select(func.count(), func.coalesce(func.sum(LeadFact.revenue), 0), func.sum(case((uncredited, 1), else_=0)),
               func.sum(case((uncredited, LeadFact.revenue), else_=0)))
        .where(*_converted(goal, f), *leads_where)).one()
    out = sorted(rows.values(), key=lambda r: (-sum(r.conversions.values()), r.label.casefold()))
    for row in out:
        for model in attribution.MODELS:
            row.conversions.setdefault(model, Decimal("0.0000"))
            row.revenue.setdefault(model, Decimal("0.00"))
    summed = Credited(key=None, label="Total (attributed)",
                      conversions={m: weights[m].quantize(SHARE, rounding=ROUND_HALF_UP) for m in attribution.MODELS},
                      revenue={m: domain.money(amounts[m]) for m in attribution.MODELS},
                      leads=int(total or 0) - int(unattributed or 0))
    return Attribution(filters=f, goal=goal, group=group, currency=reporting_currency(session=session), rows=out,
                       conversions=int(total or 0), revenue=domain.money(Decimal(str(revenue or 0))),
                       unattributed=int(unattributed or 0),
                       unattributed_revenue=domain.money(Decimal(str(unattributed_revenue or 0))), total=summed)


def _label(group: str, value, names: dict) -> str:
    if value is None:
        return NONE_LABEL
    if group == "campaign":
        return names.get(value, f"campaign {value}")
    return str(value)
