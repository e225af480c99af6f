"""The scoring stage as the application sees it: rule sets, scores and their decay, predictive scoring."""

from __future__ import annotations

from leadflow import events
from leadflow.scoring import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.scoring import api, views
    from leadflow.scoring.predict import views as predict_views

    return [Routes(predict_views.router), Routes(api.router), Routes(views.router)]


def commands() -> list[Command]:
    from leadflow.scoring import cli
    from leadflow.scoring.predict import cli as predict_cli

    return [Command("predict", predict_cli.predict_app, group=True), Command("rescore", cli.rescore),
            Command("scoring", cli.scoring_app, group=True)]


def handlers() -> dict:
    from leadflow.scoring import jobs
    from leadflow.scoring.predict import jobs as predict_jobs

    return {events.SCORING_RESCORE: jobs.run_rescore, events.SCORING_REFRESH: jobs.refresh,
            events.PREDICT_TICK: predict_jobs.tick}


def schedules() -> list:
    from leadflow.scoring import jobs
    from leadflow.scoring.predict import jobs as predict_jobs

    return [predict_jobs.ensure_scheduled, jobs.ensure_scheduled]


STAGE = Stage(
    name="scoring",
    owns="scoring rule sets, each lead's score with its reasons, decay, rescore runs, predictive models",
    models=models,
    routers=routers,
    navigation=(NavEntry("Scoring", "/scoring", "scoring:rules", order=90),),
    commands=commands,
    handlers=handlers,
    subscribes=frozenset({events.SCORING_RESCORE, events.SCORING_REFRESH, events.PREDICT_TICK}),
    schedules=schedules,
    publishes=frozenset({events.SCORING_RESCORE, events.SCORING_RESCORED, events.SCORING_REFRESH,
                         events.PREDICT_TICK}),
    lead_tables=(LeadTable("lead_scores", on_merge=OnMerge.KEEP, why="each lead's own score, rescored by scoring"),
                 LeadTable("lead_predictions", on_merge=OnMerge.KEEP,
                           why="each lead's own prediction, made again by the next scoring run")),
    template_package="leadflow.scoring",
)
