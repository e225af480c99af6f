"""Journeys' decisions: create a journey and save its draft (validated), publish a draft as the live version, pause
and resume, and enrol leads (re-entry rules, each run's first step row), in the caller's transaction."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from leadflow import clock, events, outbox
from leadflow.db import insert_rows, insert_rows_returning
from leadflow.errors import Conflict, FieldError, Invalid, NotFound
from leadflow.journeys import flow
from leadflow.journeys.definition import Definition, DefinitionError, parse_definition
from leadflow.journeys.models import Journey, JourneyRun, JourneyStep, JourneyVersion
from leadflow.leads.models import Lead

CHUNK = 5000  # leads a transaction enrols (a segment or list: a worker job each)

_PARSED: dict[str, Definition] = {}


def ids_in(column, ids) -> object:
    """`column IN (1, 2, ...)` with the ids written into the statement (integers only): a thousand bound
    parameters cost SQLAlchemy more than the query costs the database."""
    return text(f"{column.table.name}.{column.name} IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})")


def definitions(version_ids, *, session: Session) -> dict[int, Definition]:
    """Versions' definitions in one query, each text parsed once per process (keyed by the text itself, so no
    cache outlives a change or mixes two databases)."""
    found: dict[int, Definition] = {}
    for version_id, raw in session.execute(select(JourneyVersion.id, JourneyVersion.definition)
                                           .where(JourneyVersion.id.in_(set(version_ids)))):
        text = json.dumps(raw, sort_keys=True)
        parsed = _PARSED.get(text)
        if parsed is None:
            if len(_PARSED) > 1000:
                _PARSED.clear()
            parsed = _PARSED[text] = parse_definition(raw)
        found[version_id] = parsed
    return found


def definition_of(version_id: int, *, session: Session) -> Definition:
    found = definitions([version_id], session=session).get(version_id)
    if found is None:
        raise NotFound("journey version", version_id)
    return found


def get(journey_id: int, *, session: Session) -> Journey:
    journey = session.get(Journey, journey_id)
    if journey is None:
        raise NotFound("journey", journey_id)
    return journey


def invalid(error: DefinitionError) -> Invalid:
    return Invalid([FieldError(f"definition.{p.path}", p.reason) for p in error.problems])


def check(definition: object):
    """The parsed definition, or Invalid naming each problem's step and field (`definition.steps.s2.template_id`)."""
    try:
        return parse_definition(definition)
    except DefinitionError as error:
        raise invalid(error) from None


def create(*, session: Session, name: str, definition: dict, description: str = "", actor: str = "system"
           ) -> Journey:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid.one("name", "is required (up to 200 characters)")
    if session.scalar(select(Journey.id).where(Journey.name == name)) is not None:
        raise Invalid.one("name", f"a journey named {name!r} exists")
    check(definition)
    moment = clock.now()
    journey = Journey(name=name, description=description or "", status="draft", created_by=actor,
                      created_at=moment, updated_at=moment)
    session.add(journey)
    session.flush()
    session.add(JourneyVersion(journey_id=journey.id, number=1, definition=definition, created_at=moment))
    session.flush()
    return journey


def draft(journey: Journey, *, session: Session) -> JourneyVersion:
    """The journey's working copy: its newest version when unpublished, else a new copy of the newest."""
    newest = session.scalar(select(JourneyVersion).where(JourneyVersion.journey_id == journey.id)
                            .order_by(JourneyVersion.number.desc()).limit(1))
    if newest is not None and newest.published_at is None:
        return newest
    copy = JourneyVersion(journey_id=journey.id, number=(newest.number + 1) if newest else 1,
                          definition=newest.definition if newest else {}, created_at=clock.now())
    session.add(copy)
    session.flush()
    return copy


def save_draft(journey: Journey, definition: dict, *, session: Session, actor: str = "system") -> JourneyVersion:
    check(definition)
    version = draft(journey, session=session)
    version.definition = definition
    journey.updated_at = clock.now()
    session.flush()
    return version


def publish(journey: Journey, *, session: Session, actor: str = "system") -> JourneyVersion:
    """The draft becomes the live version: new runs start on it; runs in flight finish on theirs."""
    if journey.status == "archived":
        raise Conflict("an archived journey cannot be published")
    version = draft(journey, session=session)
    check(version.definition)
    moment = clock.now()
    version.published_at, version.published_by = moment, actor
    journey.live_version_id = version.id
    if journey.status == "draft":
        journey.status = "live"
    journey.updated_at = moment
    session.flush()
    return version


def pause(journey: Journey, *, session: Session) -> Journey:
    """A paused journey's due steps wait (and it takes no new leads) until it is resumed."""
    if journey.status != "live":
        raise Conflict(f"only a live journey can be paused (this one is {journey.status})")
    journey.status, journey.updated_at = "paused", clock.now()
    session.flush()
    return journey


def resume(journey: Journey, *, session: Session) -> Journey:
    if journey.status != "paused":
        raise Conflict(f"only a paused journey can be resumed (this one is {journey.status})")
    journey.status, journey.updated_at = "live", clock.now()
    session.flush()
    return journey


def archive(journey: Journey, *, session: Session) -> Journey:
    """No new leads; runs in flight finish."""
    journey.status, journey.updated_at = "archived", clock.now()
    session.flush()
    return journey


def enrol(journey_id: int, lead_ids: list[int], *, session: Session, source: str = "by hand",
          moment: datetime | None = None) -> dict:
    """Put leads into a journey's live version (its re-entry rule decides who may enter again): one run each and
    its first step row. Returns {entered: [lead ids], refused: {lead id: why}}."""
    journey = get(journey_id, session=session)
    if journey.status not in ("live", "paused") or journey.live_version_id is None:
        raise Conflict(f"the journey {journey.name!r} is not live: publish it first")
    moment = moment or clock.now()
    definition = definition_of(journey.live_version_id, session=session)
    wanted = sorted({int(i) for i in lead_ids})
    entered: list[int] = []
    refused: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start:start + CHUNK]
        existing = set(session.scalars(select(Lead.id).where(ids_in(Lead.id, part), Lead.merged_into_id.is_(None))))
        before: dict[int, list[flow.PastRun]] = {}
        numbers: dict[int, int] = {}
        for lead_id, number, status, entered_at, ended_at in session.execute(
                select(JourneyRun.lead_id, JourneyRun.number, JourneyRun.status, JourneyRun.entered_at,
                       JourneyRun.ended_at)
                .where(JourneyRun.journey_id == journey_id, ids_in(JourneyRun.lead_id, part))):
            before.setdefault(lead_id, []).append(flow.PastRun(status, clock.as_utc(entered_at),
                                                               clock.as_utc(ended_at)))
            numbers[lead_id] = max(numbers.get(lead_id, 0), number)
        rows = []
        for lead_id in part:
            if lead_id not in existing:
                refused[lead_id] = "no such lead"
                continue
            why = flow.may_enter(definition.reentry, before.get(lead_id, []), moment)
            if why:
                refused[lead_id] = why
                continue
            rows.append({"journey_id": journey_id, "version_id": journey.live_version_id, "lead_id": lead_id,
                         "number": numbers.get(lead_id, 0) + 1, "status": "active", "step_id": definition.start,
                         "entered_at": moment, "entry": source[:200]})
        started = _insert_runs(rows, session=session)
        arrival = flow.start(definition, moment)
        insert_steps([
            {"run_id": run_id, "journey_id": journey_id, "step_id": arrival.step_id, "visit": 1,
             "created_at": moment, "due_at": arrival.due_at, "waits_for": list(arrival.waits_for) or None,
             "timeout_at": arrival.timeout_at} for run_id in started.values()], session=session)
        entered += sorted(started)
        for row in rows:
            if row["lead_id"] not in started:
                refused[row["lead_id"]] = "entered meanwhile"
    return {"entered": entered, "refused": refused}


def insert_steps(rows: list[dict], *, session: Session) -> None:
    """Step rows ({run_id, journey_id, step_id, visit, created_at, due_at, waits_for, timeout_at, done_at?,
    outcome?}) in one statement (db.insert_rows); a (run, step, visit) written before (a retried chunk) is
    skipped."""
    insert_rows(session, JourneyStep.__table__, rows, skip_conflicts_on=["run_id", "step_id", "visit"])


def _insert_runs(rows: list[dict], *, session: Session) -> dict[int, int]:
    """Insert-ignore on (journey, lead, number): lead id -> the new run's id (a lead entered by a concurrent
    transaction meanwhile is left out)."""
    if not rows:
        return {}
    return {lead_id: run_id for run_id, lead_id in insert_rows_returning(
        session, JourneyRun.__table__, rows, ["id", "lead_id"], skip_conflicts_on=["journey_id", "lead_id", "number"])}


def enrol_later(journey_id: int, source: str, *, session: Session) -> None:
    """Enrol a segment's members or a call list's leads a chunk at a time by the worker (`journey.enrol`);
    source: `segment:<id>` or `list:<id>`."""
    kind, _, ident = source.partition(":")
    if kind not in ("segment", "list") or not (ident.isascii() and ident.isdigit() and len(ident) < 19):
        raise Invalid.one("source", "must be segment:<id> or list:<id>")
    # Checked now, not by the worker: an unknown segment or list, or a journey not live, would be a job that fails
    # for ever in the background while the person was told "enrolling".
    journey = get(journey_id, session=session)
    if journey.status not in ("live", "paused") or journey.live_version_id is None:
        raise Conflict(f"the journey {journey.name!r} is not live: publish it first")
    if kind == "segment":
        from leadflow.segments import queries as segments_queries

        try:
            segments_queries.get(int(ident), session=session)
        except NotFound:
            raise Invalid.one("segment_id", f"no segment has the number {ident}") from None
    else:
        from leadflow.people.models import CallList

        if session.get(CallList, int(ident)) is None:
            raise Invalid.one("list_id", f"no call list has the number {ident}")
    outbox.publish(session, events.JOURNEY_ENROL, {"journey_id": journey_id, "source": source, "after": 0},
                   key=f"{events.JOURNEY_ENROL}:{journey_id}:{source}:{clock.now().isoformat()}")


def enrol_step(journey_id: int, source: str, after: int, *, session: Session) -> int | None:
    """One chunk of an enrolment: the next leads after `after` enrolled, the next chunk queued. Returns the last
    lead id, None when done."""
    kind, _, ident = source.partition(":")
    if kind == "segment":
        from leadflow.segments import queries as segments_queries

        ids = segments_queries.member_ids(int(ident), session=session, after=after, limit=CHUNK)
    else:
        from leadflow.people.models import CallListLead

        ids = list(session.scalars(select(CallListLead.lead_id).where(
            CallListLead.call_list_id == int(ident), CallListLead.lead_id > after)
            .order_by(CallListLead.lead_id).limit(CHUNK)))
    if not ids:
        return None
    enrol(journey_id, ids, session=session, source=f"{kind} {ident}")
    outbox.publish_once(session, events.JOURNEY_ENROL, {"journey_id": journey_id, "source": source,
                                                        "after": ids[-1]},
                        key=f"{events.JOURNEY_ENROL}:{journey_id}:{source}:{ids[-1]}:{clock.now().isoformat()}")
    return ids[-1]


def end_runs(run_ids: list[int], status: str, reason: str, *, session: Session) -> None:
    """End runs (a goal reached outside a step): their waiting rows done with the reason."""
    if not run_ids:
        return
    moment = clock.now()
    session.execute(update(JourneyRun).where(JourneyRun.id.in_(run_ids), JourneyRun.status == "active")
                    .values(status=status, ended_at=moment, end_reason=reason[:300])
                    .execution_options(synchronize_session=False))
    session.execute(update(JourneyStep).where(JourneyStep.run_id.in_(run_ids), JourneyStep.done_at.is_(None))
                    .values(done_at=moment, outcome=reason[:300]).execution_options(synchronize_session=False))


def count_versions(journey_id: int, *, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(JourneyVersion)
                          .where(JourneyVersion.journey_id == journey_id)) or 0
