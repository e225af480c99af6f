"""The follow-up stage as the application sees it: due times for every hand-over (reminders, escalation,
reassignment), sales contacts and their outcomes, tasks, a salesperson's day, recycling, the scorecard."""

from __future__ import annotations

from leadflow import events
from leadflow.followup import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.followup import api, day_views, lead_views, scorecard_api, scorecard_views, views, work_api

    return [Routes(api.router), Routes(work_api.router), Routes(scorecard_api.router), Routes(views.router),
            Routes(day_views.router), Routes(lead_views.router), Routes(scorecard_views.router)]


def commands() -> list[Command]:
    from leadflow.followup import cli, work_cli

    return [Command("followup", cli.app, group=True),
            Command(("export", "contacts"), work_cli.export_contacts),
            Command(("export", "tasks"), work_cli.export_tasks)]


def handlers() -> dict:
    from leadflow.followup import jobs

    return jobs.HANDLERS


def schedules() -> list:
    from leadflow.followup import jobs

    return jobs.SCHEDULES


def hooks() -> dict:
    from leadflow.followup import queries

    # What the inbox (leads, below) shows of follow-ups: each lead's state, and the overdue filter's lead ids.
    return {"lead_followup": queries}


STAGE = Stage(
    name="followup",
    owns="follow-up due times and their timers, sales contacts and outcomes, tasks, recycling, the scorecard",
    models=models,
    routers=routers,
    navigation=(NavEntry("My day", "/my-day", "followup:work", order=5),
                NavEntry("Scorecard", "/scorecard", "followup:scorecard", order=62),
                NavEntry("Follow-up", "/settings/follow-up", "followup:policies", order=102)),
    commands=commands,
    handlers=handlers,
    schedules=schedules,
    subscribes=frozenset({events.LEAD_ASSIGNED, events.LEAD_STAGE_CHANGED, events.LEADS_MERGED,
                          events.FOLLOWUP_TICK, events.LEAD_REVISIT}),
    publishes=frozenset({events.FOLLOWUP_TICK, events.FOLLOWUP_OVERDUE, events.CONTACT_LOGGED,
                         events.TASK_CREATED, events.TASK_COMPLETED, events.LEAD_RECYCLED, events.LEAD_REVISIT}),
    lead_tables=(LeadTable("followups", on_merge=OnMerge.KEEP,
                           why="each hand-over of the lead and whether it was followed up in time (the scorecard)"),
                 LeadTable("contacts", on_merge=OnMerge.MOVE, why="what sales did with the person"),
                 LeadTable("tasks", on_merge=OnMerge.MOVE, why="what a salesperson is still to do for the person"),
                 LeadTable("recycles", on_merge=OnMerge.MOVE, why="when the person was handed back, and why")),
    hooks=hooks,
    template_package="leadflow.followup",
)
