"""The dashboards: marketing (campaign economics per campaign, source, segment or month, ROI against its norm, the
funnel), sales (the follow-up scorecard and the pipeline) and management (revenue from marketing leads and the
forecast against target); and the leads behind any figure. Every chart has its table, a CSV and filters."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from leadflow.analytics import domain, params, present, queries
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
def dashboards(request: Request, actor: PageActor):
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
               "steps": domain.STEP_LABELS}
    return render(request, "analytics/marketing.html", context, status_code=status)


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
