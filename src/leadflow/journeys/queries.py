"""Reads of the journeys stage: journeys with their run counts, counts per step (waiting, done, went each way),
a lead's runs."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.journeys.models import Journey, JourneyRun, JourneyStep

def live_journeys(*, session: Session) -> list[tuple[int, int, str]]:
    """(journey id, live version id, status) of journeys taking new leads (live) or finishing runs (paused)."""
    return [tuple(row) for row in session.execute(
        select(Journey.id, Journey.live_version_id, Journey.status)
        .where(Journey.status == "live", Journey.live_version_id.is_not(None)).order_by(Journey.id))]


def run_counts(journey_ids: list[int] | None = None, *, session: Session) -> dict[int, dict[str, int]]:
    """Journey -> {active, done, exited, goal} runs."""
    query = select(JourneyRun.journey_id, JourneyRun.status, func.count()).group_by(JourneyRun.journey_id,
                                                                                     JourneyRun.status)
    if journey_ids is not None:
        query = query.where(JourneyRun.journey_id.in_(journey_ids))
    found: dict[int, dict[str, int]] = {}
    for journey_id, status, count in session.execute(query):
        found.setdefault(journey_id, {"active": 0, "done": 0, "exited": 0, "goal": 0})[status] = count
    return found


def step_counts(journey_id: int, *, session: Session, version_id: int | None = None) -> dict[str, dict]:
    """Step id -> {waiting, done, outcomes: {outcome: count}} (which way a branch sent how many)."""
    query = (select(JourneyStep.step_id, JourneyStep.done_at.is_(None), JourneyStep.outcome, func.count())
             .where(JourneyStep.journey_id == journey_id)
             .group_by(JourneyStep.step_id, JourneyStep.done_at.is_(None), JourneyStep.outcome))
    if version_id is not None:
        query = query.join(JourneyRun, JourneyRun.id == JourneyStep.run_id).where(JourneyRun.version_id == version_id)
    found: dict[str, dict] = {}
    for step_id, waiting, outcome, count in session.execute(query):
        entry = found.setdefault(step_id, {"waiting": 0, "done": 0, "outcomes": {}})
        if waiting:
            entry["waiting"] += count
        else:
            entry["done"] += count
            entry["outcomes"][outcome or ""] = entry["outcomes"].get(outcome or "", 0) + count
    return found


def runs_of_lead(lead_id: int, *, session: Session) -> list[JourneyRun]:
    return list(session.scalars(select(JourneyRun).where(JourneyRun.lead_id == lead_id)
                                .order_by(JourneyRun.entered_at.desc(), JourneyRun.id.desc())))


def steps_of_run(run_id: int, *, session: Session) -> list[JourneyStep]:
    return list(session.scalars(select(JourneyStep).where(JourneyStep.run_id == run_id)
                                .order_by(JourneyStep.created_at, JourneyStep.id)))


def active_runs(lead_ids: list[int], *, session: Session) -> list[tuple[int, int, int, int]]:
    """(run id, journey id, version id, lead id) of the leads' active runs."""
    return [tuple(row) for row in session.execute(
        select(JourneyRun.id, JourneyRun.journey_id, JourneyRun.version_id, JourneyRun.lead_id)
        .where(JourneyRun.lead_id.in_(lead_ids), JourneyRun.status == "active"))]
