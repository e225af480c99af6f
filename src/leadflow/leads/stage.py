"""The leads stage as the application sees it: leads, companies, activities, consents, the inbox."""

from __future__ import annotations

from leadflow import events
from leadflow.leads import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.leads import api, company_api, company_views, detail_views, views

    return [Routes(api.router), Routes(company_api.router), Routes(views.router), Routes(detail_views.router),
            Routes(company_views.router)]


def commands() -> list[Command]:
    from leadflow.leads import cli

    # The columns stages above add to the export (qualification's) come from the assembled stages.
    return [Command(("export", "leads"), build=lambda stages: cli.export_command(stages.hook("lead_export_columns")))]


def hooks() -> dict:
    from leadflow.campaigns.queries import CampaignLeads
    from leadflow.leads import queries

    # Campaigns sit below leads: their pages and API count a campaign's leads through this reader.
    return {"campaign_leads": CampaignLeads(counts=queries.campaign_counts, sees_all=queries.sees_all)}


STAGE = Stage(
    name="leads",
    owns="the lead itself, companies, activities (the timeline), consents, stage changes, the inbox",
    models=models,
    routers=routers,
    navigation=(NavEntry("Inbox", "/leads", "leads:read", order=10),
                NavEntry("Companies", "/companies", "companies:read", order=80)),
    commands=commands,
    publishes=frozenset({events.LEAD_UPDATED, events.LEAD_STAGE_CHANGED}),
    lead_tables=(LeadTable("activities", on_merge=OnMerge.MOVE, why="the timeline"),
                 LeadTable("consents", on_merge=OnMerge.MOVE, why="what the person agreed to (most restrictive wins)"),
                 LeadTable("stage_changes", on_merge=OnMerge.MOVE, why="every move of the stage machine")),
    hooks=hooks,
    template_package="leadflow.leads",
)
