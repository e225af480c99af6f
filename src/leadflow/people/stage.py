"""The people stage as the application sees it: users, teams, roles, sign-in, API keys, call lists, notifications and
people's availability."""

from __future__ import annotations

from leadflow import events
from leadflow.people import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.people import api, notification_views, settings_views, views

    return [Routes(views.router), Routes(settings_views.router), Routes(notification_views.router),
            Routes(api.router)]


def handlers() -> dict:
    from leadflow.people import jobs

    return {events.NOTIFICATION_CHAT: jobs.post_chat}


def commands() -> list[Command]:
    from leadflow.people import cli

    return [Command("user", cli.user_app, group=True), Command("team", cli.team_app, group=True)]


STAGE = Stage(
    name="people",
    owns="users, teams, roles and permissions, sign-in sessions, API keys, call lists, notifications, availability",
    models=models,
    routers=routers,
    navigation=(NavEntry("Settings", "/settings", "users:manage", order=110),),
    commands=commands,
    handlers=handlers,
    subscribes=frozenset({events.NOTIFICATION_CHAT}),
    publishes=frozenset({events.NOTIFICATION_CHAT}),
    lead_tables=(LeadTable("call_list_leads", on_merge=OnMerge.KEEP, id_column="call_list_id",
                           why="the lists a telemarketer made: the merged lead stays on them as it was"),
                 LeadTable("notifications", on_merge=OnMerge.MOVE,
                           why="the notice is about the person: its link follows the lead into its survivor"),),
    template_package="leadflow.people",
)
