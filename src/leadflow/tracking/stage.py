"""The tracking stage as the application sees it: visitors, behaviour events, signed email links."""

from __future__ import annotations

from leadflow import events
from leadflow.stage import Command, LeadTable, OnMerge, Routes, Stage
from leadflow.tracking import models


def routers() -> list[Routes]:
    from leadflow.tracking import api, floor, views

    # views.router: the public /t/... endpoints (beacons, pixels, redirects: no CSRF); views.pages: the pages.
    return [Routes(api.router), Routes(views.router), Routes(views.pages),
            Routes(floor.router, setting="bench_floor")]


def commands() -> list[Command]:
    from leadflow.tracking import cli

    return [Command("tracking", cli.app, group=True)]


def hooks() -> dict:
    from leadflow.tracking import bulk, queries

    # What scoring (below) reads of the behaviour history, never naming `events`.
    return {"scored_history": queries.scored_history, "scored_history_by_range": bulk.scored_history_by_range,
            "scored_events_since": queries.scored_events_since}


STAGE = Stage(
    name="tracking",
    owns="visitors and their behaviour events (visits, email opens, clicks, webinars), signed email links",
    models=models,
    routers=routers,
    commands=commands,
    hooks=hooks,
    publishes=frozenset({events.EMAIL_OPENED, events.EMAIL_CLICKED}),  # a marketing email's open and clicks
    lead_tables=(LeadTable("events", on_merge=OnMerge.MOVE, why="the person's behaviour"),
                 LeadTable("visitors", on_merge=OnMerge.MOVE, why="the browsers known to be the person's")),
    template_package="leadflow.tracking",
)
