"""The funnel dashboard: the funnel with its leaks, the monthly cohorts, the 25/25/50 split and the attribution
models side by side, as one page (`/dashboards/funnel`) and as partials another dashboard includes with htmx
(`/dashboards/funnel/<part>` answers the part alone to an htmx request, the whole page otherwise). Every count
links to the leads behind it where the leads-behind page can list them."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from leadflow.analytics import attribution, funnel, funnel_present, params, present
from leadflow.errors import FieldError, Invalid, NotFound
from leadflow.http import DbSession
from leadflow.people.deps import PageActor
from leadflow.web.pages import is_htmx, page_router, render

router = page_router(tags=["pages"])

FILTER_NAMES = ("period", "from", "to", "campaign", "source", "medium", "channel", "offer", "country", "industry",
                "owner", "team")
PARTS = ("funnel", "cohorts", "split", "attribution")


def _values(request: Request) -> dict[str, str]:
    q = request.query_params
    return {name: (q.get(name) or "")[:200] for name in (*FILTER_NAMES, "goal", "group", "days")}


def _filters(v: dict[str, str]):
    return params.filters(period=v["period"] or None, start=v["from"] or None, end=v["to"] or None,
                          campaign=v["campaign"], source=v["source"], medium=v["medium"], channel=v["channel"],
                          offer=v["offer"], country=v["country"], industry=v["industry"], owner=v["owner"],
                          team=v["team"])


def _days(text: str) -> int:
    if not text:
        return funnel.SPLIT_DAYS
    if not text.isdecimal() or len(text) > 3 or not 1 <= int(text) <= 365:
        raise Invalid.one("days", "a whole number of days from 1 to 365")
    return int(text)


def _links(v: dict[str, str]):
    kept = {k: v[k] for k in FILTER_NAMES if v.get(k)}

    def behind(step: str, **row) -> str:
        """The leads-behind page for a count: the filters, the row (group, key) and the step."""
        return "/dashboards/leads?" + urlencode({**kept, **{k: str(x) for k, x in row.items()}, "step": step})

    def here(**extra) -> str:
        """This dashboard's query with `extra` changed (the goal, the group, the days)."""
        chosen = {**kept, **{k: v[k] for k in ("goal", "group", "days") if v.get(k)},
                  **{k: str(x) for k, x in extra.items()}}
        return urlencode({k: x for k, x in chosen.items() if x != ""})

    return behind, here


def _context(request: Request, session, actor, parts: tuple[str, ...]) -> tuple[dict, int]:
    v = _values(request)
    behind, here = _links(v)
    context = {"v": v, "problems": [], "periods": params.PERIOD_LABELS,
               "period": params.period_name(v["period"] or None, v["from"], v["to"]), "behind": behind,
               "here": here, "percent": present.percent, "where_now": funnel.WHERE_NOW_LABELS,
               "models": attribution.MODEL_LABELS, "goals": funnel.GOAL_LABELS,
               "groups": funnel.CREDIT_GROUP_LABELS, "goal": v["goal"] or "sql", "group": v["group"] or "campaign",
               "funnel_report": None, "cohorts_report": None, "split_report": None, "attribution_report": None}
    try:
        f = _filters(v)
        if "funnel" in parts:
            context["funnel_report"] = funnel.funnel(actor, f, session=session)
        if "cohorts" in parts:
            context["cohorts_report"] = funnel.cohorts(actor, f, session=session)
        if "split" in parts:
            context["split_report"] = funnel.split(actor, f, session=session, days=_days(v["days"]))
        if "attribution" in parts:
            context["attribution_report"] = funnel.attribution_report(
                actor, f, session=session, goal=funnel.check_goal(context["goal"]),
                group=funnel.check_credit_group(context["group"]))
    except Invalid as exc:
        context["problems"] = [(e.field, e.reason) for e in exc.errors]
        return context, 422
    return context, 200


@router.get("/dashboards/funnel")
def funnel_page(request: Request, session: DbSession, actor: PageActor):
    """The whole dashboard: the funnel, cohorts, split and attribution of the period's leads the viewer may see."""
    actor.require("analytics:read")
    context, status = _context(request, session, actor, PARTS)
    return render(request, "analytics/funnel.html", {**context, "whole_page": True}, status_code=status)


CSV = {"funnel": funnel_present.funnel_csv, "cohorts": funnel_present.cohorts_csv,
       "split": funnel_present.split_csv, "attribution": funnel_present.attribution_csv}


@router.get("/dashboards/funnel/{part}/export")
def funnel_export(part: str, request: Request, session: DbSession, actor: PageActor):
    """One part as CSV, as the viewer sees it (the API's `format=csv` for a signed-in browser)."""
    actor.require("analytics:read")
    if part not in PARTS:
        raise NotFound("dashboard part", part)
    context, _ = _context(request, session, actor, (part,))
    if context["problems"]:
        raise Invalid([FieldError(field, reason) for field, reason in context["problems"]])
    found = context[f"{part}_report"]
    name = f"{part}-{found.filters.start.date().isoformat()}.csv"
    return Response(CSV[part](found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/dashboards/funnel/{part}")
def funnel_part(part: str, request: Request, session: DbSession, actor: PageActor):
    """One part for htmx (`hx-get`, the `HX-Request` header): its partial alone; the whole page to anything else."""
    actor.require("analytics:read")
    if part not in PARTS:
        raise NotFound("dashboard part", part)
    if not is_htmx(request):
        context, status = _context(request, session, actor, PARTS)
        return render(request, "analytics/funnel.html", {**context, "whole_page": True}, status_code=status)
    context, status = _context(request, session, actor, (part,))
    return render(request, f"analytics/_{part}.html", context, status_code=status)
