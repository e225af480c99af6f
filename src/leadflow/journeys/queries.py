"""Reads of journeys with no decision: the list with each journey's leads active and done, one journey's versions,
the counts per step (waiting now, passed, went each way) from the step rows, and the runs of a journey."""

from __future__ import annotations

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from leadflow.errors import NotFound
from leadflow.journeys.models import Journey, JourneyRun, JourneyStep, JourneyVersion
from leadflow.journeys.simulate import way_of
from leadflow.leads.models import Lead


def get(journey_id: int, *, session: Session) -> Journey:
    journey = session.get(Journey, journey_id)
    if journey is None:
        raise NotFound("journey", journey_id)
    return journey


def listing(*, session: Session) -> list[dict]:
    """Every journey with its live version's number, its draft (if newer), and its leads active and ended."""
    journeys = session.scalars(select(Journey).order_by(Journey.name)).all()
    numbers = dict(session.execute(select(JourneyVersion.id, JourneyVersion.number)
                                   .where(JourneyVersion.id.in_([j.live_version_id for j in journeys
                                                                 if j.live_version_id]))).all())
    drafts = set(session.scalars(select(JourneyVersion.journey_id).where(JourneyVersion.published_at.is_(None))))
    runs = run_counts([j.id for j in journeys], session=session)
    return [{"id": j.id, "name": j.name, "description": j.description, "status": j.status,
             "live_version": numbers.get(j.live_version_id), "has_draft": j.id in drafts,
             "updated_at": j.updated_at, **runs.get(j.id, _no_runs())} for j in journeys]


def _no_runs() -> dict:
    return {"active": 0, "done": 0, "exited": 0, "goal": 0}


def run_counts(journey_ids: list[int], *, session: Session) -> dict[int, dict[str, int]]:
    if not journey_ids:
        return {}
    rows = session.execute(select(JourneyRun.journey_id, JourneyRun.status, func.count())
                           .where(JourneyRun.journey_id.in_(journey_ids))
                           .group_by(JourneyRun.journey_id, JourneyRun.status)).all()
    out: dict[int, dict[str, int]] = {}
    for journey_id, status, n in rows:
        out.setdefault(journey_id, _no_runs())[status] = n
    return out


def versions(journey_id: int, *, session: Session) -> list[JourneyVersion]:
    return list(session.scalars(select(JourneyVersion).where(JourneyVersion.journey_id == journey_id)
                                .order_by(JourneyVersion.number.desc())))


def draft(journey_id: int, *, session: Session) -> JourneyVersion | None:
    """The journey's working copy: its newest unpublished version, if it is newer than every published one."""
    newest = session.scalars(select(JourneyVersion).where(JourneyVersion.journey_id == journey_id)
                             .order_by(JourneyVersion.number.desc()).limit(1)).first()
    return newest if newest is not None and newest.published_at is None else None


def version(journey_id: int, number: int, *, session: Session) -> JourneyVersion:
    found = session.scalars(select(JourneyVersion).where(JourneyVersion.journey_id == journey_id,
                                                         JourneyVersion.number == number)).first()
    if found is None:
        raise NotFound("version", number)
    return found


def step_counts(journey_id: int, *, session: Session, version_id: int | None = None) -> dict[str, dict]:
    """Per step: runs waiting at it now, runs that passed it, and (branches) how many went each way ("0", "1"...,
    "else"), over every version of the journey or one."""
    query = (select(JourneyStep.step_id, JourneyStep.outcome,
                    func.sum(case((JourneyStep.done_at.is_(None), 1), else_=0)),
                    func.sum(case((JourneyStep.done_at.is_not(None), 1), else_=0)))
             .where(JourneyStep.journey_id == journey_id)
             .group_by(JourneyStep.step_id, JourneyStep.outcome))
    if version_id is not None:
        query = query.join(JourneyRun, JourneyRun.id == JourneyStep.run_id).where(JourneyRun.version_id == version_id)
    out: dict[str, dict] = {}
    for step_id, outcome, waiting, passed in session.execute(query):
        counts = out.setdefault(step_id, {"waiting": 0, "passed": 0, "ways": {}})
        counts["waiting"] += int(waiting or 0)
        counts["passed"] += int(passed or 0)
        way = way_of(outcome or "") if passed else None
        if way is not None:
            counts["ways"][way] = counts["ways"].get(way, 0) + int(passed)
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
