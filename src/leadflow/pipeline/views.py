"""Pipeline pages: the board by stage (moves by drag and drop or by the card's "Move to" menu), and the weighted
pipeline by month, owner and team with the forecast's accuracy on past months."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import PlainTextResponse

from leadflow.errors import Invalid, NotFound
from leadflow.http import DbSession, retry_races
from leadflow.leads import queries as leads_queries
from leadflow.leads.visibility import sees_all
from leadflow.people.deps import PageActor
from leadflow.pipeline import accuracy, domain, queries, service, snapshots
from leadflow.web.pages import Posted, is_htmx, page_router, render

router = page_router(tags=["pages"])
CLOSED_SHOWN = 8  # the latest won and lost cards shown under their totals
PER_COLUMN, MAX_PER_COLUMN = 200, 500  # cards shown per open column (?per_column=, 1 to 500); the totals count all


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdecimal() and len(text.strip()) < 12 else None


def _filters(request: Request, session, actor) -> tuple[queries.OpportunityFilter, dict, list[str]]:
    """The filters of the board, the forecast page and the export (owner, team, close month; the export also stage
    and status), with the problems of those given wrong (each left out, the page answering 422)."""
    args = request.query_params
    problems = []
    owner, team, month = _int(args.get("owner")), _int(args.get("team")), (args.get("month") or "").strip()
    if owner is not None and not sees_all(actor) and leads_queries.owner_to_filter_by(
            actor, owner, session=session) is None:
        problems.append("You can filter only by yourself and your teams' members.")
        owner = None
    month_problem = domain.check_month(month) if month else None
    if month_problem:
        problems.append(f"The close month must be {month_problem}.")
        month = ""
    status = args.get("status") if args.get("status") in ("open", "won", "lost") else None
    stage = (args.get("stage") or "").strip()[:40] or None
    per_column = PER_COLUMN
    if args.get("per_column") is not None:
        per_column = _int(args.get("per_column")) or 0
        if not 1 <= per_column <= MAX_PER_COLUMN:
            problems.append(f"Cards per column must be a number from 1 to {MAX_PER_COLUMN}.")
            per_column = PER_COLUMN
    chosen = {"owner": owner, "team": team, "month": month, "per_column": per_column}
    return (queries.OpportunityFilter(owner_id=owner, team_id=team, close_month=month or None, status=status,
                                      stage=stage), chosen, problems)


def _choices(session, actor) -> dict:
    return {"owners": leads_queries.assignable_owners(actor, session=session),
            "teams": sorted(queries.team_names(session=session).items(), key=lambda t: t[1].casefold())}


def _money(totals: dict[str, Decimal]) -> str:
    return " + ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(totals.items())) or "0.00"


def _add(into: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    into[currency] = into.get(currency, Decimal("0")) + amount


def _board(session, actor, f: queries.OpportunityFilter, per_column: int) -> dict:
    """Each open stage's column: its count and totals summed in SQL over every open opportunity the actor sees
    (with the filters), and its first `per_column` cards by expected close; Won and Lost: count, value and the
    latest few."""
    stages = queries.stages(session=session)
    open_stages = [s for s in stages if s.outcome == "open"]
    known = [s.key for s in open_stages]
    sums = queries.stage_sums(actor, f, session=session)
    # Open ones left at a stage no longer used are counted and shown in the first column, marked, until moved.
    first = known[0] if known else None
    columns = []
    total_weighted: dict[str, Decimal] = {}
    for stage in open_stages:
        lines = [x for x in sums if x.status == "open" and (x.stage == stage.key or (
            stage.key == first and x.stage not in known))]
        value: dict[str, Decimal] = {}
        weighted: dict[str, Decimal] = {}
        for x in lines:
            _add(value, x.currency, x.value)
            _add(weighted, x.currency, x.weighted)
            _add(total_weighted, x.currency, x.weighted)
        rows = []
        if stage.key == first:
            rows = queries.stage_cards(actor, f, session=session, stages_out=known, limit=per_column)
        rows += queries.stage_cards(actor, f, session=session, stages_in=[stage.key], limit=per_column)
        rows = rows[:per_column]
        count = sum(x.count for x in lines)
        columns.append({"stage": stage, "cards": rows, "count": count,
                        "more": count - len(rows), "value": _money(value), "weighted": _money(weighted)})
    closed = {}
    for outcome in ("won", "lost"):
        value = {}
        for x in sums:
            if x.status == outcome:
                _add(value, x.currency, x.value)
        rows = queries.stage_cards(actor, f, session=session, status=outcome, limit=CLOSED_SHOWN)
        closed[outcome] = {"count": sum(x.count for x in sums if x.status == outcome), "value": _money(value),
                           "cards": rows}
    # The cards of every column made at once (their leads, companies and owners read in one go each).
    shown = [*(r for c in columns for r in c["cards"]), *(r for c in closed.values() for r in c["cards"])]
    made = {card.opportunity.id: card for card in queries.cards(shown, session=session)}
    for box in [*columns, *closed.values()]:
        box["cards"] = [made[r.id] for r in box["cards"]]
    reasons = {kind: queries.close_reasons(kind, session=session) for kind in ("won", "lost")}
    reason_labels = {(kind, r.key): r.label for kind, rows in reasons.items() for r in rows}
    return {"columns": columns, "closed": closed, "stages": stages, "reasons": reasons, "reason_labels": reason_labels,
            "outcome_stage": {s.outcome: s.key for s in stages if s.outcome != "open"},
            "total_weighted": _money(total_weighted)}


def _page(request: Request, session, actor, *, message: str | None = None, error: str | None = None,
          status_code: int = 200, moved: int | None = None):
    f, chosen, problems = _filters(request, session, actor)
    f.status, f.stage = None, None  # the board shows every stage and status in its own place
    if problems and status_code == 200:
        status_code = 422
    context = {**_board(session, actor, f, chosen["per_column"]), **_choices(session, actor), "chosen": chosen,
               "problems": problems,
               "can_write": actor.can("pipeline:write"), "message": message, "error": error, "moved": moved,
               "query": request.url.query}
    if is_htmx(request):
        return render(request, "pipeline/_board.html", context, status_code=status_code)
    return render(request, "pipeline/board.html", context, status_code=status_code)


@router.get("/pipeline")
def board(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:read")
    return _page(request, session, actor)


@router.post("/pipeline/{opportunity_id:int}/move")
@retry_races
def move(opportunity_id: int, request: Request, form: Posted, session: DbSession, actor: PageActor):
    """A card moved (dragged, or by its "Move to" menu): the board again, with what happened announced."""
    actor.require("pipeline:write")
    to = (form.get("stage") or "").strip()
    reason = (form.get("reason") or "").strip() or None
    note = (form.get("note") or "").strip()[:5000] or None
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
    f.status, f.stage = None, None
    groups = {group: queries.forecast(actor, f, session=session, group=group) for group in ("month", "owner", "team")}
    found, asked, accuracy_problems = _accuracy(request, session, actor)
    return render(request, "pipeline/forecast.html", {
        "groups": groups, "totals": queries.totals(groups["month"]), "chosen": chosen, "problems": problems,
        "accuracy": found, "asked": asked, "accuracy_problems": accuracy_problems,
        "csv_query": urlencode({k: v for k, v in asked.items() if v != ""}),
        **_choices(session, actor)}, status_code=422 if problems or accuracy_problems else 200)


def _accuracy(request: Request, session, actor) -> tuple[snapshots.Report, dict, list[str]]:
    """The accuracy section's choices (`months`, `lead_days`, `accuracy_by=owner`): each given wrong is left at its
    default, with the problem shown."""
    args = request.query_params
    problems = []
    months, lead_days = accuracy.whole(args.get("months") or "6"), accuracy.whole(args.get("lead_days") or "0")
    if accuracy.check_months(months):
        problems.append(f"Months must be {accuracy.check_months(months)}.")
        months = 6
    if accuracy.check_lead_days(lead_days):
        problems.append(f"Days before the month must be {accuracy.check_lead_days(lead_days)}.")
        lead_days = 0
    group = "owner" if args.get("accuracy_by") == "owner" else None
    found = snapshots.report(actor, session=session, months=months, lead_days=lead_days, group=group)
    return found, {"months": months, "lead_days": lead_days, "accuracy_by": group or ""}, problems


@router.get("/pipeline/forecast/accuracy.csv")
def accuracy_export(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:read")
    found, _, problems = _accuracy(request, session, actor)
    if problems:
        return PlainTextResponse(" ".join(problems), status_code=422)
    return PlainTextResponse(queries.csv_text(snapshots.ACCURACY_COLUMNS, snapshots.csv_rows(found)),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="forecast-accuracy.csv"'})


@router.get("/pipeline/export.csv")
def export(request: Request, session: DbSession, actor: PageActor):
    actor.require("pipeline:read")
    f, _, _ = _filters(request, session, actor)
    cards = queries.cards(queries.opportunities(actor, f, session=session, limit=100_000), session=session)
    return PlainTextResponse(queries.csv_text(queries.OPPORTUNITY_COLUMNS, [queries.opportunity_row(c) for c in cards]),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="opportunities.csv"'})
