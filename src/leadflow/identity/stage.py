"""The identity stage as the application sees it: one record per person (matching, duplicates, merges)."""

from __future__ import annotations

from leadflow import events
from leadflow.identity import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.identity import api, views

    return [Routes(api.router), Routes(views.router)]


def commands() -> list[Command]:
    from leadflow.identity import cli

    return [Command("dedupe", cli.dedupe)]


def handlers() -> dict:
    from leadflow.identity import jobs

    return {events.LEAD_UPDATED: jobs.lead_changed}


STAGE = Stage(
    name="identity",
    owns="matching a person to their lead, possible duplicates and the review queue, merges and their undoing",
    models=models,
    routers=routers,
    navigation=(NavEntry("Duplicates", "/duplicates", "leads:merge", order=40),),
    commands=commands,
    handlers=handlers,
    subscribes=frozenset({events.LEAD_UPDATED}),
    publishes=frozenset({events.LEADS_MERGED, events.LEADS_UNMERGED}),
    lead_tables=(
        LeadTable("lead_match_keys", on_merge=OnMerge.KEEP,
                  why="blocking keys: the merge indexes both leads again itself"),
        LeadTable("possible_duplicates", ("lead_id", "other_id"), on_merge=OnMerge.KEEP,
                  why="the pair's verdict is the merge's own record"),
        LeadTable("lead_merges", ("survivor_id", "merged_id"), on_merge=OnMerge.KEEP,
                  why="the merges themselves, which unmerge reads"),
    ),
    template_package="leadflow.identity",
)
