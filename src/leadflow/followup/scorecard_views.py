"""The scorecard page: a period and a grouping, every figure against its norm (flagged in colour and in words),
the money table for the chosen row, charts of both, the CSV of the table, and the norms (editable with
followup:policies)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from leadflow import clock
from leadflow import periods
from leadflow.errors import Invalid
from leadflow.followup import kpis, scorecard
from leadflow.http import DbSession, retry_races
from leadflow.people.deps import PageActor
from leadflow.web.pages import Posted, page_router, redirect, render

router = page_router(tags=["pages"])

GROUP_LABELS = {"rep": "Salesperson", "team": "Team", "source": "Source", "campaign": "Campaign"}
PERIOD_LABELS = {"this_month": "This month", "last_month": "Last month", "quarter": "This quarter",
                 "custom": "Custom dates"}
COLUMNS = (("followed_up_pct", "Followed up", "followed_up"), ("overdue_pct", "Overdue", "overdue"),
           ("first_contact_hours", "First contact (median h)", None), ("quote_pct", "Quote made", "quoted"),
           ("won_pct", "Won", "won"), ("average_order", "Average order", None),
           ("sales_cycle_days", "Sales cycle (median days)", None))


def _params(request: Request) -> dict[str, str]:
    q = request.query_params
    return {name: (q.get(name) or "")[:40] for name in ("group", "period", "from", "to", "row")}


def _charts(card, chosen, group: str, query) -> dict[str, dict]:
    """The arguments of charts.html's chart() for the page's charts: followed up % and overdue % per row against
    their norms, and the chosen row's money table (none while it has no figures: the table says why)."""
    rows = card.rows
    links = [f"/scorecard?{query(row=r.key if r.key is not None else '')}" for r in rows]
    charts = {}
    for key, name in (("followed_up_pct", "followed-up"), ("overdue_pct", "overdue")):
        spec, norm = kpis.SPECS[key], card.norms.get(key)
        if rows:
            charts[key] = {
                "id": f"sc-chart-{name}", "kind": "bar", "title": f"{spec.label} by {GROUP_LABELS[group].lower()}",
                "labels": [r.label for r in rows], "unit": "percent", "links": links, "category": GROUP_LABELS[group],
                "series": [{"name": f"{spec.label} %", "values": [r.figures.get(key) for r in rows]}],
                "norm": {"value": norm.value, "direction": spec.direction} if norm else None}
    m = chosen.money if chosen is not None else None
    if m is not None and not m.reason:
        labels = [f"{float(round(r.rate * 100, 1)):g} %" + (" (actual)" if r.actual else "") for r in m.rows]
        charts["money"] = {
            "id": "sc-chart-money", "kind": "bar", "title": "Revenue by share followed up", "labels": labels,
            "unit": "money", "currency": m.currency, "category": "Followed up",
            "series": [{"name": "Revenue", "values": [r.revenue for r in m.rows],
                        "highlight": [i for i, r in enumerate(m.rows) if r.actual]}]}
    return charts


def _page(request, session, actor, *, problems=None, status_code: int = 200):
    p = _params(request)
    group = p["group"] if p["group"] in scorecard.GROUPS else "rep"
    errors = list(problems or [])
    card = None
    try:
        first, after, name = periods.period(p["period"] or None, p["from"], p["to"], today=clock.now().date())
        card = scorecard.scorecard(actor, session=session, group=group, start=first, end=after)
    except Invalid as exc:
        errors += [(e.field, e.reason) for e in exc.errors]
        status_code = 422
        name = p["period"] if p["period"] in PERIOD_LABELS else "custom"
    chosen = None
    if card is not None:
        chosen = next((r for r in card.rows if str(r.key) == p["row"]), None) if p["row"] else None
        if chosen is None and len(card.rows) == 1:
            chosen = card.rows[0]
    base = {k: v for k, v in {"group": group, "period": name, "from": p["from"], "to": p["to"]}.items() if v}

    def query(**extra) -> str:
        return urlencode({**base, **extra})

    shown = chosen or (card.total if card else None)
    context = {
        "card": card, "group": group, "period": name, "start": p["from"], "end": p["to"], "problems": errors,
        "chosen": shown, "chosen_key": None if chosen is None else str(chosen.key),
        "groups": GROUP_LABELS, "periods": PERIOD_LABELS, "columns": COLUMNS, "specs": kpis.SPECS,
        "query": query, "charts": _charts(card, shown, group, query) if card else {},
        "editable": actor.can("followup:policies"), "norms": scorecard.norms(session=session),
        "last_day": (card.end - timedelta(days=1)).date() if card else None,
    }
    return render(request, "followup/scorecard.html", context, status_code=status_code)


@router.get("/scorecard")
def scorecard_page(request: Request, session: DbSession, actor: PageActor):
    actor.require("followup:scorecard")
    return _page(request, session, actor)


@router.get("/scorecard/export")
def scorecard_export(request: Request, session: DbSession, actor: PageActor):
    actor.require("followup:scorecard")
    p = _params(request)
    first, after, _ = periods.period(p["period"] or None, p["from"], p["to"], today=clock.now().date())
    group = p["group"] if p["group"] in scorecard.GROUPS else "rep"
    card = scorecard.scorecard(actor, session=session, group=group, start=first, end=after)
    name = f"scorecard-{group}-{first.date().isoformat()}.csv"
    return Response(scorecard.csv_text(card), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/scorecard/norms")
@retry_races
def scorecard_norms(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require("followup:policies")
    changes = []
    for key, spec in kpis.SPECS.items():
        value = form.get(f"norm_{key}")
        if isinstance(value, str) and value.strip():
            currency = form.get(f"currency_{key}") if spec.unit == "money" else None
            changes.append((key, value[:40], currency[:3] if isinstance(currency, str) else None))
    if not changes:
        return redirect(request, "/scorecard#norms", message="No norm given: nothing changed.", kind="error")
    try:
        scorecard.set_norms(changes, session=session, actor=actor.label)
    except Invalid as exc:
        session.rollback()
        keys = [c[0] for c in changes]
        problems = []
        for e in exc.errors:
            index = e.field.split("[")[1].split("]")[0] if "[" in e.field else None
            label = kpis.SPECS[keys[int(index)]].label if index is not None and index.isdecimal() else e.field
            problems.append((label, e.reason))
        return _page(request, session, actor, problems=problems, status_code=422)
    session.commit()
    return redirect(request, "/scorecard#norms", message="Norms saved: the flags follow them.", kind="ok")


