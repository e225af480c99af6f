"""The journeys stage as the application sees it: nurture journeys, their steps and timers, editor and simulator."""

from __future__ import annotations

from leadflow import events
from leadflow.journeys import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.journeys import api, editor_views, simulate_views, views

    return [Routes(api.router), Routes(views.router), Routes(editor_views.router), Routes(simulate_views.router)]


def commands() -> list[Command]:
    from leadflow.journeys import cli

    return [Command("journeys", cli.app, group=True)]


STAGE = Stage(
    name="journeys",
    models=models,
    owns="nurture journeys: versions of steps, entry triggers, the leads in them and their durable step timers",
    routers=routers,
    navigation=(NavEntry("Journeys", "/journeys", "journeys:read", order=57),),
    commands=commands,
    publishes=frozenset({
        events.JOURNEY_TICK,
        events.JOURNEY_PASS,
        events.JOURNEY_ENROL,
    }),
    unhandled={
        events.JOURNEY_TICK: "being built (issue 14)",
        events.JOURNEY_PASS: "being built (issue 14)",
        events.JOURNEY_ENROL: "being built (issue 14)",
    },
    lead_tables=(LeadTable("journey_runs", on_merge=OnMerge.KEEP,
                           why="the journeys the lead went through (its step rows and events hang off its runs)"),),
    template_package="leadflow.journeys",
)
