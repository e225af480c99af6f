"""The segments stage as the application sees it: saved conditions whose members are kept live."""

from __future__ import annotations

from leadflow import events
from leadflow.segments import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.segments import api, views

    return [Routes(api.router), Routes(views.router)]


def commands() -> list[Command]:
    from leadflow.segments import cli

    return [Command("segments", cli.app, group=True)]


def handlers() -> dict:
    from leadflow.segments import jobs

    return jobs.HANDLERS


def hooks() -> dict:
    from leadflow.segments import queries

    # The inbox (leads, below) filters by segment through this reader: its menu and the members' select.
    return {"lead_segments": queries}


STAGE = Stage(
    name="segments",
    models=models,
    owns="segments: saved conditions in the condition language, their members kept live as leads change",
    routers=routers,
    navigation=(NavEntry("Segments", "/segments", "segments:read", order=55),),
    commands=commands,
    handlers=handlers,
    subscribes=frozenset({events.LEAD_CAPTURED, events.LEAD_RECAPTURED, events.LEAD_UPDATED,
                          events.LEAD_STAGE_CHANGED, events.LEAD_ASSIGNED, events.LEADS_MERGED,
                          events.LEADS_UNMERGED, events.SCORING_RESCORED, events.SEGMENT_BUILD}),
    publishes=frozenset({
        events.SEGMENT_ENTERED,
        events.SEGMENT_LEFT,
        events.SEGMENT_BUILD,
    }),
    unhandled={
        events.SEGMENT_LEFT: "journeys and email audiences subscribe when they exist (issue 14)",
    },
    # Kept at the merge so that segments' own check on leads.merged removes the merged lead's rows: each removal
    # is told (segment.left) and counted, and the survivor is checked against every segment again.
    lead_tables=(LeadTable("segment_members", on_merge=OnMerge.KEEP, id_column="segment_id",
                           why="derived: leads.merged removes the merged lead's rows and checks the survivor again"),),
    hooks=hooks,
    template_package="leadflow.segments",
)
