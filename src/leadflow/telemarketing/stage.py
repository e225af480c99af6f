"""The telemarketing stage as the application sees it: call lists fed from segments, conditions, journeys, imports
or by hand, called by a team of agents through the calling screen (or a dialler through the API), each call's
outcome deciding the next step, and the throughput per agent and list against targets."""

from __future__ import annotations

from leadflow import events
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage
from leadflow.telemarketing import models


def routers() -> list[Routes]:
    from leadflow.telemarketing import api, screen_views, script_views, throughput_views, views

    return [Routes(api.router), Routes(throughput_views.router), Routes(script_views.router), Routes(views.router),
            Routes(screen_views.router)]


def commands() -> list[Command]:
    from leadflow.telemarketing import cli

    return [Command("calls", cli.app, group=True)]


def handlers() -> dict:
    from leadflow.telemarketing import jobs

    return jobs.HANDLERS


STAGE = Stage(
    name="telemarketing",
    models=models,
    owns="call lists' plans and queues, claims by agents, call scripts, calls and their outcomes, throughput",
    routers=routers,
    navigation=(NavEntry("Calls", "/call-lists", "call_lists:read", order=20),),
    commands=commands,
    handlers=handlers,
    subscribes=frozenset({events.CALL_LIST_BUILD, events.LEADS_MERGED, events.SEGMENT_ENTERED}),
    publishes=frozenset({events.CALL_LIST_BUILD}),
    lead_tables=(
        LeadTable("call_list_entries", on_merge=OnMerge.KEEP, id_column="call_list_id",
                  why="the merged lead's place on a list stays (it is never claimed); the survivor is put on the "
                      "lists it waited on"),
        LeadTable("calls", on_merge=OnMerge.MOVE, why="the calls made to the person: the survivor's history"),
    ),
    template_package="leadflow.telemarketing",
)
