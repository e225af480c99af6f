"""Reads of the journeys stage: journeys with their run counts, counts per step (waiting, done, went each way),
a lead's runs; for the pages, the API and the command: the list, a journey's versions and draft, its runs of the
leads one sees, the counts per step as the drawing shows them."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from leadflow.errors import NotFound
from leadflow.journeys.models import Journey, JourneyRun, JourneyStep, JourneyVersion
from leadflow.journeys.simulate import way_of
from leadflow.leads.models import Lead

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


# The surfaces' reads (pages, API, command).

def get(journey_id: int, *, session: Session) -> Journey:
    journey = session.get(Journey, journey_id)
    if journey is None:
        raise NotFound("journey", journey_id)
    return journey


def listing(*, session: Session) -> list[dict]:
    """Every journey with its live version's number, whether it has a draft, and its leads active and ended."""
    journeys = session.scalars(select(Journey).order_by(Journey.name)).all()
    numbers = dict(session.execute(select(JourneyVersion.id, JourneyVersion.number)
                                   .where(JourneyVersion.id.in_([j.live_version_id for j in journeys
                                                                 if j.live_version_id]))).all())
    drafts = set(session.scalars(select(JourneyVersion.journey_id).where(JourneyVersion.published_at.is_(None))))
    runs = run_counts([j.id for j in journeys], session=session)
    none = {"active": 0, "done": 0, "exited": 0, "goal": 0}
    return [{"id": j.id, "name": j.name, "description": j.description, "status": j.status,
             "live_version": numbers.get(j.live_version_id), "has_draft": j.id in drafts,
             "updated_at": j.updated_at, **runs.get(j.id, none)} for j in journeys]


def versions(journey_id: int, *, session: Session) -> list[JourneyVersion]:
    return list(session.scalars(select(JourneyVersion).where(JourneyVersion.journey_id == journey_id)
                                .order_by(JourneyVersion.number.desc())))


def draft(journey_id: int, *, session: Session) -> JourneyVersion | None:
    """The journey's working copy: its newest version when unpublished (reads only: nothing is made)."""
    newest = session.scalars(select(JourneyVersion).where(JourneyVersion.journey_id == journey_id)
                             .order_by(JourneyVersion.number.desc()).limit(1)).first()
    return newest if newest is not None and newest.published_at is None else None


def version(journey_id: int, number: int, *, session: Session) -> JourneyVersion:
    found = session.scalars(select(JourneyVersion).where(JourneyVersion.journey_id == journey_id,
                                                         JourneyVersion.number == number)).first()
    if found is None:
        raise NotFound("version", number)
    return found


def drawn_counts(journey_id: int, *, session: Session, version_id: int | None = None) -> dict[str, dict]:
    """Per step as the drawing shows it: waiting now, passed, and at a branch how many went each way ("0", "1"...,
    "else": the outcome a branch's row records, "way 2: opened (s2)", read back)."""
    out: dict[str, dict] = {}
    for step_id, found in step_counts(journey_id, session=session, version_id=version_id).items():
        ways: dict[str, int] = {}
        for outcome, count in found["outcomes"].items():
            way = way_of(outcome)
            if way is not None:
                ways[way] = ways.get(way, 0) + count
        out[step_id] = {"waiting": found["waiting"], "passed": found["done"], "ways": ways}
    return out


def runs(journey_id: int, *, session: Session, visible: Select, status: str | None = None,
         step_id: str | None = None, after: int = 0, limit: int = 50) -> list[JourneyRun]:
    """A journey's runs of the leads `visible` holds (leads.visibility), newest first, by status or the step they
    are at; `after`: the last id of the page before."""
    lead_ids = visible.with_only_columns(Lead.id).order_by(None)
    query = select(JourneyRun).where(JourneyRun.journey_id == journey_id, JourneyRun.lead_id.in_(lead_ids))
    if status:
        query = query.where(JourneyRun.status == status)
    if step_id:
        query = query.where(JourneyRun.step_id == step_id)
    if after:
        query = query.where(JourneyRun.id < after)
    return list(session.scalars(query.order_by(JourneyRun.id.desc()).limit(min(max(limit, 1), 500))))
