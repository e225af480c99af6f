"""The pipeline stage as the application sees it: opportunities and their board, quotes, competitors in play,
won and lost with their reasons, the weighted pipeline and its daily snapshots (the forecast's accuracy)."""

from __future__ import annotations

from leadflow import events
from leadflow.pipeline import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.pipeline import api, lead_views, settings_views, views

    return [Routes(api.router), Routes(views.router), Routes(lead_views.router), Routes(settings_views.router)]


def commands() -> list[Command]:
    from leadflow.pipeline import cli

    return [Command("pipeline", cli.app, group=True),
            Command(("export", "opportunities"), cli.export_opportunities),
            Command(("export", "quotes"), cli.export_quotes)]


def handlers() -> dict:
    from leadflow.pipeline import jobs

    return jobs.HANDLERS


def schedules() -> list:
    from leadflow.pipeline import jobs

    return jobs.SCHEDULES


STAGE = Stage(
    name="pipeline",
    owns="opportunities and stages, quotes, competitors in play, won and lost reasons, the weighted pipeline, its "
         "daily snapshots and the forecast's accuracy on past months",
    models=models,
    routers=routers,
    navigation=(NavEntry("Pipeline", "/pipeline", "pipeline:read", order=15),
                NavEntry("Pipeline stages", "/settings/pipeline", "pipeline:settings", order=103)),
    commands=commands,
    handlers=handlers,
    schedules=schedules,
    subscribes=frozenset({events.PIPELINE_SNAPSHOT}),
    publishes=frozenset({events.OPPORTUNITY_CHANGED, events.OPPORTUNITY_WON, events.OPPORTUNITY_LOST,
                         events.QUOTE_CHANGED, events.COMPETITOR_NOTED, events.PIPELINE_SNAPSHOT}),
    lead_tables=(LeadTable("opportunities", on_merge=OnMerge.MOVE, why="what the person may buy"),
                 LeadTable("quotes", on_merge=OnMerge.MOVE, why="the quotes made to the person"),
                 LeadTable("competitor_mentions", on_merge=OnMerge.MOVE, why="competitors in play for the person")),
    template_package="leadflow.pipeline",
)
