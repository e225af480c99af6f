"""Analytics' JSON routes: campaign economics per campaign, source, segment, salesperson or month (JSON or CSV), and
the leads behind any figure (only those the caller may see)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from leadflow.analytics import present, queries
from leadflow.analytics.params import FilterQuery
from leadflow.http import DbSession
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

Viewer = Annotated[Actor, permitted("analytics:read")]
Group = Literal["campaign", "source", "medium", "channel", "offer", "country", "industry", "owner", "team", "month"]
Step = Literal["leads", "mqls", "sqls", "opportunities", "quotes", "customers", "orders"]


@router.get("/economics")
def economics(session: DbSession, actor: Viewer, params: Annotated[FilterQuery, Depends()],
              group: Annotated[Group, Query()] = "campaign",
              format: Annotated[Literal["json", "csv"], Query()] = "json"):
    """The leads that came in during the period (the last 12 months unless `period` or `from`/`to` say otherwise),
    per `group`, and what they became: MQLs, SQLs, opportunities, quotes, customers, orders and revenue (in the
    reporting currency), beside the cost of the period (split down the campaign tree), with conversion at each
    step, cost per lead, per SQL and per order, revenue per lead, ROI and ROAS, and each row's ROI norm. A
    salesperson sees their own leads' figures, a sales manager their teams', neither the costs."""
    report = queries.economics(actor, params.filters(), session=session, group=group)
    if format == "csv":
        name = f"economics-{group}-{report.filters.start.date().isoformat()}.csv"
        return Response(present.csv_text(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return present.report_dict(report)


@router.get("/leads")
def leads_behind(session: DbSession, actor: Viewer, params: Annotated[FilterQuery, Depends()],
                 group: Annotated[Group | None, Query()] = None,
                 key: Annotated[str | None, Query(max_length=200)] = None,
                 step: Annotated[Step, Query()] = "leads",
                 offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """The leads a figure counts: those of the period and filters, of the row `group`=`key` (`(none)` for none),
    that reached `step`; newest first, only those the caller may open."""
    found = queries.leads_behind(actor, params.filters(), session=session, group=group, key=key, step=step,
                                 offset=offset, limit=limit)
    names = leads_queries.names_by_id(set(found.lead_ids), session=session)
    return {"leads": [{"id": i, "name": names.get(i, f"lead {i}"), "url": f"/leads/{i}"} for i in found.lead_ids],
            "more": found.more, "offset": offset}
