"""Campaign economics as the dashboards, the API and the CLI read them: per campaign (with its programs above it),
source, medium, channel, offer, country, industry, salesperson, team or month, the leads that came in during a
period and what they became (whenever), beside what was spent in the period, in the reporting currency.

Who sees what: marketing and admins every lead's figures and the costs; a sales manager their teams' leads, a
salesperson their own, without costs (what marketing spent is not theirs to see, so no ROI for them either)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from leadflow.analytics import domain
from leadflow.analytics.facts import rates as exchange_rates
from leadflow.analytics.facts import reporting_currency, settings_row
from leadflow.analytics.models import LeadFact, RoiNorm
from leadflow.campaigns import queries as campaign_queries
from leadflow.errors import Invalid
from leadflow.leads.visibility import sees_all
from leadflow.people import queries as people_queries
from leadflow.people import roles
from leadflow.people.service import Actor

GROUPS = ("campaign", "source", "medium", "channel", "offer", "country", "industry", "owner", "team", "month")
GROUP_LABELS = {"campaign": "Campaign", "source": "Source", "medium": "Medium", "channel": "Channel",
                "offer": "Offer", "country": "Country", "industry": "Industry (segment)", "owner": "Salesperson",
                "team": "Team", "month": "Month"}
COST_GROUPS = ("campaign", "source", "medium", "channel", "offer")  # where a cost can be told
NORM_DIMENSIONS = ("source", "medium", "channel", "campaign")
NONE_LABEL = "(none)"

_COLUMN = {"source": LeadFact.source, "medium": LeadFact.medium, "channel": LeadFact.channel,
           "offer": LeadFact.offer, "country": LeadFact.country, "industry": LeadFact.industry,
           "owner": LeadFact.owner_id, "team": LeadFact.team_id, "campaign": LeadFact.campaign_id,
           "month": LeadFact.created_month}
_CAMPAIGN_ATTRIBUTE = {"source": "source", "medium": "medium", "channel": "channel", "offer": "offer"}


@dataclass(frozen=True)
class Filters:
    """The leads that came in during [start, end) (UTC), narrowed by any of these; `campaign_id` takes the
    campaign's whole subtree."""

    start: datetime
    end: datetime
    campaign_id: int | None = None
    source: str | None = None
    medium: str | None = None
    channel: str | None = None
    offer: str | None = None
    country: str | None = None
    industry: str | None = None
    owner_id: int | None = None
    team_id: int | None = None

    def narrowed(self) -> dict:
        return {k: v for k, v in (("source", self.source), ("medium", self.medium), ("channel", self.channel),
                                  ("offer", self.offer), ("country", self.country), ("industry", self.industry),
                                  ("owner", self.owner_id), ("team", self.team_id)) if v not in (None, "")}

    def query(self) -> dict:
        """These filters as a page's or an export's query parameters."""
        out = {"from": self.start.date().isoformat(),
               "to": date.fromordinal(self.end.date().toordinal() - 1).isoformat()}
        if self.campaign_id is not None:
            out["campaign"] = str(self.campaign_id)
        for key, value in (("source", self.source), ("medium", self.medium), ("channel", self.channel),
                           ("offer", self.offer), ("country", self.country), ("industry", self.industry),
                           ("owner", self.owner_id), ("team", self.team_id)):
            if value not in (None, ""):
                out[key] = str(value)
        return out


@dataclass
class Row:
    key: object
    label: str
    figures: domain.Figures
    derived: domain.Derived | None = None
    depth: int = 0
    parent: object = None
    has_children: bool = False
    norm: Decimal | None = None  # the least ROI this row must bring (a ratio)
    below_norm: bool = False
    no_customers: bool = False  # spent and brought leads, but not one customer

    def finish(self) -> Row:
        self.derived = domain.derive(self.figures)
        roi = self.derived.roi
        self.below_norm = self.norm is not None and roi is not None and roi < self.norm
        self.no_customers = bool(self.figures.cost) and self.figures.leads > 0 and self.figures.customers == 0
        return self


@dataclass
class Report:
    group: str
    filters: Filters
    currency: str
    rows: list[Row]
    total: Row
    costs_shown: bool  # False: the actor may not see costs, or the group cannot carry them
    unconverted_costs: int = 0
    notes: list[str] = field(default_factory=list)


# -- who sees what -------------------------------------------------------------------------------------------------

def scope(actor: Actor) -> ColumnElement[bool] | None:
    """Which leads' figures the actor sees: all (None), their teams' and their own, or their own."""
    if sees_all(actor):
        return None
    if actor.user_id is None:
        return false()
    rule = roles.LEAD_VISIBILITY.get(actor.role)
    own = LeadFact.owner_id == actor.user_id
    if rule == "team":
        teams = people_queries.led_team_ids(actor.user_id, actor.team_id)
        return or_(own, LeadFact.team_id.in_(teams), LeadFact.owner_id.in_(people_queries.members_of(teams)))
    return own


def sees_costs(actor: Actor) -> bool:
    return sees_all(actor)


# -- the facts, grouped --------------------------------------------------------------------------------------------

def subtree_ids(campaign_id: int, attributes: list) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in attributes:
        children[row.parent_id].append(row.id)
    found, todo = {campaign_id}, [campaign_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def conditions(actor: Actor, f: Filters, attributes: list) -> list:
    where = [LeadFact.created_at >= f.start, LeadFact.created_at < f.end]
    limit = scope(actor)
    if limit is not None:
        where.append(limit)
    if f.campaign_id is not None:
        where.append(LeadFact.campaign_id.in_(sorted(subtree_ids(f.campaign_id, attributes))))
    for key, value in f.narrowed().items():
        column = _COLUMN[key]
        where.append(column.is_(None) if value == NONE_LABEL else column == value)
    return where


def _aggregate(key, where: list, *, session: Session) -> dict[object, domain.Figures]:
    columns = [func.count(), func.count(LeadFact.mql_at), func.count(LeadFact.sql_at),
               func.count(LeadFact.opportunity_at), func.count(LeadFact.quoted_at), func.count(LeadFact.customer_at),
               func.coalesce(func.sum(LeadFact.orders), 0), func.coalesce(func.sum(LeadFact.revenue), 0),
               func.coalesce(func.sum(LeadFact.unconverted), 0)]
    keys = list(key) if isinstance(key, tuple) else [key] if key is not None else []
    query = select(*keys, *columns).where(and_(*where))
    if keys:
        query = query.group_by(*keys)
    out = {}
    for row in session.execute(query):
        values = tuple(row)
        k = (values[0] if len(keys) == 1 else tuple(values[:len(keys)])) if keys else None
        leads, mqls, sqls, opps, quotes, customers, orders, revenue, unconverted = values[len(keys):]
        out[k] = domain.Figures(leads=leads, mqls=mqls, sqls=sqls, opportunities=opps, quotes=quotes,
                                customers=customers, orders=int(orders), revenue=Decimal(revenue),
                                unconverted=int(unconverted))
    return out


def _pairs(key, where: list, *, session: Session) -> tuple[dict, dict, domain.Figures]:
    """One grouped pass over the facts by (campaign, key): the figures per key, per campaign (a program's costs are
    split by its campaigns' leads) and in total."""
    if key is LeadFact.campaign_id:
        grouped = _aggregate(key, where, session=session)
        by_campaign = grouped
    else:
        both = _aggregate((LeadFact.campaign_id, key), where, session=session)
        grouped, by_campaign = defaultdict(domain.Figures), defaultdict(domain.Figures)
        for (campaign_id, value), figures_ in both.items():
            grouped[value] = grouped[value] + figures_
            by_campaign[campaign_id] = by_campaign[campaign_id] + figures_
        grouped, by_campaign = dict(grouped), dict(by_campaign)
    total = sum(grouped.values(), domain.Figures())
    return grouped, by_campaign, total


def figures(actor: Actor, f: Filters, *, session: Session, group: str | None) -> dict[object, domain.Figures]:
    """The figures of the leads behind each value of the group (None: the total), without costs."""
    attributes = campaign_queries.attributes(session=session)
    key = _COLUMN[group] if group else None
    return _aggregate(key, conditions(actor, f, attributes), session=session)


# -- costs ---------------------------------------------------------------------------------------------------------

def campaign_costs(f: Filters, *, session: Session, leads_by_campaign: dict[int, int],
                   attributes: list) -> tuple[dict[int, Decimal], dict[int, Decimal], int]:
    """What was spent in the period per campaign, in the reporting currency (a cost over several days counts for
    the days inside the period), and split down the tree (domain.allocate): (carried, rolled_up, unconverted)."""
    rates = exchange_rates(session=session)
    own: dict[int, Decimal] = defaultdict(Decimal)
    unconverted = 0
    start, end = f.start.date(), f.end.date()
    for campaign_id, spent_on, spent_until, amount, currency in campaign_queries.cost_rows(start, end,
                                                                                           session=session):
        share = domain.overlap_share(spent_on, spent_until or spent_on, start, end)
        if not share:
            continue
        converted = rates.convert(Decimal(amount) * share, currency, max(spent_on, start))
        if converted is None:
            unconverted += 1
            continue
        own[campaign_id] += converted
    nodes = [domain.Node(r.id, r.parent_id, own.get(r.id, Decimal("0")), leads_by_campaign.get(r.id, 0))
             for r in attributes]
    allocation = domain.allocate(domain.tree(nodes))
    return allocation.cost, allocation.rolled_up, unconverted


def _norms(*, session: Session) -> tuple[dict[tuple[str, str], Decimal], Decimal | None]:
    saved = {(n.dimension, n.value_key): n.min_roi for n in session.scalars(select(RoiNorm))}
    return saved, settings_row(session=session).roi_norm


def norm_for(dimension: str, value: object, norms: dict, default: Decimal | None) -> Decimal | None:
    if dimension not in NORM_DIMENSIONS or value is None:
        return None
    return norms.get((dimension, str(value).casefold()), default)


# -- the report ----------------------------------------------------------------------------------------------------

def check_group(group: str | None) -> str:
    group = group or "campaign"
    if group not in GROUPS:
        raise Invalid.one("group", f"one of {', '.join(GROUPS)}")
    return group


def economics(actor: Actor, f: Filters, *, session: Session, group: str = "campaign") -> Report:
    group = check_group(group)
    attributes = campaign_queries.attributes(session=session)
    by_id = {r.id: r for r in attributes}
    where = conditions(actor, f, attributes)
    grouped, by_campaign, total = _pairs(_COLUMN[group], where, session=session)
    currency = reporting_currency(session=session)
    shown = sees_costs(actor) and not any(k in f.narrowed() for k in ("country", "industry", "owner", "team"))
    notes: list[str] = []
    carried: dict[int, Decimal] = {}
    rolled: dict[int, Decimal] = {}
    unconverted = 0
    if shown:
        carried, rolled, unconverted = campaign_costs(
            f, session=session, leads_by_campaign={k: v.leads for k, v in by_campaign.items() if k is not None},
            attributes=attributes)
        keep = _cost_filter(f, attributes)
        carried = {k: v for k, v in carried.items() if k in keep}
        total = total.with_cost(sum(carried.values(), Decimal("0")))
        if unconverted:
            notes.append(f"{unconverted} cost entr{'y' if unconverted == 1 else 'ies'} in a currency with no exchange "
                         f"rate to {currency} left out; set the rate on the analytics settings.")
    elif not sees_costs(actor):
        notes.append("Costs and ROI are shown to marketing and admins.")
    if sees_costs(actor) and (not shown or group not in COST_GROUPS):
        notes.append("Costs cannot be told per country, industry, salesperson, team or month: ROI is shown per "
                     "campaign, source, medium, channel and offer" + (" (the total carries the period's costs)."
                                                                      if shown else "."))
    if total.unconverted:
        notes.append(f"{total.unconverted} order(s) in a currency with no exchange rate to {currency} are counted as "
                     "orders but not in the revenue.")
    norms, default_norm = _norms(session=session)
    rows = _rows(group, grouped, carried, rolled, by_id, shown, f, session=session)
    for row in rows:
        row.norm = norm_for(group, row.key, norms, default_norm)
        row.finish()
    total_row = Row(key=None, label="Total", figures=total).finish()
    return Report(group=group, filters=f, currency=currency, rows=rows, total=total_row,
                  costs_shown=shown and group in COST_GROUPS, unconverted_costs=unconverted, notes=notes)


def _cost_filter(f: Filters, attributes: list) -> set[int]:
    """The campaigns whose costs the filters keep (a campaign filter: its subtree; a source, medium, channel or
    offer filter: the campaigns with it)."""
    keep = {r.id for r in attributes}
    if f.campaign_id is not None:
        keep &= subtree_ids(f.campaign_id, attributes)
    for key, attribute in _CAMPAIGN_ATTRIBUTE.items():
        value = getattr(f, key)
        if value not in (None, ""):
            keep &= {r.id for r in attributes if (getattr(r, attribute) or NONE_LABEL) == value}
    return keep


def _rows(group: str, grouped: dict, carried: dict, rolled: dict, by_id: dict, shown: bool, f: Filters, *,
          session: Session) -> list[Row]:
    if group == "campaign":
        return _campaign_rows(grouped, carried, by_id, shown, f)
    costs: dict[object, Decimal] = defaultdict(Decimal)
    if shown and group in _CAMPAIGN_ATTRIBUTE:
        for campaign_id, amount in carried.items():
            costs[getattr(by_id[campaign_id], _CAMPAIGN_ATTRIBUTE[group])] += amount
    labels = _labels(group, [k for k in grouped if k is not None], session=session)
    rows = []
    keys = set(grouped) | {k for k, v in costs.items() if v}
    for key in keys:
        figures_ = grouped.get(key, domain.Figures())
        cost = costs.get(key, Decimal("0")) if shown and group in _CAMPAIGN_ATTRIBUTE else None
        rows.append(Row(key=key, label=labels.get(key, NONE_LABEL if key is None else str(key)),
                        figures=figures_.with_cost(cost)))
    if group == "month":
        rows.sort(key=lambda r: r.key or date.min)
    else:
        rows.sort(key=lambda r: (-(r.figures.revenue or 0), -r.figures.leads, r.label))
    return rows


def _campaign_rows(grouped: dict, carried: dict, by_id: dict, shown: bool, f: Filters) -> list[Row]:
    """The campaign tree, programs above their campaigns: each row its subtree's leads and what they became, and
    the cost it carries with its share of the programs' above it (rolled up for a program)."""
    wanted = {k for k in grouped if k is not None} | {k for k, v in carried.items() if v}
    # The programs above what is shown, so the tree reads from the top.
    for campaign_id in list(wanted):
        parent, seen = by_id[campaign_id].parent_id if campaign_id in by_id else None, set()
        while parent is not None and parent in by_id and parent not in seen:
            seen.add(parent)
            wanted.add(parent)
            parent = by_id[parent].parent_id
    children: dict[int | None, list[int]] = defaultdict(list)
    for campaign_id in wanted:
        if campaign_id in by_id:
            parent = by_id[campaign_id].parent_id
            children[parent if parent in wanted else None].append(campaign_id)
    rows: list[Row] = []

    def subtree(campaign_id: int, depth: int, parent) -> domain.Figures:
        own = grouped.get(campaign_id, domain.Figures())
        cost = carried.get(campaign_id, Decimal("0")) if shown else None
        row = Row(key=campaign_id, label=by_id[campaign_id].name, figures=own, depth=depth, parent=parent,
                  has_children=bool(children.get(campaign_id)))
        rows.append(row)
        summed = own.with_cost(cost)
        for child in sorted(children.get(campaign_id, []), key=lambda c: by_id[c].name.casefold()):
            summed = summed + subtree(child, depth + 1, campaign_id)
        row.figures = summed if shown else summed.with_cost(None)
        return summed

    for root in sorted(children.get(None, []), key=lambda c: by_id[c].name.casefold()):
        subtree(root, 0, None)
    if None in grouped:
        rows.append(Row(key=None, label="(no campaign)", figures=grouped[None].with_cost(
            Decimal("0") if shown else None)))
    return rows


def _labels(group: str, keys: list, *, session: Session) -> dict:
    if group == "owner":
        return people_queries.user_names(keys, session=session)
    if group == "team":
        return people_queries.team_names(keys, session=session)
    if group == "month":
        return {k: k.strftime("%Y-%m") for k in keys}
    return {k: str(k) for k in keys}


# -- the leads behind a figure -------------------------------------------------------------------------------------

STEP_COLUMNS = {"leads": None, "mqls": LeadFact.mql_at, "sqls": LeadFact.sql_at,
                "opportunities": LeadFact.opportunity_at, "quotes": LeadFact.quoted_at,
                "customers": LeadFact.customer_at, "orders": LeadFact.customer_at}


@dataclass(frozen=True)
class Behind:
    lead_ids: list[int]
    more: bool


def leads_behind(actor: Actor, f: Filters, *, session: Session, group: str | None = None, key: str | None = None,
                 step: str = "leads", offset: int = 0, limit: int = 100) -> Behind:
    """The leads a figure counts (its row's group value and its step), newest first; only those the actor may see
    (leads.visible_ids: a figure never lists a lead its viewer cannot open)."""
    from leadflow.leads import queries as leads_queries

    if step not in STEP_COLUMNS:
        raise Invalid.one("step", f"one of {', '.join(STEP_COLUMNS)}")
    attributes = campaign_queries.attributes(session=session)
    where = conditions(actor, f, attributes)
    if group:
        group = check_group(group)
        column = _COLUMN[group]
        value = _key_value(group, key)
        if group == "campaign" and value is not None:
            where.append(column.in_(sorted(subtree_ids(value, attributes))))
        else:
            where.append(column.is_(None) if value is None else column == value)
    if STEP_COLUMNS[step] is not None:
        where.append(STEP_COLUMNS[step].is_not(None))
    if not sees_all(actor):
        where.append(LeadFact.lead_id.in_(leads_queries.visible_ids(actor)))
    ids = list(session.scalars(select(LeadFact.lead_id).where(and_(*where))
                               .order_by(LeadFact.created_at.desc(), LeadFact.lead_id.desc())
                               .offset(offset).limit(limit + 1)))
    return Behind(lead_ids=ids[:limit], more=len(ids) > limit)


def _key_value(group: str, key: str | None):
    if key in (None, "", NONE_LABEL, "None"):
        return None
    if group in ("campaign", "owner", "team"):
        if not key.isdecimal() or len(key) > 18:
            raise Invalid.one("key", f"{key[:40]!r} is not an id")
        return int(key)
    if group == "month":
        try:
            return date.fromisoformat(key[:10])
        except ValueError:
            raise Invalid.one("key", f"{key[:40]!r} is not a month (YYYY-MM-01)") from None
    return key
