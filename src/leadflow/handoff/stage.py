"""The handoff stage as the application sees it: outbound webhooks with their delivery log, retries and replay,
and the HubSpot and Salesforce connectors."""

from __future__ import annotations

from leadflow import events
from leadflow.handoff import models, payloads
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.handoff import api, views

    return [Routes(api.router), Routes(views.router)]


def commands() -> list[Command]:
    from leadflow.handoff import cli

    return [Command("webhook", cli.app, group=True)]


def handlers() -> dict:
    from leadflow.handoff import jobs

    return jobs.handlers()


STAGE = Stage(
    name="handoff",
    owns="outbound webhooks and CRM connectors (HubSpot, Salesforce): endpoints, deliveries, retries, replay",
    models=models,
    routers=routers,
    navigation=(NavEntry("Webhooks", "/settings/webhooks", "webhooks:manage", order=105),),
    commands=commands,
    handlers=handlers,
    subscribes=frozenset({*payloads.EVENTS, events.WEBHOOK_DELIVER}),
    publishes=frozenset({events.WEBHOOK_DELIVER}),
    lead_tables=(LeadTable("webhook_deliveries", on_merge=OnMerge.KEEP,
                           why="what was sent about which lead: a log, kept as it was sent"),),
    template_package="leadflow.handoff",
)
