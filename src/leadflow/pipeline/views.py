"""Pipeline pages: the board by stage (moves by drag and drop or by the card's "Move to" menu), and the weighted
pipeline by month, owner and team."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi import Request
from fastapi.responses import PlainTextResponse

from leadflow.errors import Invalid, NotFound
from leadflow.http import DbSession
from leadflow.leads import queries as leads_queries
from leadflow.leads.visibility import sees_all
from leadflow.people.deps import PageActor
from leadflow.pipeline import queries, service
from leadflow.web.pages import page_router, render

router = page_router(tags=["pages"])
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CLOSED_SHOWN = 8  # the latest won and lost cards shown under their totals


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdecimal() and len(text.strip()) < 12 else None


def _filters(request: Request, session, actor) -> tuple[queries.OpportunityFilter, dict, list[str]]:
    args = request.query_params
    problems = []
    owner, team, month = _int(args.get("owner")), _int(args.get("team")), (args.get("month") or "").strip()
    if owner is not None and not sees_all(actor) and leads_queries.owner_to_filter_by(
            actor, owner, session=session) is None:
        problems.append("You can filter only by yourself and your teams' members.")
        owner = None
    if month and not MONTH.match(month):
        problems.append("The close month is a month like 2026-03.")
        month = ""
    chosen = {"owner": owner, "team": team, "month": month}
    return queries.OpportunityFilter(owner_id=owner, team_id=team, close_month=month or None), chosen, problems


def _choices(session, actor) -> dict:
    return {"owners": leads_queries.assignable_owners(actor, session=session),
            "teams": sorted(queries.team_names(session=session).items(), key=lambda t: t[1].casefold())}


def _money(totals: dict[str, Decimal]) -> str:
    return " + ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(totals.items())) or "0.00"


def _sum(cards: list[queries.Card], attribute: str) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for card in cards:
        amount = card.weighted.amount if attribute == "weighted" else card.opportunity.value
        found[card.opportunity.currency] = found.get(card.opportunity.currency, Decimal("0")) + amount
    return found


def _board(session, actor, f: queries.OpportunityFilter) -> dict:
    stages = queries.stages(session=session)
    open_stages = [s for s in stages if s.outcome == "open"]
    cards = queries.cards(queries.opportunities(actor, f, session=session, limit=2000), session=session)
    columns = []
    for stage in open_stages:
        inside = [c for c in cards if c.opportunity.status == "open" and c.opportunity.stage == stage.key]
        columns.append({"stage": stage, "cards": inside, "value": _money(_sum(inside, "value")),
                        "weighted": _money(_sum(inside, "weighted"))})
    # Open ones left at a stage no longer used are shown in the first column, marked, until someone moves them.
    known = {s.key for s in open_stages}
    strays = [c for c in cards if c.opportunity.status == "open" and c.opportunity.stage not in known]
    if strays and columns:
        columns[0]["cards"] = strays + columns[0]["cards"]
    closed = {}
    for outcome in ("won", "lost"):
        inside = sorted((c for c in cards if c.opportunity.status == outcome),
                        key=lambda c: c.opportunity.closed_at, reverse=True)
        closed[outcome] = {"count": len(inside), "value": _money(_sum(inside, "value")),
                           "cards": inside[:CLOSED_SHOWN]}
    reasons = {kind: queries.close_reasons(kind, session=session) for kind in ("won", "lost")}
    return {"columns": columns, "closed": closed, "stages": stages, "reasons": reasons,
            "outcome_stage": {s.outcome: s.key for s in stages if s.outcome != "open"},
            "total_weighted": _money(_sum([c for c in cards if c.opportunity.status == "open"], "weighted"))}


def _page(request: Request, session, actor, *, message: str | None = None, error: str | None = None,
          status_code: int = 200, moved: int | None = None):
    f, chosen, problems = _filters(request, session, actor)
    context = {**_board(session, actor, f), **_choices(session, actor), "chosen": chosen, "problems": problems,
               "can_write": actor.can("pipeline:write"), "message": message, "error": error, "moved": moved,
               "query": request.url.query}
    if request.headers.get("hx-request") == "true":
        return render(request, "pipeline/_board.html", context, status_code=status_code)
    return render(request, "pipeline/board.html", context, status_code=status_code)


@router.get("/pipeline")
def board(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:read")
    return _page(request, session, actor)


@router.post("/pipeline/{opportunity_id:int}/move")
async def move(opportunity_id: int, request: Request, session: DbSession, actor: PageActor):
    """A card moved (dragged, or by its "Move to" menu): the board again, with what happened announced."""
    actor.require("pipeline:write")
    form = await request.form()
    to = str(form.get("stage") or "").strip()
    reason = str(form.get("reason") or "").strip() or None
    note = str(form.get("note") or "").strip()[:5000] or None
    try:
        queries.visible_opportunity(actor, opportunity_id, session=session)
    except NotFound:
        return _page(request, session, actor, error="That opportunity is not yours to move.", status_code=404)
    row = service.lock(opportunity_id, session=session)
    try:
        if row.status != "open" and to in {s.key for s in queries.stages(session=session) if s.outcome == "open"}:
            service.reopen(row, session=session, actor=actor, to=to)
        else:
            service.move(row, session=session, actor=actor, to=to, reason=reason, note=note)
    except Invalid as exc:
        session.rollback()
        return _page(request, session, actor, status_code=422, moved=opportunity_id,
                     error=f"“{row.name}” was not moved: " + "; ".join(e.reason for e in exc.errors) + ".")
    session.commit()
    label = next((s.label for s in queries.stages(session=session, active_only=False) if s.key == row.stage), to)
    return _page(request, session, actor, message=f"Moved “{row.name}” to {label}.", moved=opportunity_id)


# --- the weighted pipeline --------------------------------------------------------------------------------------

@router.get("/pipeline/forecast")
def forecast(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:read")
    f, chosen, problems = _filters(request, session, actor)
    groups = {group: queries.forecast(actor, f, session=session, group=group) for group in ("month", "owner", "team")}
    return render(request, "pipeline/forecast.html", {
        "groups": groups, "totals": queries.totals(groups["month"]), "chosen": chosen, "problems": problems,
        **_choices(session, actor)})


@router.get("/pipeline/export.csv")
def export(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:read")
    f, _, _ = _filters(request, session, actor)
    cards = queries.cards(queries.opportunities(actor, f, session=session, limit=100_000), session=session)
    return PlainTextResponse(queries.csv_text(queries.OPPORTUNITY_COLUMNS, [queries.opportunity_row(c) for c in cards]),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="opportunities.csv"'})
