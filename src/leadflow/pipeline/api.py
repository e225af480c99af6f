"""Pipeline JSON API: opportunities (list, CSV, create, change, move, won, lost, reopen), quotes, competitors in
play, the weighted pipeline and the managed lists."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from leadflow.errors import Invalid
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.leads.visibility import sees_all
from leadflow.people.deps import permitted
from leadflow.people.service import Actor
from leadflow.pipeline import accuracy, domain, queries, service, snapshots
from leadflow.pipeline.schemas import (
    AccuracyLineRead, AccuracyMonthRead, AccuracyRead, AccuracySummaryRead, CloseCreate, CompetitorCreate,
    CompetitorRead, ForecastLineRead, ForecastRead, MentionRead, OpportunityCreate,
    OpportunityRead, OpportunityUpdate, QuoteCreate, QuoteRead, QuoteUpdate, ReasonRead, ReopenCreate, StageRead,
)

router = APIRouter(prefix="/api/v1", tags=["pipeline"])

Reader = Annotated[Actor, permitted("pipeline:read")]
Writer = Annotated[Actor, permitted("pipeline:write")]


def read(card: queries.Card) -> OpportunityRead:
    o = card.opportunity
    return OpportunityRead(
        id=o.id, name=o.name, lead_id=o.lead_id, company_id=o.company_id, lead=card.lead_name,
        company=card.company_name, stage=o.stage, stage_label=card.stage_label, status=o.status,
        value=f"{o.value:.2f}", currency=o.currency, expected_close=o.expected_close, probability=o.probability,
        effective_probability=card.probability.percent, probability_source=card.probability.source,
        predicted_probability=card.predicted, weighted_value=f"{card.weighted.amount:.2f}", owner_id=o.owner_id,
        owner=card.owner_name, team_id=o.team_id, team=card.team_name, close_reason=o.close_reason,
        close_note=o.close_note, closed_at=o.closed_at, created_at=o.created_at, updated_at=o.updated_at)


def quote_read(q) -> QuoteRead:
    return QuoteRead(id=q.id, lead_id=q.lead_id, opportunity_id=q.opportunity_id, reference=q.reference,
                     amount=f"{q.amount:.2f}", currency=q.currency, status=q.status, sent_on=q.sent_on,
                     decided_on=q.decided_on, note=q.note or "", created_by=q.created_by, created_at=q.created_at,
                     updated_at=q.updated_at)


def _filter(actor: Actor, session, *, owner: int | None, team: int | None, status: str | None, stage: str | None,
            close_month: str | None, lead_id: int | None = None) -> queries.OpportunityFilter:
    problem = domain.check_month(close_month) if close_month else None
    if problem:
        raise Invalid.one("close_month", problem)
    if owner is not None and not sees_all(actor) and leads_queries.owner_to_filter_by(
            actor, owner, session=session) is None:
        raise Invalid.one("owner", "you can filter only by yourself and your teams' members")
    return queries.OpportunityFilter(owner_id=owner, team_id=team, status=status, stage=stage,
                                     close_month=close_month, lead_id=lead_id)


def _owner_allowed(actor: Actor, owner_id: int | None, session) -> None:
    if owner_id is None:
        return
    allowed = {u.id for u in leads_queries.assignable_owners(actor, session=session)}
    if owner_id not in allowed:
        raise Invalid.one("owner_id", "you can give opportunities only to yourself and your teams' members")


Status = Literal["open", "won", "lost"]


@router.get("/opportunities", response_model=list[OpportunityRead])
def list_opportunities(session: DbSession, actor: Reader, owner: Id | None = None, team: Id | None = None,
                       status: Status | None = None, stage: Annotated[str | None, Query(max_length=40)] = None,
                       close_month: Annotated[str | None, Query(max_length=7)] = None,
                       format: Literal["json", "csv"] = "json",
                       limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
                       offset: Annotated[Id, Query(ge=0)] = 0):
    """The opportunities this actor sees (of the leads they see), by expected close; `?format=csv` exports them."""
    f = _filter(actor, session, owner=owner, team=team, status=status, stage=stage, close_month=close_month)
    cards = queries.cards(queries.opportunities(actor, f, session=session, limit=limit, offset=offset),
                          session=session)
    if format == "csv":
        return PlainTextResponse(queries.csv_text(queries.OPPORTUNITY_COLUMNS,
                                                  [queries.opportunity_row(c) for c in cards]),
                                 media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="opportunities.csv"'})
    return [read(c) for c in cards]


@router.post("/opportunities", response_model=OpportunityRead, status_code=201)
@retry_races
def create_opportunity(body: OpportunityCreate, session: DbSession, actor: Writer):
    """An opportunity for a lead you see (it moves the lead to Opportunity) or for a company."""
    values = body.model_dump(exclude_unset=True)
    lead = None
    if body.lead_id is not None:
        lead = leads_queries.visible_lead(actor, body.lead_id, session=session)
    if body.company_id is not None:
        _company_allowed(body.company_id, lead, session)
    _owner_allowed(actor, body.owner_id, session)
    row = service.create(session=session, actor=actor, values=values, lead=lead, company_id=body.company_id,
                         owner_id=body.owner_id)
    session.commit()
    return read(queries.card(row, session=session))


def _company_allowed(company_id: int, lead, session) -> None:
    """A company given beside a lead must be the lead's own company; given alone, it must exist."""
    if lead is not None:
        if company_id != lead.company_id:
            raise Invalid.one("company_id", "not the lead's company (leave it out: the lead's company is used)")
    elif leads_queries.companies_by_id({company_id}, session=session).get(company_id) is None:
        raise Invalid.one("company_id", "no such company")


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityRead)
def get_opportunity(opportunity_id: Id, session: DbSession, actor: Reader):
    return read(queries.card(queries.visible_opportunity(actor, opportunity_id, session=session), session=session))


def _locked(actor: Actor, opportunity_id: int, session):
    queries.visible_opportunity(actor, opportunity_id, session=session)
    return service.lock(opportunity_id, session=session)


@router.patch("/opportunities/{opportunity_id}", response_model=OpportunityRead)
@retry_races
def update_opportunity(opportunity_id: Id, body: OpportunityUpdate, session: DbSession, actor: Writer):
    """Change the fields given; `stage` moves it (won and lost need `reason`)."""
    row = _locked(actor, opportunity_id, session)
    values = body.model_dump(exclude_unset=True)
    if "owner_id" in values:
        _owner_allowed(actor, values["owner_id"], session)
    service.update_opportunity(row, session=session, actor=actor, values=values)
    session.commit()
    return read(queries.card(row, session=session))


@router.post("/opportunities/{opportunity_id}/won", response_model=OpportunityRead)
@retry_races
def mark_won(opportunity_id: Id, body: CloseCreate, session: DbSession, actor: Writer):
    """Won, with a reason from the managed list (GET /close-reasons?kind=won): the lead becomes a customer."""
    row = _locked(actor, opportunity_id, session)
    service.won(row, session=session, actor=actor, reason=body.reason, note=body.note)
    session.commit()
    return read(queries.card(row, session=session))


@router.post("/opportunities/{opportunity_id}/lost", response_model=OpportunityRead)
@retry_races
def mark_lost(opportunity_id: Id, body: CloseCreate, session: DbSession, actor: Writer):
    """Lost, with a reason from the managed list (GET /close-reasons?kind=lost)."""
    row = _locked(actor, opportunity_id, session)
    service.lost(row, session=session, actor=actor, reason=body.reason, note=body.note)
    session.commit()
    return read(queries.card(row, session=session))


@router.post("/opportunities/{opportunity_id}/reopen", response_model=OpportunityRead)
@retry_races
def reopen(opportunity_id: Id, body: ReopenCreate, session: DbSession, actor: Writer):
    row = _locked(actor, opportunity_id, session)
    service.reopen(row, session=session, actor=actor, to=body.stage)
    session.commit()
    return read(queries.card(row, session=session))


@router.get("/leads/{lead_id}/opportunities", response_model=list[OpportunityRead])
def lead_opportunities(lead_id: Id, session: DbSession, actor: Reader):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return [read(c) for c in queries.cards(queries.lead_opportunities(lead.id, session=session), session=session)]


# --- quotes -----------------------------------------------------------------------------------------------------

@router.get("/quotes", response_model=list[QuoteRead])
def list_quotes(session: DbSession, actor: Reader,
                status: Literal["draft", "sent", "accepted", "rejected", "expired"] | None = None,
                format: Literal["json", "csv"] = "json"):
    """The quotes of the leads this actor sees; `?format=csv` exports them."""
    rows = queries.quotes(actor, session=session, status=status)
    if format == "csv":
        return PlainTextResponse(queries.csv_text(queries.QUOTE_COLUMNS, [queries.quote_row(q) for q in rows]),
                                 media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="quotes.csv"'})
    return [quote_read(q) for q in rows]


@router.get("/leads/{lead_id}/quotes", response_model=list[QuoteRead])
def lead_quotes(lead_id: Id, session: DbSession, actor: Reader, format: Literal["json", "csv"] = "json"):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    rows = queries.lead_quotes(lead.id, session=session)
    if format == "csv":
        return PlainTextResponse(queries.csv_text(queries.QUOTE_COLUMNS, [queries.quote_row(q) for q in rows]),
                                 media_type="text/csv; charset=utf-8")
    return [quote_read(q) for q in rows]


@router.post("/leads/{lead_id}/quotes", response_model=QuoteRead, status_code=201)
@retry_races
def create_quote(lead_id: Id, body: QuoteCreate, session: DbSession, actor: Writer):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    row = service.create_quote(session=session, actor=actor, lead=lead, values=body.model_dump(exclude_unset=True))
    session.commit()
    return quote_read(row)


@router.get("/quotes/{quote_id}", response_model=QuoteRead)
def get_quote(quote_id: Id, session: DbSession, actor: Reader):
    return quote_read(queries.visible_quote(actor, quote_id, session=session))


@router.patch("/quotes/{quote_id}", response_model=QuoteRead)
@retry_races
def update_quote(quote_id: Id, body: QuoteUpdate, session: DbSession, actor: Writer):
    """draft → sent → accepted, rejected or expired; the dates are today unless given."""
    queries.visible_quote(actor, quote_id, session=session)
    row = service.lock_quote(quote_id, session=session)
    service.set_quote_status(row, session=session, actor=actor, status=body.status, sent_on=body.sent_on,
                             decided_on=body.decided_on)
    session.commit()
    return quote_read(row)


# --- competitors --------------------------------------------------------------------------------------------------

def _mention(mention, competitor) -> MentionRead:
    return MentionRead(id=mention.id, lead_id=mention.lead_id, competitor_id=competitor.id, competitor=competitor.name,
                       opportunity_id=mention.opportunity_id, note=mention.note or "", actor=mention.actor,
                       created_at=mention.created_at)


@router.get("/leads/{lead_id}/competitors", response_model=list[MentionRead])
def lead_competitors(lead_id: Id, session: DbSession, actor: Reader):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return [_mention(m, c) for m, c in queries.lead_competitors(lead.id, session=session)]


@router.post("/leads/{lead_id}/competitors", response_model=MentionRead, status_code=201)
@retry_races
def add_competitor(lead_id: Id, body: CompetitorCreate, session: DbSession, actor: Writer):
    """A competitor in play: by id from GET /competitors, or by name (added to the list once when new)."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    if body.competitor_id is None and not (body.name or "").strip():
        raise Invalid.one("name", "name a competitor or give competitor_id")
    mention, competitor = service.note_competitor(session=session, actor=actor, lead=lead, name=body.name,
                                      competitor_id=body.competitor_id, opportunity_id=body.opportunity_id,
                                      note=body.note)
    session.commit()
    return _mention(mention, competitor)


@router.get("/competitors", response_model=list[CompetitorRead])
def list_competitors(session: DbSession, actor: Reader, active: bool | None = None):
    return queries.competitors(session=session, active_only=bool(active))


# --- the weighted pipeline and the managed lists -------------------------------------------------------------------

def _line(line: queries.ForecastLine) -> ForecastLineRead:
    return ForecastLineRead(group=line.group, key=line.key, label=line.label, currency=line.currency, count=line.count,
                            value=f"{line.value:.2f}", weighted=f"{line.weighted:.2f}", won=f"{line.won:.2f}")


@router.get("/pipeline/forecast", response_model=ForecastRead)
def forecast(session: DbSession, actor: Reader, group: Literal["month", "owner", "team"] = "month",
             owner: Id | None = None, team: Id | None = None,
             close_month: Annotated[str | None, Query(max_length=7)] = None):
    """The weighted pipeline: value x probability (won 1, lost 0), per month of expected close (won and lost: of
    their close), owner or team, one line per currency."""
    f = _filter(actor, session, owner=owner, team=team, status=None, stage=None, close_month=close_month)
    lines = queries.forecast(actor, f, session=session, group=group)
    return ForecastRead(group=group, lines=[_line(x) for x in lines], totals=[_line(x) for x in queries.totals(lines)])


def accuracy_read(found: snapshots.Report) -> AccuracyRead:
    def owner(group) -> tuple[int | None, str | None]:
        return (group, found.label(group)) if found.group == "owner" else (None, None)

    def money(value) -> str | None:
        return None if value is None else f"{value:.2f}"

    return AccuracyRead(
        months_asked=len(found.months), lead_days=found.lead_days, group=found.group,
        months=[AccuracyMonthRead(
            month=m.month, snapshot_on=m.snapshot_on, forecast_recorded=m.snapshot_on is not None, note=m.note,
            lines=[AccuracyLineRead(owner_id=owner(x.group)[0], owner=owner(x.group)[1], currency=x.currency,
                                    forecast=money(x.forecast), actual=f"{x.actual:.2f}",
                                    difference=money(x.difference),
                                    error_percent=None if x.error is None else str(x.error)) for x in m.lines])
            for m in found.accuracy.months],
        summaries=[AccuracySummaryRead(owner_id=owner(s.group)[0], owner=owner(s.group)[1], currency=s.currency,
                                       months=s.months, mape=None if s.mape is None else str(s.mape),
                                       bias=None if s.bias is None else str(s.bias), forecast=f"{s.forecast:.2f}",
                                       actual=f"{s.actual:.2f}") for s in found.accuracy.summaries])


@router.get("/pipeline/forecast/accuracy", response_model=AccuracyRead)
def forecast_accuracy(session: DbSession, actor: Reader, months: Annotated[str, Query(max_length=20)] = "6",
                      lead_days: Annotated[str, Query(max_length=20)] = "0",
                      group: Annotated[str, Query(max_length=20)] = ""):
    """The forecast's accuracy on the last `months` full months: each month's forecast as of the latest snapshot
    taken on or before its first day (less `lead_days`) against the value won in it, per currency (`group=owner`:
    and owner), with the error, MAPE and bias."""
    found = snapshots.report(actor, session=session, months=accuracy.whole(months),
                             lead_days=accuracy.whole(lead_days), group=group.strip() or None)
    return accuracy_read(found)


@router.get("/pipeline/stages", response_model=list[StageRead])
def list_stages(session: DbSession, actor: Reader, all: bool = False):
    return queries.stages(session=session, active_only=not all)


@router.get("/close-reasons", response_model=list[ReasonRead])
def list_reasons(session: DbSession, actor: Reader, kind: Literal["won", "lost", "recycle"] | None = None,
                 all: bool = False):
    if kind:
        return queries.close_reasons(kind, session=session, active_only=not all)
    return queries.all_close_reasons(session=session, active_only=not all)
