"""The surveys stage as the application sees it: short questionnaires answered through signed links."""

from __future__ import annotations

from leadflow import events
from leadflow.stage import LAST, Command, LeadTable, NavEntry, OnMerge, Routes, Stage
from leadflow.surveys import models


def routers() -> list[Routes]:
    from leadflow.surveys import api, public, views

    return [Routes(api.router), Routes(views.router), Routes(public.router, order=LAST)]


def commands() -> list[Command]:
    from leadflow.surveys import cli

    return [Command("surveys", cli.app, group=True)]


def hooks() -> dict:
    from leadflow.surveys import queries

    # What segments (below) read of the answers: `survey.<question>` in a segment's (and a journey's) condition.
    return {"survey_answers": queries.latest_answers}


STAGE = Stage(
    name="surveys",
    models=models,
    owns="surveys linked from emails, answered without a login, whose answers fill BANT and profile fields",
    routers=routers,
    commands=commands,
    navigation=(NavEntry("Surveys", "/surveys", "surveys:manage", order=65),),
    publishes=frozenset({
        events.SURVEY_SUBMITTED,
    }),
    lead_tables=(
        LeadTable("survey_responses", on_merge=OnMerge.MOVE, why="what the person answered: the survivor's now"),
        LeadTable("survey_submissions", on_merge=OnMerge.KEEP, why="each post as it came in, with the lead it named"),
    ),
    hooks=hooks,
    template_package="leadflow.surveys",
)
