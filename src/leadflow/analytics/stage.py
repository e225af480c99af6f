"""The analytics stage as the application sees it: campaign economics (cost, conversion, CPO, revenue, ROI) per
campaign, source, segment and salesperson, attribution, the funnel and cohorts, dashboards, ROI norms and alerts,
the weekly digest."""

from __future__ import annotations

from leadflow import events
from leadflow.analytics import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.analytics import api, digest_views, funnel_api, funnel_views, settings_api, settings_views, views

    return [Routes(api.router), Routes(views.router), Routes(funnel_api.router), Routes(funnel_views.router),
            Routes(settings_api.router), Routes(settings_views.router), Routes(digest_views.api_router),
            Routes(digest_views.router)]


def commands() -> list[Command]:
    from leadflow.analytics import cli

    return [Command("analytics", cli.app, group=True)]


def handlers() -> dict:
    from leadflow.analytics import digest_jobs, jobs

    return {**jobs.HANDLERS, **digest_jobs.HANDLERS}


def schedules() -> list:
    from leadflow.analytics import digest_jobs, jobs

    return [*jobs.SCHEDULES, *digest_jobs.SCHEDULES]


_SUBSCRIBES = frozenset({events.LEAD_CAPTURED, events.LEAD_RECAPTURED, events.LEAD_UPDATED, events.LEAD_STAGE_CHANGED,
                         events.LEAD_ASSIGNED, events.LEAD_RECYCLED, events.OPPORTUNITY_CHANGED,
                         events.OPPORTUNITY_WON, events.OPPORTUNITY_LOST, events.QUOTE_CHANGED, events.LEADS_MERGED,
                         events.LEADS_UNMERGED, events.CAMPAIGN_CHANGED, events.ANALYTICS_TICK,
                         events.ANALYTICS_REBUILD, events.ANALYTICS_CHECK, events.ANALYTICS_DIGEST})

STAGE = Stage(
    name="analytics",
    owns="campaign economics, attribution, the funnel and cohorts, dashboards, ROI norms and alerts, the digest",
    models=models,
    routers=routers,
    navigation=(NavEntry("Dashboards", "/dashboards", "analytics:read", order=8),
                NavEntry("Analytics", "/settings/analytics", "analytics:settings", order=104)),
    commands=commands,
    handlers=handlers,
    schedules=schedules,
    subscribes=_SUBSCRIBES,
    publishes=frozenset({events.ANALYTICS_TICK, events.ANALYTICS_REBUILD,
                         events.ANALYTICS_CHECK, events.ANALYTICS_DIGEST}),
    lead_tables=(LeadTable("lead_facts", on_merge=OnMerge.DELETE,
                           why="derived: rebuilt for the survivor by the pass the merge's message marks it for"),
                 LeadTable("lead_credits", on_merge=OnMerge.DELETE, why="derived: rebuilt with the facts")),
    template_package="leadflow.analytics",
)
