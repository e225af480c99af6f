"""The email stage as the application sees it: marketing email templates, messages, sending, bounces, unsubscribes."""

from __future__ import annotations

from leadflow import events
from leadflow.email import models, sends_stage
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.email import api, bounce_api, public, settings_views, views

    return [Routes(api.router), Routes(bounce_api.router), Routes(views.router), Routes(settings_views.router),
            Routes(public.router), *sends_stage.routers()]


def commands() -> list[Command]:
    from leadflow.email import cli

    sends_stage.mount_commands(cli.app)
    return [Command("email", cli.app, group=True)]


def handlers() -> dict:
    from leadflow.email import jobs

    return {**jobs.HANDLERS, **sends_stage.handlers()}


def schedules() -> list:
    from leadflow.email import jobs

    return list(jobs.SCHEDULES)


def hooks() -> dict:
    from leadflow.email import queries

    # What surveys (below) read of the templates: which link a survey, so it is not deleted from under them.
    return {"templates_linking_survey": queries.templates_linking_survey}


STAGE = Stage(
    name="email",
    models=models,
    owns="marketing email: templates, messages and their sending, bounces, unsubscribes and preferences, one-off "
         "sends and A/B tests",
    routers=routers,
    navigation=(NavEntry("Email", "/email/sends", "email:read", order=57, section="/email"),
                NavEntry("Email settings", "/settings/email", "email:manage", order=107)),
    commands=commands,
    handlers=handlers,
    schedules=schedules,
    subscribes=frozenset({events.EMAIL_PASS, events.EMAIL_OPENED, events.EMAIL_CLICKED, events.EMAIL_BOUNCES})
    | sends_stage.SUBSCRIBES,
    publishes=frozenset({
        events.EMAIL_DELIVERED,
        events.EMAIL_BOUNCED,
        events.EMAIL_UNSUBSCRIBED,
        events.EMAIL_PASS,
        events.EMAIL_BOUNCES,
        events.EMAIL_CAMPAIGN_SEND,
    }),
    unhandled={
        events.EMAIL_UNSUBSCRIBED: "for integrators' webhooks: the sender itself reads the consent on every send",
    },
    lead_tables=(LeadTable("email_messages", on_merge=OnMerge.KEEP,
                           why="what was sent to whom: the merged lead's history, with the address it went to"),),
    hooks=hooks,
    template_package="leadflow.email",
)
