"""The funnel, cohorts, split and attribution as JSON or CSV (`format=csv`), each for the period's leads the caller
may see."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from leadflow.analytics import funnel
from leadflow.analytics.funnel_present import (attribution_csv, attribution_dict, cohorts_csv, cohorts_dict,
                                               funnel_csv, funnel_dict, split_csv, split_dict)
from leadflow.analytics.params import FilterQuery
from leadflow.analytics.queries import Filters
from leadflow.http import DbSession
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

Viewer = Annotated[Actor, permitted("analytics:read")]
Format = Annotated[Literal["json", "csv"], Query()]


def _csv(text: str, name: str, f: Filters) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{f.start.date().isoformat()}.csv"'})


# -- routes --------------------------------------------------------------------------------------------------------

@router.get("/funnel")
def funnel_route(session: DbSession, actor: Viewer, params: Annotated[FilterQuery, Depends()], format: Format = "json"):
    """The leads that came in during the period (the last 12 months unless `period` or `from`/`to` say otherwise)
    and how many reached each step since: MQL, SQL, opportunity, customer; the conversion from the step before and
    from the leads, the median days from the step before and from coming in, and for those that stopped at a step
    where they are now (still open, disqualified, nurture, recycled). A salesperson sees their own leads, a sales
    manager their teams'."""
    found = funnel.funnel(actor, params.filters(), session=session)
    return _csv(funnel_csv(found), "funnel", found.filters) if format == "csv" else funnel_dict(found)


@router.get("/cohorts")
def cohorts_route(session: DbSession, actor: Viewer, params: Annotated[FilterQuery, Depends()],
                  format: Format = "json"):
    """Per month the leads came in (the period's months, the last 12 by default): the leads, the share that reached
    MQL, SQL, opportunity and customer, the revenue, the median days to SQL and to customer; `young` marks a cohort
    whose last day is fewer than 90 days ago."""
    found = funnel.cohorts(actor, params.filters(), session=session)
    return _csv(cohorts_csv(found), "cohorts", found.filters) if format == "csv" else cohorts_dict(found)


@router.get("/split")
def split_route(session: DbSession, actor: Viewer, params: Annotated[FilterQuery, Depends()],
                days: Annotated[int, Query(ge=1, le=365)] = funnel.SPLIT_DAYS, format: Format = "json"):
    """The period's leads against the 25/25/50 rule of thumb: Sales Ready at once (Sales Ready or SQL within `days`
    of coming in), discarded at once (disqualified within `days`), for nurture (the rest), each with its share and
    the gap to the expected share in points; `pending`: leads younger than `days` that are neither yet."""
    found = funnel.split(actor, params.filters(), session=session, days=days)
    return _csv(split_csv(found), "split", found.filters) if format == "csv" else split_dict(found)


@router.get("/attribution")
def attribution_route(session: DbSession, actor: Viewer, params: Annotated[FilterQuery, Depends()],
                      goal: Annotated[Literal["sql", "revenue"], Query()] = "sql",
                      group: Annotated[Literal["campaign", "source", "medium", "channel"], Query()] = "campaign",
                      format: Format = "json"):
    """The leads that converted during the period (`goal` sql: became an SQL; revenue: placed their first order)
    and the credit each campaign, source, medium or channel earns for them under each model side by side (first
    touch, last touch, linear, position-based 40/20/40): credited conversions (the sum of the weights) and, for
    revenue, credited revenue. `unattributed` counts converted leads with no touch, so each model's column plus it
    adds up to `conversions`."""
    found = funnel.attribution_report(actor, params.filters(), session=session, goal=goal, group=group)
    return _csv(attribution_csv(found), f"attribution-{goal}-{group}", found.filters) if format == "csv" else \
        attribution_dict(found)
