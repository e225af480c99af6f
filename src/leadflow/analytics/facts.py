"""Keeping analytics' facts current: a lead whose data changed is marked stale (by the worker's handlers, in the
transaction that handles the change's message), and the worker's pass (`analytics.tick`, every TICK_SECONDS,
self-booking) refreshes the stale leads a chunk per transaction: their row of facts and their attribution credits,
rebuilt from the lead, its stage changes, captures, campaign visits, quotes and won opportunities (each read through
its stage's queries). A rebuild (`leadflow analytics rebuild`, or new exchange rates) walks every lead by id.

The figures are never staler than a tick plus a pass: a minute at most with a worker running."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete, insert, literal, select
from sqlalchemy.orm import Session

from leadflow import clock, db, events, outbox
from leadflow.analytics import attribution
from leadflow.analytics.domain import Rates
from leadflow.analytics.models import AnalyticsSettings, ExchangeRate, LeadCredit, LeadFact, StaleLead
from leadflow.campaigns import queries as campaign_queries
from leadflow.campaigns.domain import code_key
from leadflow.capture import queries as capture_queries
from leadflow.clock import as_utc
from leadflow.db import UtcDateTime
from leadflow.leads import queries as leads_queries
from leadflow.people import queries as people_queries
from leadflow.pipeline import sales_figures
from leadflow.tracking import queries as tracking_queries

log = logging.getLogger(__name__)

TICK_SECONDS = 30
CHUNK = 1000
FUNNEL = ("mql", "sql", "opportunity", "customer")  # a lead at a later step has passed the earlier ones


# -- settings and rates --------------------------------------------------------------------------------------------

def settings_row(*, session: Session) -> AnalyticsSettings:
    row = session.get(AnalyticsSettings, 1)
    if row is None:
        session.execute(db.insert_ignore(session.get_bind(), AnalyticsSettings,
                                         {"id": 1, "reporting_currency": "EUR", "stop_after_leads": 1000,
                                          "stop_after_months": 6, "updated_at": clock.now()}, ["id"]))
        row = session.get(AnalyticsSettings, 1)
    return row


def reporting_currency(*, session: Session) -> str:
    row = session.get(AnalyticsSettings, 1)
    return row.reporting_currency if row else "EUR"


def rates(*, session: Session) -> Rates:
    return Rates(reporting_currency(session=session),
                 [(r.currency, r.valid_from, r.rate) for r in session.scalars(select(ExchangeRate))])


# -- marking -------------------------------------------------------------------------------------------------------

def mark(lead_ids: Iterable[int | None], *, session: Session) -> int:
    ids = sorted({int(i) for i in lead_ids if i is not None})
    moment = clock.now()
    return db.insert_ignore_many(session, StaleLead.__table__, [{"id": i, "marked_at": moment} for i in ids],
                                 ["id"]) if ids else 0


def mark_campaign(campaign_id: int, *, session: Session) -> int:
    """Every lead counted under a campaign (its channel, source, medium or offer changed): stale, in one statement."""
    moment = clock.now()
    chosen = select(LeadFact.lead_id, literal(moment, UtcDateTime)).where(LeadFact.campaign_id == campaign_id)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(StaleLead).from_select(["id", "marked_at"], chosen).on_conflict_do_nothing(
        index_elements=["id"])
    return session.execute(statement).rowcount or 0


def stale_count(*, session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(StaleLead)) or 0


def claim(*, session: Session, limit: int = CHUNK) -> list[int]:
    """Take up to `limit` stale leads, oldest first; another worker's pass skips them (PostgreSQL: SKIP LOCKED;
    SQLite: the write lock). They are deleted here, so a lead marked again meanwhile is refreshed again later."""
    db.begin_write(session)
    query = select(StaleLead.id).order_by(StaleLead.marked_at, StaleLead.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if ids:
        session.execute(delete(StaleLead).where(StaleLead.id.in_(ids)))
    return ids


# -- the refresh ---------------------------------------------------------------------------------------------------

@dataclass
class Context:
    """What every chunk of a pass reads once: the campaigns and the exchange rates."""

    campaigns: dict[int, tuple]  # id -> (id, parent_id, name, code, channel, source, medium, offer, currency)
    by_code: dict[str, int]
    rates: Rates

    @classmethod
    def load(cls, *, session: Session) -> Context:
        rows = campaign_queries.attributes(session=session)
        return cls(campaigns={r.id: r for r in rows}, by_code={code_key(r.code): r.id for r in rows if r.code},
                   rates=rates(session=session))


def _reached(history: list, stage: str, created_at: datetime) -> dict[str, datetime | None]:
    """When the lead first got to each funnel step (or past it), and to disqualified and nurture."""
    firsts: dict[str, datetime] = {}
    for _, to_stage, changed_at in history:
        firsts.setdefault(to_stage, as_utc(changed_at))
    out: dict[str, datetime | None] = {}
    for i, step in enumerate(FUNNEL):
        times = [firsts[s] for s in FUNNEL[i:] if s in firsts]
        if stage in FUNNEL[i:] and not times:
            times = [created_at]  # got there with no recorded change (created at that stage)
        out[step] = min(times) if times else None
    for other in ("disqualified", "nurture"):
        out[other] = firsts.get(other) or (created_at if stage == other else None)
    return out


def _origin(row, ctx: Context) -> dict:
    touch = row.first_touch or {}
    campaign = ctx.campaigns.get(row.campaign_id) if row.campaign_id else None
    return {"campaign_id": campaign.id if campaign else None,
            "source": (campaign.source if campaign and campaign.source else touch.get("utm_source")),
            "medium": (campaign.medium if campaign and campaign.medium else touch.get("utm_medium")),
            "channel": campaign.channel if campaign else row.channel,
            "offer": campaign.offer if campaign else None}


def _touches(lead_ids: list[int], ctx: Context, *, session: Session) -> dict[int, list[attribution.Touch]]:
    found: dict[int, list[attribution.Touch]] = {}
    for lead_id, at, campaign_id, channel, touch in capture_queries.touches(lead_ids, session=session):
        touch = touch or {}
        campaign = ctx.campaigns.get(campaign_id) if campaign_id else None
        found.setdefault(lead_id, []).append(attribution.Touch(
            at=as_utc(at), kind="capture", campaign_id=campaign_id,
            source=(campaign.source if campaign and campaign.source else touch.get("utm_source")),
            medium=(campaign.medium if campaign and campaign.medium else touch.get("utm_medium")),
            channel=campaign.channel if campaign else channel))
    for lead_id, at, properties in tracking_queries.campaign_visits(lead_ids, session=session):
        code = properties.get("utm_campaign")
        campaign_id = ctx.by_code.get(code_key(str(code))) if code else None
        campaign = ctx.campaigns.get(campaign_id) if campaign_id else None
        found.setdefault(lead_id, []).append(attribution.Touch(
            at=as_utc(at), kind="visit", campaign_id=campaign_id,
            source=properties.get("utm_source") or (campaign.source if campaign else None),
            medium=properties.get("utm_medium") or (campaign.medium if campaign else None),
            channel=campaign.channel if campaign else "web"))
    return found


def refresh(lead_ids: list[int], *, session: Session, ctx: Context | None = None) -> int:
    """Rebuild the facts and credits of these leads (a merged-away or deleted lead loses its rows). Returns how many
    leads have facts now."""
    if not lead_ids:
        return 0
    ctx = ctx or Context.load(session=session)
    session.execute(delete(LeadCredit).where(LeadCredit.lead_id.in_(lead_ids)))
    session.execute(delete(LeadFact).where(LeadFact.lead_id.in_(lead_ids)))
    rows = [r for r in leads_queries.fact_sources(lead_ids, session=session) if r.merged_into_id is None]
    if not rows:
        return 0
    ids = [r.id for r in rows]
    history: dict[int, list] = {}
    for change in leads_queries.stage_history(ids, session=session):
        history.setdefault(change.lead_id, []).append(change)
    first_opportunity, first_quote, won = sales_figures.lead_sales(ids, session=session)
    teams = people_queries.team_ids_of({r.owner_id for r in rows if r.owner_id is not None}, session=session)
    moment = clock.now()
    facts, converted = [], {}
    for row in rows:
        created = as_utc(row.created_at)
        reached = _reached(history.get(row.id, []), row.stage, created)
        opened = first_opportunity.get(row.id)
        if opened is not None:
            opened = as_utc(opened)
            reached["opportunity"] = min(filter(None, (reached["opportunity"], opened)))
        orders = won.get(row.id, [])
        revenue, unconverted = Decimal("0"), 0
        for value, currency, closed_at in orders:
            amount = ctx.rates.convert(value, currency, as_utc(closed_at or moment))
            if amount is None:
                unconverted += 1
            else:
                revenue += amount
        if orders:
            first_won = min(as_utc(c or moment) for *_, c in orders)
            reached["customer"] = min(filter(None, (reached["customer"], first_won)))
        # A step reached implies the ones before it were passed: no SQL that was never an MQL in the counts.
        for i in range(len(FUNNEL) - 2, -1, -1):
            later = reached[FUNNEL[i + 1]]
            if later is not None and (reached[FUNNEL[i]] is None or reached[FUNNEL[i]] > later):
                reached[FUNNEL[i]] = later
        quoted = first_quote.get(row.id)
        if isinstance(quoted, datetime):
            quoted = as_utc(quoted)
        elif quoted is not None:  # a quote's sent day
            quoted = datetime(quoted.year, quoted.month, quoted.day, tzinfo=UTC)
        facts.append({
            "lead_id": row.id, "created_at": created, "created_month": created.date().replace(day=1),
            **_origin(row, ctx), "country": row.country,
            "industry": (row.industry or None) and row.industry[:200], "owner_id": row.owner_id,
            "team_id": teams.get(row.owner_id) if row.owner_id is not None else None, "stage": row.stage,
            "sales_ready_at": as_utc(row.sales_ready_at) if row.sales_ready_at else None,
            "mql_at": reached["mql"], "sql_at": reached["sql"], "opportunity_at": reached["opportunity"],
            "quoted_at": quoted, "customer_at": reached["customer"], "disqualified_at": reached["disqualified"],
            "nurture_at": reached["nurture"], "orders": len(orders), "revenue": revenue, "unconverted": unconverted,
            "refreshed_at": moment})
        if reached["sql"] is not None or orders:
            converted[row.id] = facts[-1]
    session.execute(insert(LeadFact), facts)
    if converted:
        _credit(converted, ctx, session=session)
    return len(facts)


def _credit(converted: dict[int, dict], ctx: Context, *, session: Session) -> None:
    touches = _touches(list(converted), ctx, session=session)
    credits = []
    for lead_id, fact in converted.items():
        goals = []
        if fact["sql_at"] is not None:
            goals.append(("sql", fact["sql_at"], Decimal("0")))
        if fact["orders"]:
            goals.append(("revenue", fact["customer_at"], fact["revenue"]))
        for goal, at, revenue in goals:
            for model, shares in attribution.credits(touches.get(lead_id, []), at).items():
                for touch, weight in shares:
                    credits.append({
                        "lead_id": lead_id, "goal": goal, "model": model, "goal_at": at, "touch_at": touch.at,
                        "touch_kind": touch.kind, "campaign_id": touch.campaign_id,
                        "source": touch.source and touch.source[:200], "medium": touch.medium and touch.medium[:200],
                        "channel": touch.channel and touch.channel[:32], "owner_id": fact["owner_id"],
                        "team_id": fact["team_id"], "weight": weight,
                        "revenue": (revenue * weight).quantize(Decimal("0.01"))})
    if credits:
        session.execute(insert(LeadCredit), credits)


# -- the worker's pass ---------------------------------------------------------------------------------------------

def run_pass(factory, *, limit: int = CHUNK) -> int:
    """Every stale lead, a chunk per transaction, until none is left. Returns how many were refreshed."""
    total = 0
    ctx = None
    while True:
        with factory() as own:
            ids = claim(session=own, limit=limit)
            if not ids:
                own.commit()
                return total
            ctx = ctx or Context.load(session=own)
            refresh(ids, session=own, ctx=ctx)
            own.commit()
        total += len(ids)


def schedule_tick(*, session: Session, moment: datetime | None = None, seconds: int = TICK_SECONDS) -> bool:
    """Book the pass at the next multiple of `seconds` (once per slot whoever books it: the outbox key)."""
    moment = moment or clock.now()
    slot = (int(moment.timestamp()) // seconds + 1) * seconds
    at = datetime.fromtimestamp(slot, UTC)
    return outbox.publish_once(session, events.ANALYTICS_TICK, {"at": at.isoformat()},
                               key=f"{events.ANALYTICS_TICK}:{slot}", available_at=at)


def rebuild(factory, *, progress=None, limit: int = CHUNK) -> int:
    """Refresh every lead's facts, walking the leads by id a chunk per transaction (`progress(n)` after each)."""
    after, total, ctx = 0, 0, None
    while True:
        with factory() as own:
            db.begin_write(own)
            ids = leads_queries.lead_ids_after(after, session=own, limit=limit)
            if not ids:
                own.commit()
                return total
            ctx = ctx or Context.load(session=own)
            total += refresh(ids, session=own, ctx=ctx)
            own.commit()
        after = ids[-1]
        if progress:
            progress(len(ids))


def rebuild_step(*, session: Session, after: int, limit: int = CHUNK) -> int | None:
    """One chunk of a rebuild run by the worker (`analytics.rebuild`, after new exchange rates): refresh the next
    leads after `after` and queue the next chunk in the same transaction. Returns the last id, None when done."""
    ids = leads_queries.lead_ids_after(after, session=session, limit=limit)
    if not ids:
        return None
    refresh(ids, session=session)
    outbox.publish_once(session, events.ANALYTICS_REBUILD, {"after": ids[-1]},
                        key=f"{events.ANALYTICS_REBUILD}:{clock.now().isoformat()}:{ids[-1]}")
    return ids[-1]
