"""The routing stage as the application sees it: routing rule sets, assignments and their reasons, queues."""

from __future__ import annotations

from leadflow import events
from leadflow.routing import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage

TOPICS = frozenset({events.LEAD_SALES_READY, events.LEAD_STAGE_CHANGED, events.LEAD_CAPTURED, events.LEAD_UPDATED})


def routers() -> list[Routes]:
    from leadflow.routing import api, views

    return [Routes(api.router), Routes(views.router)]


def commands() -> list[Command]:
    from leadflow.routing import cli

    return [Command("routing", cli.app, group=True)]


def handlers() -> dict:
    from leadflow.routing import jobs

    return {events.LEAD_SALES_READY: jobs.sales_ready, events.LEAD_STAGE_CHANGED: jobs.stage_changed,
            events.LEAD_CAPTURED: jobs.captured, events.LEAD_UPDATED: jobs.lead_updated}


STAGE = Stage(
    name="routing",
    owns="routing rule sets, team round-robin cursors and capacities, assignments with their reasons, queues",
    models=models,
    routers=routers,
    navigation=(NavEntry("Routing", "/routing", "routing:rules", order=95),),
    commands=commands,
    handlers=handlers,
    subscribes=TOPICS,
    publishes=frozenset({events.LEAD_ASSIGNED}),
    lead_tables=(LeadTable("assignments", on_merge=OnMerge.KEEP,
                           why="who owned which lead, when and why: each lead keeps its own owner history"),),
    template_package="leadflow.routing",
)
