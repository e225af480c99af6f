"""The list of stages, top (capture) to bottom (people), and what is assembled from it: the app's routers, the main
navigation, the CLI's commands, the worker's handlers and schedules, the tables, the lead tables merges walk.

A new stage is a new folder `src/leadflow/<stage>/` with its `stage.py` (a `STAGE = Stage(...)`), plus one line
below, at its place among the layers (docs/architecture.md, "How a stage plugs in")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

from leadflow.analytics.stage import STAGE as ANALYTICS
from leadflow.campaigns.stage import STAGE as CAMPAIGNS
from leadflow.email.stage import STAGE as EMAIL
from leadflow.followup.stage import STAGE as FOLLOWUP
from leadflow.capture.stage import STAGE as CAPTURE
from leadflow.handoff.stage import STAGE as HANDOFF
from leadflow.identity.stage import STAGE as IDENTITY
from leadflow.journeys.stage import STAGE as JOURNEYS
from leadflow.leads.stage import STAGE as LEADS
from leadflow.people.stage import STAGE as PEOPLE
from leadflow.pipeline.stage import STAGE as PIPELINE
from leadflow.qualification.stage import STAGE as QUALIFICATION
from leadflow.routing.stage import STAGE as ROUTING
from leadflow.scoring.stage import STAGE as SCORING
from leadflow.segments.stage import STAGE as SEGMENTS
from leadflow.stage import Command, LeadTable, NavEntry, Routes, Stage
from leadflow.surveys.stage import STAGE as SURVEYS
from leadflow.telemarketing.stage import STAGE as TELEMARKETING
from leadflow.tracking.stage import STAGE as TRACKING

# Top to bottom: a stage may import the stages below it, never those above (.importlinter's layers contract lists
# them in this order; tests/unit/test_stages.py checks that it does).
ALL_STAGES: tuple[Stage, ...] = (
    ANALYTICS,
    JOURNEYS,
    TELEMARKETING,
    EMAIL,
    SURVEYS,
    SEGMENTS,
    FOLLOWUP,
    PIPELINE,
    HANDOFF,
    ROUTING,
    CAPTURE,
    TRACKING,
    QUALIFICATION,
    SCORING,
    IDENTITY,
    LEADS,
    CAMPAIGNS,
    PEOPLE,
)


def bottom_up() -> Iterator[Stage]:
    """The stages from the bottom: the order in which several stages' handlers of one topic run."""
    return reversed(ALL_STAGES)


def routers() -> list[Routes]:
    """Every stage's routers in the order the app includes them: by `order`, then the stage list, then the stage's
    own order (a path that would also match another's comes after it)."""
    found = [(routes.order, s, n, routes) for s, stage in enumerate(ALL_STAGES)
             for n, routes in enumerate(stage.routers())]
    return [routes for *_, routes in sorted(found, key=lambda item: item[:3])]


def navigation() -> tuple[NavEntry, ...]:
    return tuple(sorted((entry for stage in ALL_STAGES for entry in stage.navigation), key=lambda e: e.order))


def template_packages() -> tuple[str, ...]:
    return tuple(stage.template_package for stage in ALL_STAGES if stage.template_package)


def commands() -> list[Command]:
    return [command for stage in ALL_STAGES for command in stage.commands()]


def handlers() -> dict[str, list[Callable]]:
    """Topic -> the handlers of the stages subscribing to it, bottom stage first."""
    found: dict[str, list[Callable]] = {}
    for stage in bottom_up():
        for topic, handler in stage.handlers().items():
            found.setdefault(topic, []).append(handler)
    return found


def without_handler() -> dict[str, str]:
    return {topic: why for stage in ALL_STAGES for topic, why in stage.unhandled.items()}


def schedules() -> list[Callable]:
    return [ensure for stage in ALL_STAGES for ensure in stage.schedules()]


def hook(name: str) -> list:
    """The values stages give for a hook another stage's code is handed (bottom stage first)."""
    given = (stage.hooks() for stage in bottom_up())
    return [hooks[name] for hooks in given if name in hooks]


@cache
def lead_tables() -> tuple[LeadTable, ...]:
    return tuple(table for stage in ALL_STAGES for table in stage.lead_tables)


def tables_of(stage: Stage) -> set[str]:
    """The tables the stage's models module defines (not those it imports)."""
    from leadflow.db import Base

    if stage.models is None:
        return set()
    return {mapper.local_table.name for mapper in Base.registry.mappers
            if mapper.class_.__module__ == stage.models.__name__}


def owner_of(table: str) -> Stage | None:
    """The stage whose models define `table` (None for the platform's: outbox, instance_settings)."""
    return next((stage for stage in ALL_STAGES if table in tables_of(stage)), None)


def wire() -> None:
    """Hand the stages below what the stages above them hold (the app, the CLI and the worker call this as they are
    assembled): identity's merges get the lead tables every stage declares; scoring, tracking, segments and surveys
    get readers of tables they never name (each declared by its owner as a hook: `scored_history`, `bant_values`,
    `survey_answers`, `templates_linking_survey`, ...)."""
    from leadflow.scoring import sources as scoring_sources
    from leadflow.segments import sources as segments_sources
    from leadflow.surveys import sources as surveys_sources
    from leadflow.tracking import sources as tracking_sources

    declare_lead_tables()
    scoring_sources.provide(scoring_sources.Sources(
        history=_one("scored_history"), history_by_range=_one("scored_history_by_range"),
        bant=_one("bant_values"), events_since=_one("scored_events_since")))
    tracking_sources.provide(tracking_sources.Sources(form_origins=_one("form_origins")))
    segments_sources.provide(segments_sources.Sources(survey_answers=_one("survey_answers")))
    surveys_sources.provide(surveys_sources.Sources(templates_linking_survey=_one("templates_linking_survey")))


def _one(name: str) -> Callable:
    found = hook(name)
    if len(found) != 1:
        raise RuntimeError(f"{len(found)} stages declare the hook {name!r}: exactly one must")
    return found[0]


def declare_lead_tables() -> None:
    """Give identity's merges the lead tables every stage declares (the app, the CLI and the worker call this as
    they are assembled: identity sits below the stages whose tables it walks, so it is handed them)."""
    from leadflow.identity import merges

    merges.declare_lead_tables(lead_tables())
