"""The scorecard's reads: per rep, team, source or campaign over a period, the hand-overs and what became of them
(followed up, overdue, time to first contact, quotes, wins, order values, sales cycle), the norms they are held to,
and the money table. A few grouped statements over the period's hand-overs; no N+1. docs/scorecard.md."""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    ColumnElement,
    Numeric,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.errors import FieldError, Invalid
from leadflow.followup import kpis, money
from leadflow.followup.models import Followup, ScorecardNorm
from leadflow.leads import domain as leads_domain
from leadflow.leads import queries as leads_queries
from leadflow.leads.visibility import sees_all
from leadflow.people import queries as people_queries
from leadflow.people import roles
from leadflow.people.service import Actor
from leadflow.pipeline import sales_figures

GROUPS = ("rep", "team", "source", "campaign")
PCT = Decimal("0.1")


def _key(group: str) -> ColumnElement:
    return {"rep": Followup.owner_id, "team": Followup.team_id, "source": Followup.source,
            "campaign": Followup.campaign_id}[group]


@dataclass
class Row:
    key: int | str | None
    label: str
    handed_over: int = 0
    followed_up: int = 0
    overdue: int = 0
    quoted: int = 0
    won: int = 0
    won_followed_up: int = 0
    first_contact_hours: Decimal | None = None  # median
    sales_cycle_days: Decimal | None = None  # median
    orders: dict[str, tuple[int, Decimal]] = field(default_factory=dict)  # currency -> (won orders, total value)
    figures: dict[str, Decimal | None] = field(default_factory=dict)
    checks: dict[str, kpis.Check] = field(default_factory=dict)
    average_orders: dict[str, Decimal] = field(default_factory=dict)  # currency -> mean won value
    money: money.MoneyTable | None = None


@dataclass
class Scorecard:
    group: str
    start: datetime
    end: datetime
    rows: list[Row]
    total: Row
    norms: dict[str, kpis.Norm]


def scope(actor: Actor, *, session: Session) -> ColumnElement[bool] | None:
    """Which hand-overs the actor's figures cover: a salesperson their own; a sales manager their team(s)' (the team
    at the hand-over, or its owner a member now) and their own; marketing and admins all (None: no limit)."""
    if sees_all(actor):
        return None
    if actor.user_id is None:
        return false()
    rule = roles.LEAD_VISIBILITY.get(actor.role)
    own = Followup.owner_id == actor.user_id
    if rule == "own":
        return own
    if rule == "team":
        teams = people_queries.led_team_ids(actor.user_id, actor.team_id)
        return or_(own, Followup.team_id.in_(teams), Followup.owner_id.in_(people_queries.members_of(teams)))
    return false()


def _late(moment: datetime) -> ColumnElement:
    """A hand-over overdue as of `moment`: its due passed with no contact by it (open past due, or followed up late),
    unless it ended (reassigned or closed) before its due without a contact."""
    ended = func.coalesce(Followup.closed_at, Followup.reassigned_at)
    silent = and_(Followup.first_contact_at.is_(None), or_(ended.is_(None), ended > Followup.due_at))
    return case((and_(Followup.due_at < moment, or_(Followup.first_contact_at > Followup.due_at, silent)), 1),
                else_=0)


def _units(key: ColumnElement, start: datetime, end: datetime, where, moment: datetime, owner: int | None):
    """One row per (group key, lead): the lead's hand-overs in the period within the group, taken together (its
    first hand-over, its first contact, overdue if any of them was); with whether a quote was made for the lead
    and when it was first won."""
    query = (select(key.label("k"), Followup.lead_id.label("lead_id"), func.min(Followup.handed_at).label("h"),
                    func.min(Followup.first_contact_at).label("c"), func.max(_late(moment)).label("o"))
             .where(*_period(start, end, where, owner)).group_by(key, Followup.lead_id).cte("units"))
    return (select(query.c.k, query.c.lead_id, query.c.h, query.c.c, query.c.o,
                   case((sales_figures.quote_made(query.c.lead_id), 1), else_=0).label("q"),
                   sales_figures.first_won_at(query.c.lead_id).label("w")).cte("facts"))


def _period(start: datetime, end: datetime, where, owner: int | None) -> list:
    found = [Followup.handed_at >= start, Followup.handed_at < end]
    if where is not None:
        found.append(where)
    if owner is not None:
        found.append(Followup.owner_id == owner)
    return found


def _decimal(value, places: str = "0.1") -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal(places))


def figures(actor: Actor, *, session: Session, group: str, start: datetime, end: datetime,
            owner: int | None = None) -> tuple[dict, Row]:
    """The raw counts, medians and order values per key, and over every hand-over the actor may see (`total`: one
    per lead), in one statement: aggregated by PostgreSQL (percentile_cont for the medians), or on SQLite the
    period's hand-overs pulled once (times as Julian days) and aggregated here."""
    if group not in GROUPS:
        raise Invalid.one("group", f"one of {', '.join(GROUPS)}")
    where = scope(actor, session=session)
    if session.get_bind().dialect.name == "postgresql":
        return _aggregated(session, group, start, end, where, owner)
    return _pulled(session, group, start, end, where, owner)


def _aggregated(session: Session, group: str, start, end, where, owner) -> tuple[dict, Row]:
    facts = _units(_key(group), start, end, where, clock.now(), owner)
    per_lead = (select(literal_column("NULL").label("k"), facts.c.lead_id, func.min(facts.c.h).label("h"),
                       func.min(facts.c.c).label("c"), func.max(facts.c.o).label("o"), func.max(facts.c.q).label("q"),
                       func.min(facts.c.w).label("w")).group_by(facts.c.lead_id).cte("per_lead"))
    won_rows = sales_figures.won().cte("won")

    def counted(kind: str, src):
        hours = func.extract("epoch", src.c.c - src.c.h) / 3600.0
        days = case((src.c.w >= src.c.h, func.extract("epoch", src.c.w - src.c.h) / 86400.0))
        both = func.sum(case((and_(src.c.c.is_not(None), src.c.w.is_not(None)), 1), else_=0))
        return (select(literal(kind).label("kind"), cast(src.c.k, String).label("k"), null().label("currency"),
                       func.count().label("n"), func.count(src.c.c), func.sum(src.c.o), func.sum(src.c.q),
                       func.count(src.c.w), both, func.percentile_cont(0.5).within_group(hours),
                       func.percentile_cont(0.5).within_group(days), cast(null(), Numeric).label("amount"))
                .group_by(src.c.k))

    def orders(kind: str, src):
        return (select(literal(kind), cast(src.c.k, String), won_rows.c.currency, func.count(), null(), null(),
                       null(), null(), null(), null(), null(), func.sum(won_rows.c.value))
                .join(won_rows, won_rows.c.lead_id == src.c.lead_id).group_by(src.c.k, won_rows.c.currency))

    query = union_all(counted("row", facts), counted("all", per_lead), orders("row_orders", facts),
                      orders("all_orders", per_lead))
    rows: dict = {}
    total = Row(key=None, label="All")
    for kind, k, currency, n, followed, late, quoted, won, both, hours, days, amount in session.execute(query):
        key = k if k is None or group == "source" else int(k)
        row = total if kind.startswith("all") else rows.setdefault(key, Row(key=key, label=""))
        if kind.endswith("orders"):
            row.orders[currency] = (n, Decimal(str(amount)).quantize(money.CENT))
            continue
        row.handed_over, row.followed_up, row.overdue, row.quoted = n, followed, int(late or 0), int(quoted or 0)
        row.won, row.won_followed_up = won, int(both or 0)
        row.first_contact_hours, row.sales_cycle_days = _decimal(hours), _decimal(days)
    return rows, total


def _merge(units: dict, key, h, c, o, q, win) -> None:
    """Fold one hand-over (and one won opportunity of its lead, or None) into its unit: [first handed, first contact,
    overdue, quote made, {opportunity id: (closed, value, currency)} or None]."""
    unit = units.get(key)
    if unit is None:
        units[key] = [h, c, o, q, None if win is None else {win[0]: win[1:]}]
        return
    if h < unit[0]:
        unit[0] = h
    if c is not None and (unit[1] is None or c < unit[1]):
        unit[1] = c
    if o:
        unit[2] = 1
    if q:
        unit[3] = 1
    if win is not None:
        if unit[4] is None:
            unit[4] = {}
        unit[4][win[0]] = win[1:]


def _pulled(session: Session, group: str, start, end, where, owner) -> tuple[dict, Row]:
    """SQLite: the period's hand-overs (with each won opportunity of their lead) in one pass, the figures here."""
    won_rows = sales_figures.won_with_id().subquery("won")
    query = (select(_key(group), Followup.lead_id, func.julianday(Followup.handed_at),
                    func.julianday(Followup.first_contact_at), _late(clock.now()),
                    case((sales_figures.quote_made(Followup.lead_id), 1), else_=0), won_rows.c.id,
                    func.julianday(won_rows.c.closed_at), cast(won_rows.c.value, String), won_rows.c.currency)
             .outerjoin(won_rows, won_rows.c.lead_id == Followup.lead_id)
             .where(*_period(start, end, where, owner)))
    units: dict = {}
    for k, lead_id, h, c, o, q, win_id, closed, value, currency in session.connection().execute(query):
        _merge(units, (k, lead_id), h, c, o, q, None if win_id is None else (win_id, closed, value, currency))
    grouped: dict = {}
    leads: dict = {}
    merged: set = set()
    for (k, lead_id), unit in units.items():
        grouped.setdefault(k, []).append(unit)
        first = leads.get(lead_id)
        if first is None:
            leads[lead_id] = unit  # most leads are in one unit: the total shares it
            continue
        if lead_id not in merged:  # a second unit of the lead: the total gets a copy of its own
            merged.add(lead_id)
            first = leads[lead_id] = [*first[:4], dict(first[4]) if first[4] else None]
        h, c, o, q, wins = unit
        for win in (wins.items() if wins else [None]):
            _merge(leads, lead_id, h, c, o, q, None if win is None else (win[0], *win[1]))
    rows = {k: _summed(Row(key=k, label=""), found) for k, found in grouped.items()}
    return rows, _summed(Row(key=None, label="All"), leads.values())


def _summed(row: Row, units) -> Row:
    hours, days, orders = [], [], {}
    for h, c, o, q, wins in units:
        row.handed_over += 1
        row.overdue += o
        row.quoted += q
        if c is not None:
            row.followed_up += 1
            hours.append((c - h) * 24.0)
        if wins:
            row.won += 1
            row.won_followed_up += c is not None
            first = min(closed for closed, _, _ in wins.values())
            if first >= h:
                days.append(first - h)
            for _, value, currency in wins.values():
                count, amount = orders.get(currency, (0, Decimal(0)))
                orders[currency] = (count + 1, amount + Decimal(value))
    row.first_contact_hours = _decimal(statistics.median(hours)) if hours else None
    row.sales_cycle_days = _decimal(statistics.median(days)) if days else None
    row.orders = {cur: (count, amount.quantize(money.CENT)) for cur, (count, amount) in orders.items()}
    return row


def _pct(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PCT) if whole else None


def judge(row: Row, norms: dict[str, kpis.Norm]) -> Row:
    """The row's percentages, its average order values, each figure against its norm, and its money table."""
    n = row.handed_over
    row.average_orders = {cur: (total / count).quantize(money.CENT)
                          for cur, (count, total) in sorted(row.orders.items())}
    aov_norm = norms.get("average_order")
    currency = _main_currency(row, aov_norm.currency if aov_norm else None)
    row.figures = {"followed_up_pct": _pct(row.followed_up, n), "overdue_pct": _pct(row.overdue, n),
                   "first_contact_hours": row.first_contact_hours, "quote_pct": _pct(row.quoted, n),
                   "won_pct": _pct(row.won, n), "average_order": row.average_orders.get(currency) if currency else None,
                   "sales_cycle_days": row.sales_cycle_days}
    row.checks = {key: kpis.check(key, value, norms.get(key), currency=currency if key == "average_order" else None)
                  for key, value in row.figures.items()}
    row.money = money.table(handed_over=n, followed_up=row.followed_up, won_followed_up=row.won_followed_up,
                            order_value=row.average_orders.get(currency) if currency else None, currency=currency)
    return row


def _main_currency(row: Row, preferred: str | None) -> str | None:
    """The currency the row's order value is judged and valued in: the norm's when the row won orders in it,
    otherwise the one with the most won orders (sums are never taken across currencies)."""
    if not row.orders:
        return preferred
    if preferred in row.orders:
        return preferred
    return max(row.orders, key=lambda cur: (row.orders[cur][0], cur))


def scorecard(actor: Actor, *, session: Session, group: str, start: datetime, end: datetime,
              owner: int | None = None) -> Scorecard:
    if end <= start:
        raise Invalid.one("to", "the end of the period must come after its start")
    rows, total = figures(actor, session=session, group=group, start=start, end=end, owner=owner)
    _label(rows, group, session=session)
    current = norms(session=session)
    ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.label.lower(), str(r.key)))
    return Scorecard(group=group, start=start, end=end, rows=[judge(r, current) for r in ordered],
                     total=judge(total, current), norms=current)


def _label(rows: dict, group: str, *, session: Session) -> None:
    keys = {k for k in rows if k is not None}
    if group == "rep":
        names = people_queries.user_names(keys, session=session)
    elif group == "team":
        names = people_queries.team_names(keys, session=session)
    elif group == "campaign":
        names = {i: c.name for i, c in leads_queries.campaigns_by_id(keys, session=session).items()}
    else:
        names = {k: k for k in keys}
    none = {"rep": "No owner", "team": "No team", "source": "No source", "campaign": "No campaign"}[group]
    for k, row in rows.items():
        row.label = none if k is None else str(names.get(k) or f"#{k}")


def may_see_owner(actor: Actor, owner: int, *, session: Session) -> bool:
    """Whether the actor may ask for this salesperson's figures (a rep: only their own)."""
    where = scope(actor, session=session)
    if where is None:
        return True
    if roles.LEAD_VISIBILITY.get(actor.role) == "own":
        return owner == actor.user_id
    if roles.LEAD_VISIBILITY.get(actor.role) == "team":
        members = people_queries.members_of(people_queries.led_team_ids(actor.user_id, actor.team_id))
        return owner == actor.user_id or owner in set(session.scalars(members))
    return False


def norms(*, session: Session) -> dict[str, kpis.Norm]:
    """The norms in force: the defaults, overridden by what was saved."""
    found = kpis.defaults()
    for row in session.scalars(select(ScorecardNorm)):
        if row.key in kpis.SPECS:
            found[row.key] = kpis.Norm(row.key, Decimal(row.value), row.currency)
    return found


def norm_rows(*, session: Session) -> dict[str, ScorecardNorm]:
    return {row.key: row for row in session.scalars(select(ScorecardNorm))}


def set_norms(changes: list[tuple[str, str, str | None]], *, session: Session, actor: str) -> dict[str, kpis.Norm]:
    """Save norms given as (key, value, currency) text; every problem reported at once (`norms[1].value`), nothing
    saved unless all are valid. Flushes; the caller commits."""
    parsed, problems = [], []
    for index, (key, value, currency) in enumerate(changes):
        norm, errors = kpis.parse_norm(key, value, currency)
        problems += [(f"norms[{index}].{f}", reason) for f, reason in errors]
        if norm:
            parsed.append(norm)
    if problems:
        raise Invalid([FieldError(f, reason) for f, reason in problems])
    saved = norm_rows(session=session)
    for norm in parsed:
        row = saved.get(norm.key)
        if row is None:
            row = saved[norm.key] = ScorecardNorm(key=norm.key)
            session.add(row)
        row.value, row.currency, row.updated_by, row.updated_at = norm.value, norm.currency, actor, clock.now()
    session.flush()
    return norms(session=session)


def _text(value) -> str | None:
    return None if value is None else str(value)


def row_dict(row: Row) -> dict:
    table = row.money
    return {
        "key": row.key, "label": row.label, "handed_over": row.handed_over, "followed_up": row.followed_up,
        "overdue": row.overdue, "quoted": row.quoted, "won": row.won, "won_followed_up": row.won_followed_up,
        "average_orders": {cur: str(v) for cur, v in row.average_orders.items()},
        "orders": {cur: {"count": c, "total": str(t)} for cur, (c, t) in row.orders.items()},
        "figures": {key: {"value": _text(value), "norm": _text(row.checks[key].norm.value) if row.checks[key].norm
                          else None, "short": row.checks[key].short, "reason": row.checks[key].reason}
                    for key, value in row.figures.items()},
        "money": {"currency": table.currency, "handed_over": table.handed_over, "win_rate": str(table.win_rate),
                  "order_value": str(table.order_value),
                  "value_per_followed_up_lead": str(table.value_per_followed_up_lead),
                  "actual_rate": str(table.actual_rate), "left_on_the_table": str(table.left_on_the_table),
                  "rows": [{"rate": str(r.rate), "revenue": str(r.revenue), "actual": r.actual} for r in table.rows],
                  "reason": table.reason},
    }


def card_dict(card: Scorecard) -> dict:
    return {"group": card.group, "from": card.start.isoformat(), "to": card.end.isoformat(),
            "norms": norms_list(card.norms), "rows": [row_dict(r) for r in card.rows], "total": row_dict(card.total)}


def norms_list(current: dict[str, kpis.Norm]) -> list[dict]:
    return [{"key": spec.key, "label": spec.label, "direction": spec.direction, "unit": spec.unit,
             "value": _text(current[spec.key].value.quantize(Decimal("0.01"))) if spec.key in current else None,
             "currency": current[spec.key].currency if spec.key in current else None,
             "default": _text(spec.default), "default_currency": spec.default_currency}
            for spec in kpis.SPECS.values()]


CSV_COLUMNS = ("group", "key", "label", "handed_over", "followed_up", "followed_up_pct", "overdue", "overdue_pct",
               "first_contact_hours", "quoted", "quote_pct", "won", "won_pct", "average_order", "currency",
               "sales_cycle_days", "short_of_norm")


def csv_text(card: Scorecard) -> str:
    """The table as CSV (every row, then the total); cells that a spreadsheet would run as a formula are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in [*card.rows, card.total]:
        currency = row.money.currency if row.money else None
        f = row.figures
        writer.writerow([leads_domain.spreadsheet_safe("" if v is None else str(v)) for v in (
            card.group, "" if row.key is None else row.key, row.label, row.handed_over, row.followed_up,
            f["followed_up_pct"], row.overdue, f["overdue_pct"], f["first_contact_hours"], row.quoted,
            f["quote_pct"], row.won, f["won_pct"], f["average_order"], currency or "", f["sales_cycle_days"],
            "; ".join(kpis.SPECS[k].label for k, c in row.checks.items() if c.short))])
    return out.getvalue()

