"""The campaigns stage as the application sees it: campaigns, their costs, attribution."""

from __future__ import annotations

from leadflow.campaigns import models
from leadflow.stage import NavEntry, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.campaigns import api, views

    return [Routes(api.router), Routes(views.router)]


STAGE = Stage(
    name="campaigns",
    owns="campaigns (a tree), their cost entries, the codes captures are attributed by",
    models=models,
    routers=routers,
    navigation=(NavEntry("Campaigns", "/campaigns", "campaigns:read", order=50),),
    template_package="leadflow.campaigns",
)
