"""The dashboards: marketing (campaign economics per campaign, source, segment or month, ROI against its norm, the
funnel), sales (the follow-up scorecard and the pipeline) and management (revenue from marketing leads and the
forecast against target); and the leads behind any figure. Every chart has its table, a CSV and filters."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from leadflow.analytics import dashboards, domain, params, present, queries
from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import PageActor
from leadflow.web.pages import page_router, redirect, render

router = page_router(tags=["pages"])

FILTER_NAMES = ("period", "from", "to", "campaign", "source", "medium", "channel", "offer", "country", "industry",
                "owner", "team")


def _values(request: Request) -> dict[str, str]:
    q = request.query_params
    return {name: (q.get(name) or "")[:200] for name in (*FILTER_NAMES, "group", "key", "step", "offset")}


def _filters(v: dict[str, str]) -> queries.Filters:
    return params.filters(period=v["period"] or None, start=v["from"] or None, end=v["to"] or None,
                          campaign=v["campaign"], source=v["source"], medium=v["medium"], channel=v["channel"],
                          offer=v["offer"], country=v["country"], industry=v["industry"], owner=v["owner"],
                          team=v["team"])


def _query(v: dict[str, str], **extra) -> str:
    kept = {k: v[k] for k in FILTER_NAMES if v.get(k)}
    kept.update({k: ("" if x is None else str(x)) for k, x in extra.items()})
    return urlencode({k: x for k, x in kept.items() if x != ""})


@router.get("/dashboards")
def dashboards_home(request: Request, actor: PageActor):
    actor.require("analytics:read")
    return redirect(request, "/dashboards/marketing")


@router.get("/dashboards/marketing")
def marketing(request: Request, session: DbSession, actor: PageActor):
    actor.require("analytics:read")
    v = _values(request)
    group = v["group"] if v["group"] in queries.GROUPS else "campaign"
    problems, report, status = [], None, 200
    try:
        report = queries.economics(actor, _filters(v), session=session, group=group)
    except Invalid as exc:
        problems = [(e.field, e.reason) for e in exc.errors]
        status = 422
    context = {"report": report, "group": group, "groups": queries.GROUP_LABELS, "v": v, "problems": problems,
               "periods": params.PERIOD_LABELS,
               "period": params.period_name(v["period"] or None, v["from"], v["to"]),
               "query": lambda **extra: _query(v, **extra), "percent": present.percent,
               "steps": domain.STEP_LABELS, "charts": _marketing_charts(report, v) if report else {}}
    return render(request, "analytics/marketing.html", context, status_code=status)


TOP = 12  # bars in a chart; the table has every row


def _marketing_charts(report: queries.Report, v: dict[str, str]) -> dict[str, dict]:
    """ROI per row against its norm, revenue beside cost, and the share of leads that became customers; the
    campaign tree's charts show its campaigns (a program's figures are their sum), the biggest first."""
    group = report.group
    rows = [r for r in report.rows if not r.has_children and (r.figures.leads or r.figures.cost)]
    rows = sorted(rows, key=lambda r: (-(r.figures.revenue or 0), -(r.figures.cost or 0), -r.figures.leads))[:TOP]
    if not rows:
        return {}
    labels = [r.label for r in rows]
    label = queries.GROUP_LABELS[group]

    def link(row, step):
        key = "(none)" if row.key is None else row.key
        return "/dashboards/leads?" + _query(v, group=group, key=key, step=step)

    charts = {"conversion": {
        "id": "mk-conversion", "kind": "bar", "title": f"Leads that became customers, by {label.lower()}",
        "labels": labels, "unit": "percent", "category": label, "links": [link(r, "customers") for r in rows],
        "series": [{"name": "Lead → customer %", "values": [None if r.derived.conversion["customers"] is None
                                                            else r.derived.conversion["customers"] * 100
                                                            for r in rows]}]}}
    if report.costs_shown:
        norms = {r.norm for r in rows if r.norm is not None}
        charts["roi"] = {
            "id": "mk-roi", "kind": "bar", "title": f"ROI by {label.lower()}", "labels": labels, "unit": "percent",
            "category": label, "links": [link(r, "customers") for r in rows],
            "series": [{"name": "ROI %", "values": [None if r.derived.roi is None else r.derived.roi * 100
                                                    for r in rows],
                        "highlight": [i for i, r in enumerate(rows) if r.below_norm or r.no_customers]}],
            "norm": {"value": norms.pop() * 100, "direction": ">="} if len(norms) == 1 else None}
        charts["money"] = {
            "id": "mk-money", "kind": "bar", "title": f"Revenue and cost by {label.lower()}", "labels": labels,
            "unit": "money", "currency": report.currency, "category": label,
            "links": [link(r, "customers") for r in rows],
            "series": [{"name": "Revenue", "values": [r.figures.revenue for r in rows]},
                       {"name": "Cost", "values": [r.figures.cost for r in rows]}]}
    return charts


@router.get("/dashboards/sales")
def sales(request: Request, session: DbSession, actor: PageActor):
    """The sales dashboard: this month's follow-up KPIs against their norms, followed up % per salesperson, the
    weighted pipeline by month; each with its table, leading to the scorecard and the pipeline."""
    actor.require("analytics:read")
    found = dashboards.sales(actor, session=session) if actor.can("followup:scorecard") and \
        actor.can("pipeline:read") else None
    charts = {}
    if found is not None:
        rows = found.card.rows
        norm = found.card.norms.get("followed_up_pct")
        if rows:
            charts["followed"] = {
                "id": "sd-followed", "kind": "bar", "title": "Followed up this month, by salesperson",
                "labels": [r.label for r in rows], "unit": "percent", "category": "Salesperson",
                "links": [f"/scorecard?row={r.key}" for r in rows],
                "series": [{"name": "Followed up %", "values": [r.figures.get("followed_up_pct") for r in rows]}],
                "norm": {"value": norm.value, "direction": ">="} if norm else None}
        if found.months:
            by = {(str(line.key), line.currency): line.weighted for line in found.forecast}
            charts["pipeline"] = {
                "id": "sd-pipeline", "kind": "bar", "title": "Weighted pipeline by expected close month",
                "labels": found.months, "unit": "money", "category": "Month",
                "currency": found.currencies[0] if len(found.currencies) == 1 else None,
                "links": [f"/pipeline?month={m}" for m in found.months],
                "series": [{"name": f"Weighted ({c})", "values": [by.get((m, c)) for m in found.months]}
                           for c in found.currencies]}
    return render(request, "analytics/sales.html", {"found": found, "charts": charts})


@router.get("/dashboards/management")
def management(request: Request, session: DbSession, actor: PageActor):
    """The management dashboard: revenue won from marketing leads by month against the targets, the weighted
    pipeline ahead against them, the forecast's accuracy on past months, this year's cost and ROI."""
    actor.require("analytics:read")
    m = dashboards.management(actor, session=session)
    labels = [month.strftime("%Y-%m") for month in m.months]
    ahead = [month.strftime("%Y-%m") for month in m.ahead]
    has_targets = any(m.targets.get(month) for month in (*m.months, *m.ahead))
    charts = {"revenue": {
        "id": "mg-revenue", "kind": "stacked", "title": "Revenue won by month", "labels": labels, "unit": "money",
        "currency": m.currency, "category": "Month",
        "series": [{"name": "From marketing leads", "values": [m.marketing.get(x, 0) for x in m.months]},
                   {"name": "Other leads", "values": [m.other.get(x, 0) for x in m.months]}]}}
    if has_targets:
        charts["target"] = {
            "id": "mg-target", "kind": "bar", "title": "Revenue from marketing leads against target",
            "labels": labels, "unit": "money", "currency": m.currency, "category": "Month",
            "series": [{"name": "Revenue", "values": [m.marketing.get(x, 0) for x in m.months]},
                       {"name": "Target", "values": [m.targets.get(x) for x in m.months]}]}
    charts["ahead"] = {
        "id": "mg-ahead", "kind": "bar", "title": "Weighted pipeline ahead" + (" against target" if has_targets
                                                                               else ""),
        "labels": ahead, "unit": "money", "currency": m.currency, "category": "Month",
        "links": [f"/pipeline?month={x}" for x in ahead],
        "series": [{"name": "Weighted pipeline", "values": [m.weighted.get(x, 0) for x in m.ahead]}]
        + ([{"name": "Target", "values": [m.targets.get(x) for x in m.ahead]}] if has_targets else [])}
    return render(request, "analytics/management.html", {"m": m, "charts": charts})


@router.get("/dashboards/marketing/export")
def marketing_export(request: Request, session: DbSession, actor: PageActor):
    actor.require("analytics:read")
    v = _values(request)
    group = queries.check_group(v["group"] or "campaign")
    report = queries.economics(actor, _filters(v), session=session, group=group)
    name = f"economics-{group}-{report.filters.start.date().isoformat()}.csv"
    return Response(present.csv_text(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/dashboards/leads")
def leads_behind(request: Request, session: DbSession, actor: PageActor):
    """The leads behind a figure: the period and filters, a row (group=key) and a step; only those one may open."""
    actor.require("analytics:read")
    v = _values(request)
    offset = int(v["offset"]) if v["offset"].isdecimal() and len(v["offset"]) < 8 else 0
    problems, found, status = [], None, 200
    try:
        f = _filters(v)
        found = queries.leads_behind(actor, f, session=session, group=v["group"] or None, key=v["key"] or None,
                                     step=v["step"] or "leads", offset=offset, limit=100)
    except Invalid as exc:
        problems = [(e.field, e.reason) for e in exc.errors]
        status = 422
    leads = leads_queries.leads_by_id(set(found.lead_ids), session=session) if found else {}
    rows = [leads[i] for i in (found.lead_ids if found else []) if i in leads]
    context = {"rows": rows, "found": found, "v": v, "problems": problems, "offset": offset,
               "step_label": domain.STEP_LABELS.get(v["step"] or "leads", "Leads"),
               "group_label": queries.GROUP_LABELS.get(v["group"], ""),
               "query": lambda **extra: _query(v, **{"group": v["group"], "key": v["key"], "step": v["step"], **extra})}
    return render(request, "analytics/leads.html", context, status_code=status)
