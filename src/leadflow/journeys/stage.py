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



def handlers() -> dict:
    from leadflow.journeys import jobs

    return jobs.HANDLERS


def schedules() -> list:
    from leadflow.journeys import jobs

    return jobs.SCHEDULES


STAGE = Stage(
    name="journeys",
    models=models,
    owns="nurture journeys: versions of steps, entry triggers, the leads in them and their durable step timers",
    routers=routers,
    navigation=(NavEntry("Journeys", "/journeys", "journeys:read", order=52),),
    commands=commands,
    handlers=handlers,
    schedules=schedules,
    subscribes=frozenset({
        events.JOURNEY_TICK, events.JOURNEY_PASS, events.JOURNEY_ENROL, events.LEAD_CAPTURED,
        events.LEAD_RECAPTURED, events.LEAD_UPDATED, events.LEAD_STAGE_CHANGED, events.SEGMENT_ENTERED,
        events.SURVEY_SUBMITTED, events.CONTACT_LOGGED, events.EMAIL_DELIVERED, events.EMAIL_BOUNCED,
        events.EMAIL_OPENED, events.EMAIL_CLICKED,
    }),
    publishes=frozenset({
        events.JOURNEY_TICK,
        events.JOURNEY_PASS,
        events.JOURNEY_ENROL,
        events.LEAD_SALES_READY,
        events.LEAD_UPDATED,
    }),
    lead_tables=(LeadTable("journey_runs", on_merge=OnMerge.KEEP,
                           why="the journeys the lead went through (its step rows and events hang off its runs)"),),
    template_package="leadflow.journeys",
)
