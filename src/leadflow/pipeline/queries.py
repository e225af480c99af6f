"""Pipeline reads with no decision: who sees which opportunities and quotes (built on leads' visibility), the board,
lists and exports, the weighted pipeline, and the managed lists (stages, close reasons, competitors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from leadflow.errors import NotFound
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Company, Lead
from leadflow.leads.domain import spreadsheet_safe
from leadflow.leads.visibility import sees_all
from leadflow.people import roles
from leadflow.people import service as people_service
from leadflow.people import queries as people_queries
from leadflow.people.service import Actor
from leadflow.pipeline import domain
from leadflow.pipeline.models import CloseReason, Competitor, CompetitorMention, Opportunity, OpportunityStage, Quote


# --- the managed lists ----------------------------------------------------------------------------------------------

def stages(*, session: Session, active_only: bool = True) -> list[OpportunityStage]:
    query = select(OpportunityStage).order_by(OpportunityStage.position, OpportunityStage.id)
    if active_only:
        query = query.where(OpportunityStage.active.is_(True))
    return list(session.scalars(query))


def close_reasons(kind: str, *, session: Session, active_only: bool = True) -> list[CloseReason]:
    """The managed reasons of one kind (won, lost, recycle), in their order: the followup stage's recycling reads
    the recycle reasons here."""
    query = select(CloseReason).where(CloseReason.kind == kind).order_by(CloseReason.position, CloseReason.id)
    if active_only:
        query = query.where(CloseReason.active.is_(True))
    return list(session.scalars(query))


def all_close_reasons(*, session: Session, active_only: bool = False) -> list[CloseReason]:
    query = select(CloseReason).order_by(CloseReason.kind, CloseReason.position, CloseReason.id)
    if active_only:
        query = query.where(CloseReason.active.is_(True))
    return list(session.scalars(query))


def reason_labels(*, session: Session) -> dict[tuple[str, str], str]:
    return {(r.kind, r.key): r.label for r in all_close_reasons(session=session)}


def competitors(*, session: Session, active_only: bool = False) -> list[Competitor]:
    query = select(Competitor).order_by(Competitor.name_key)
    if active_only:
        query = query.where(Competitor.active.is_(True))
    return list(session.scalars(query.limit(2000)))


# --- who sees what --------------------------------------------------------------------------------------------------

def visible_opportunities(actor: Actor) -> Select:
    """A lead's opportunities are seen by whoever sees the lead. A company's (no lead) by those who see every lead,
    by its owner, and by a sales manager when its owner is in a team they manage or belong to."""
    query = select(Opportunity)
    if sees_all(actor):
        return query
    if actor.user_id is None:
        return query.where(false())
    of_leads = Opportunity.lead_id.in_(leads_queries.visible_ids(actor))
    owners = Opportunity.owner_id == actor.user_id
    if roles.LEAD_VISIBILITY.get(actor.role) == "team":
        teams = people_queries.led_team_ids(actor.user_id, actor.team_id)
        owners = or_(owners, Opportunity.owner_id.in_(people_queries.members_of(teams)))
    return query.where(or_(of_leads, and_(Opportunity.lead_id.is_(None), owners)))


def seen_owners(actor: Actor, column):
    """The condition on an owner column for figures kept per owner (the forecast's snapshots): everything for those
    who see every lead (None: no condition); else their own, and a manager's teams' members'."""
    if sees_all(actor):
        return None
    if actor.user_id is None:
        return false()
    owners = column == actor.user_id
    if roles.LEAD_VISIBILITY.get(actor.role) == "team":
        teams = people_queries.led_team_ids(actor.user_id, actor.team_id)
        owners = or_(owners, column.in_(people_queries.members_of(teams)))
    return owners


def visible_opportunity(actor: Actor, opportunity_id: int, *, session: Session) -> Opportunity:
    found = session.scalar(visible_opportunities(actor).where(Opportunity.id == opportunity_id))
    if found is None:
        raise NotFound("opportunity", opportunity_id)
    return found


def visible_quotes(actor: Actor) -> Select:
    query = select(Quote)
    if sees_all(actor):
        return query
    return query.where(Quote.lead_id.in_(leads_queries.visible_ids(actor)))


def visible_quote(actor: Actor, quote_id: int, *, session: Session) -> Quote:
    found = session.scalar(visible_quotes(actor).where(Quote.id == quote_id))
    if found is None:
        raise NotFound("quote", quote_id)
    return found


# --- lists ----------------------------------------------------------------------------------------------------------

@dataclass
class OpportunityFilter:
    owner_id: int | None = None
    team_id: int | None = None
    status: str | None = None
    stage: str | None = None
    close_month: str | None = None  # YYYY-MM: the expected close (or, once closed, the close) in that month
    lead_id: int | None = None


def _month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(x) for x in month.split("-"))
    start = date(year, number, 1)
    end = date(year + (number == 12), number % 12 + 1, 1)
    return start, end


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def filtered(actor: Actor, f: OpportunityFilter) -> Select:
    query = visible_opportunities(actor)
    if f.owner_id is not None:
        query = query.where(Opportunity.owner_id == f.owner_id)
    if f.team_id is not None:
        query = query.where(Opportunity.team_id == f.team_id)
    if f.status:
        query = query.where(Opportunity.status == f.status)
    if f.stage:
        query = query.where(Opportunity.stage == f.stage)
    if f.lead_id is not None:
        query = query.where(Opportunity.lead_id == f.lead_id)
    if f.close_month:
        start, end = _month_bounds(f.close_month)
        query = query.where(or_(
            and_(Opportunity.status == "open", Opportunity.expected_close >= start, Opportunity.expected_close < end),
            and_(Opportunity.status != "open", Opportunity.closed_at >= _midnight(start),
                 Opportunity.closed_at < _midnight(end))))
    return query


def opportunities(actor: Actor, f: OpportunityFilter, *, session: Session, limit: int = 500,
                  offset: int = 0) -> list[Opportunity]:
    query = filtered(actor, f).order_by(Opportunity.expected_close.is_(None), Opportunity.expected_close,
                                        Opportunity.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


@dataclass
class StageSum:
    stage: str
    status: str
    currency: str
    count: int
    value: Decimal
    weighted: Decimal


def stage_sums(actor: Actor, f: OpportunityFilter, *, session: Session) -> list[StageSum]:
    """Per stage, status and currency, over every opportunity the actor sees with the filter (no limit): count,
    value and weighted value. The weighted value is summed per rep's probability and rounded once to the cent
    (won x1, lost x0, open x the rep's probability or the stage's default)."""
    seen = filtered(actor, f).subquery()
    query = (select(seen.c.stage, seen.c.status, seen.c.currency, seen.c.probability, func.count(),
                    func.sum(seen.c.value))
             .group_by(seen.c.stage, seen.c.status, seen.c.currency, seen.c.probability))
    by_key = {s.key: s for s in stages(session=session, active_only=False)}
    found: dict[tuple, StageSum] = {}
    for stage, status, currency, rep, count, value in session.execute(query):
        value = Decimal(value or 0).quantize(Decimal("0.01"))
        known = by_key.get(stage)
        probability = domain.effective_probability(status=status, rep_probability=rep,
                                                   stage_probability=known.probability if known else 0)
        line = found.setdefault((stage, status, currency),
                                StageSum(stage, status, currency, 0, Decimal("0.00"), Decimal("0.00")))
        line.count += count
        line.value += value
        line.weighted += domain.weighted(value, currency, probability).amount
    return list(found.values())


def stage_cards(actor: Actor, f: OpportunityFilter, *, session: Session, stages_in: list[str] | None = None,
                stages_out: list[str] | None = None, status: str = "open", limit: int = 200) -> list[Opportunity]:
    """One column's opportunities: open ones by expected close, or (won, lost) the latest closed first."""
    query = filtered(actor, f).where(Opportunity.status == status)
    if stages_in is not None:
        query = query.where(Opportunity.stage.in_(stages_in))
    if stages_out is not None:
        query = query.where(Opportunity.stage.not_in(stages_out))
    if status == "open":
        query = query.order_by(Opportunity.expected_close.is_(None), Opportunity.expected_close, Opportunity.id)
    else:
        query = query.order_by(Opportunity.closed_at.desc(), Opportunity.id.desc())
    return list(session.scalars(query.limit(limit)))


def lead_opportunities(lead_id: int, *, session: Session) -> list[Opportunity]:
    return list(session.scalars(select(Opportunity).where(Opportunity.lead_id == lead_id)
                                .order_by(Opportunity.status != "open", Opportunity.id.desc())))


def lead_quotes(lead_id: int, *, session: Session) -> list[Quote]:
    return list(session.scalars(select(Quote).where(Quote.lead_id == lead_id).order_by(Quote.id.desc())))


def quotes(actor: Actor, *, session: Session, status: str | None = None, limit: int = 10_000) -> list[Quote]:
    query = visible_quotes(actor)
    if status:
        query = query.where(Quote.status == status)
    return list(session.scalars(query.order_by(Quote.id).limit(limit)))


def lead_competitors(lead_id: int, *, session: Session) -> list[tuple[CompetitorMention, Competitor]]:
    return list(session.execute(
        select(CompetitorMention, Competitor).join(Competitor, Competitor.id == CompetitorMention.competitor_id)
        .where(CompetitorMention.lead_id == lead_id).order_by(CompetitorMention.id.desc())).tuples())


# --- what the cards and exports show -------------------------------------------------------------------------------

@dataclass
class Card:
    """An opportunity as the board, the lists and the exports show it: its effective probability with where it
    came from, the weighted value, and the model's predicted probability beside it (never replacing it)."""

    opportunity: Opportunity
    stage_label: str
    probability: domain.Probability
    weighted: domain.Money
    predicted: float | None
    lead_name: str | None
    company_name: str | None
    owner_name: str | None
    team_name: str | None


def _lead_name(lead: Lead) -> str:
    return " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or f"Lead {lead.id}"


def cards(rows: list[Opportunity], *, session: Session) -> list[Card]:
    by_key = {s.key: s for s in stages(session=session, active_only=False)}
    leads = leads_queries.leads_by_id({o.lead_id for o in rows if o.lead_id}, session=session)
    company_ids = {o.company_id for o in rows if o.company_id}
    companies = leads_queries.companies_by_id(company_ids, session=session) if company_ids else {}
    names = leads_queries.users_by_id({o.owner_id for o in rows if o.owner_id}, session=session)
    teams = team_names(session=session)
    found = []
    for row in rows:
        stage = by_key.get(row.stage)
        probability = domain.effective_probability(status=row.status, rep_probability=row.probability,
                                                   stage_probability=stage.probability if stage else 0)
        lead = leads.get(row.lead_id) if row.lead_id else None
        company = companies.get(row.company_id) if row.company_id else None
        owner = names.get(row.owner_id) if row.owner_id else None
        found.append(Card(row, stage.label if stage else row.stage, probability,
                          domain.weighted(row.value, row.currency, probability),
                          lead.predicted_probability if lead is not None else None,
                          _lead_name(lead) if lead is not None else None,
                          _company_name(company), (owner.name or owner.email) if owner else None,
                          teams.get(row.team_id) if row.team_id else None))
    return found


def _company_name(company: Company | None) -> str | None:
    return company.name if company is not None else None


def team_names(*, session: Session) -> dict[int, str]:
    return {t.id: t.name for t in people_service.list_teams(session=session)}


def card(opportunity: Opportunity, *, session: Session) -> Card:
    return cards([opportunity], session=session)[0]


# --- the weighted pipeline ------------------------------------------------------------------------------------------

@dataclass
class ForecastLine:
    group: str
    key: object
    label: str
    currency: str
    count: int
    value: Decimal
    weighted: Decimal
    won: Decimal


def forecast(actor: Actor, f: OpportunityFilter, *, session: Session, group: str = "month") -> list[ForecastLine]:
    """By expected close month (a won or lost one by its close month), owner or team, one line per currency:
    count, value, weighted value (won x1, lost x0, open x its effective probability), won value."""
    rows = list(session.scalars(filtered(actor, f)))
    found = cards(rows, session=session)
    facts = [domain.ForecastRow(
        month=domain.close_month(c.opportunity.expected_close if c.opportunity.status == "open" else
                                 (c.opportunity.closed_at.date() if c.opportunity.closed_at else None)),
        owner=c.opportunity.owner_id, team=c.opportunity.team_id, currency=c.opportunity.currency,
        value=c.opportunity.value, probability=c.probability) for c in found]
    cells = domain.forecast(facts, group)
    owners = {c.opportunity.owner_id: c.owner_name for c in found}
    teams = {c.opportunity.team_id: c.team_name for c in found}

    def label(key) -> str:
        if group == "month":
            return key or "No close date"
        if group == "owner":
            return (owners.get(key) or "A former user") if key else "Nobody"
        return (teams.get(key) or "A removed team") if key else "No team"

    lines = [ForecastLine(group, key, label(key), currency, cell.count, cell.value, cell.weighted, cell.won)
             for (key, currency), cell in cells.items()]
    if group == "month":
        lines.sort(key=lambda line: (line.key is None, line.key or "", line.currency))
    else:
        lines.sort(key=lambda line: (line.key is None, line.label.casefold(), line.currency))
    return lines


def totals(lines: list[ForecastLine]) -> list[ForecastLine]:
    """The sums per currency (never across currencies)."""
    found: dict[str, ForecastLine] = {}
    for line in lines:
        total = found.setdefault(line.currency, ForecastLine("total", None, "Total", line.currency, 0,
                                                             Decimal("0.00"), Decimal("0.00"), Decimal("0.00")))
        total.count += line.count
        total.value += line.value
        total.weighted += line.weighted
        total.won += line.won
    return [found[c] for c in sorted(found)]


# --- exports --------------------------------------------------------------------------------------------------------

OPPORTUNITY_COLUMNS = ("id", "name", "lead_id", "company_id", "lead", "company", "stage", "status", "value",
                       "currency", "expected_close", "probability", "probability_source", "predicted_probability",
                       "weighted_value", "owner", "team", "close_reason", "close_note", "closed_at", "created_at")
QUOTE_COLUMNS = ("id", "lead_id", "opportunity_id", "reference", "amount", "currency", "status", "sent_on",
                 "decided_on", "note", "created_at")


def opportunity_row(c: Card) -> dict:
    o = c.opportunity
    return {"id": o.id, "name": o.name, "lead_id": o.lead_id, "company_id": o.company_id, "lead": c.lead_name,
            "company": c.company_name, "stage": o.stage, "status": o.status, "value": f"{o.value:.2f}",
            "currency": o.currency, "expected_close": o.expected_close.isoformat() if o.expected_close else "",
            "probability": c.probability.percent, "probability_source": c.probability.source,
            "predicted_probability": "" if c.predicted is None else round(c.predicted * 100, 1),
            "weighted_value": f"{c.weighted.amount:.2f}", "owner": c.owner_name or "", "team": c.team_name or "",
            "close_reason": o.close_reason or "", "close_note": o.close_note or "",
            "closed_at": o.closed_at.isoformat() if o.closed_at else "", "created_at": o.created_at.isoformat()}


def quote_row(q: Quote) -> dict:
    return {"id": q.id, "lead_id": q.lead_id, "opportunity_id": q.opportunity_id or "", "reference": q.reference or "",
            "amount": f"{q.amount:.2f}", "currency": q.currency, "status": q.status,
            "sent_on": q.sent_on.isoformat() if q.sent_on else "",
            "decided_on": q.decided_on.isoformat() if q.decided_on else "", "note": q.note or "",
            "created_at": q.created_at.isoformat()}


def csv_text(columns: tuple[str, ...], rows: list[dict]) -> str:
    """CSV with cells that a spreadsheet would run as a formula made plain text (a leading quote)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return out.getvalue()
