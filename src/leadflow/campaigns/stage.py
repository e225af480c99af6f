"""The campaigns stage as the application sees it: campaigns, their costs, attribution."""

from __future__ import annotations

from leadflow import events
from leadflow.campaigns import models
from leadflow.stage import Command, NavEntry, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.campaigns import api, spend_api, spend_views, views

    # The spend imports' paths come first: /campaigns/{campaign_id} would otherwise catch /campaigns/spend.
    return [Routes(spend_api.router), Routes(api.router), Routes(spend_views.router), Routes(views.router)]


def commands() -> list[Command]:
    from leadflow.campaigns import cli

    return [Command("campaigns", cli.app, group=True)]


STAGE = Stage(
    name="campaigns",
    owns="campaigns (a tree), their cost entries, the codes captures are attributed by, ad platforms' spend imports",
    models=models,
    routers=routers,
    commands=commands,
    publishes=frozenset({events.CAMPAIGN_CHANGED}),
    navigation=(NavEntry("Campaigns", "/campaigns", "campaigns:read", order=50),),
    template_package="leadflow.campaigns",
)
