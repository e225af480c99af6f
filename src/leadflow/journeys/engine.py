"""The journeys' engine: passes that claim due step rows a chunk at a time (PostgreSQL: FOR UPDATE SKIP LOCKED, so
several workers share them; SQLite: the write lock), decide each with flow.py, perform the chunk's actions in bulk,
mark the rows done and write the next ones in the same transaction: a pass killed mid-chunk leaves nothing done.
`journey.tick` books itself every TICK_SECONDS and publishes extra `journey.pass` messages when more than a chunk
is due."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from leadflow import clock, db, events, outbox
from leadflow.journeys import actions, flow
from leadflow.journeys.definition import Definition
from leadflow.journeys.models import Journey, JourneyRun, JourneyStep
from leadflow.journeys.service import definitions, ids_in, insert_steps

log = logging.getLogger(__name__)

CHUNK = 1000
TICK_SECONDS = 5
MAX_CHUNKS = 100  # a pass does at most this many chunks; the next tick (or pass) goes on
MAX_FAN_OUT = 8  # extra passes a tick publishes when much is due
CHAIN_ROUNDS = 20  # steps due now run in the same chunk, up to this many in a row; the rest wait for a claim


@dataclass
class Due:
    id: int | None  # None: a row this chunk wrote and runs at once (chained), inserted already done
    run_id: int
    step_id: str
    visit: int
    created_at: datetime
    due_at: datetime


@dataclass
class Chunk:
    """What a chunk's rows become: the rows done (by outcome), re-armed, the next rows (chained ones already done),
    the runs' new state."""

    done: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    rearmed: list[dict] = field(default_factory=list)
    next_rows: list[dict] = field(default_factory=list)
    moved: dict[int, str] = field(default_factory=dict)  # run -> the step it now waits at
    ended: dict[tuple[str, str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    visits: dict[int, dict] = field(default_factory=dict)
    loops: dict[int, frozenset[str]] = field(default_factory=dict)  # id of a definition -> its steps on a loop
    chained: list[Due] = field(default_factory=list)  # rows due now, run in the chunk's next round
    chained_rows: dict[int, dict] = field(default_factory=dict)  # run -> the row of its chained step (next round)
    current_rows: dict[int, dict] = field(default_factory=dict)  # run -> the row of its chained step (this round)


def paused_journeys(*, session: Session) -> list[int]:
    return list(session.scalars(select(Journey.id).where(Journey.status == "paused")))


def claim(*, session: Session, limit: int = CHUNK, moment: datetime | None = None) -> list[Due]:
    """Up to `limit` due rows, earliest first, held by this transaction until it ends (a paused journey's wait).
    The partial index on due_at (done_at IS NULL) serves the ORDER BY due_at LIMIT."""
    db.begin_write(session)
    moment = moment or clock.now()
    query = (select(JourneyStep.id, JourneyStep.run_id, JourneyStep.step_id, JourneyStep.visit,
                    JourneyStep.created_at, JourneyStep.due_at)
             .where(JourneyStep.done_at.is_(None), JourneyStep.due_at <= moment)
             .order_by(JourneyStep.due_at).limit(limit))
    paused = paused_journeys(session=session)
    if paused:
        query = query.where(JourneyStep.journey_id.not_in(paused))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=JourneyStep)
    return [Due(*row) for row in session.execute(query).all()]


def due_count(*, session: Session, moment: datetime | None = None, cap: int = CHUNK * (MAX_FAN_OUT + 1)) -> int:
    """How many rows are due (counted up to `cap`)."""
    moment = moment or clock.now()
    inner = (select(JourneyStep.id).where(JourneyStep.done_at.is_(None), JourneyStep.due_at <= moment).limit(cap)
             .subquery())
    return session.scalar(select(func.count()).select_from(inner)) or 0


def run_chunk(rows: list[Due], *, session: Session, moment: datetime | None = None) -> int:
    """Decide and perform the claimed rows, and the steps they make due now (chained: a round per step, up to
    CHAIN_ROUNDS); returns how many claimed rows were done."""
    moment = moment or clock.now()
    if not rows:
        return 0
    runs = {run.id: run for run in session.execute(
        select(JourneyRun.id, JourneyRun.journey_id, JourneyRun.version_id, JourneyRun.lead_id, JourneyRun.status,
               JourneyRun.entered_at, JourneyRun.visits).where(ids_in(JourneyRun.id, {r.run_id for r in rows})))}
    parsed = definitions({run.version_id for run in runs.values()}, session=session)
    chunk = Chunk(loops={id(d): flow.on_loop(d) for d in parsed.values()})
    current = rows
    for _ in range(CHAIN_ROUNDS):
        _round(current, runs, parsed, chunk, session=session, moment=moment)
        current, chunk.chained = chunk.chained, []
        chunk.current_rows, chunk.chained_rows = chunk.chained_rows, {}
        if not current:
            break
    _write(chunk, session=session, moment=moment)
    return len(rows)


def _round(rows: list[Due], runs: dict, parsed: dict[int, Definition], chunk: Chunk, *, session: Session,
           moment: datetime) -> None:
    live: list[tuple[Due, object, Definition]] = []
    for row in rows:
        run = runs.get(row.run_id)
        if run is None or run.status != "active":
            chunk.done["the run had ended"].append(row.id)
            continue
        live.append((row, run, parsed[run.version_id]))
    facts = actions.load_facts(live, session=session)
    todo: dict[str, list[actions.Work]] = defaultdict(list)
    for row, run, definition in live:
        decision = flow.step(definition, row.step_id, facts.of(row, run), moment)
        if decision.action == "keep_waiting":
            if row.id is None:  # a chained row stays pending: written not done, due then
                chunk.current_rows[run.id]["due_at"] = decision.due_at
                chunk.moved[run.id] = row.step_id
            else:
                chunk.rearmed.append({"b_id": row.id, "b_due_at": decision.due_at})
            continue
        work = actions.Work(row.id, run.id, run.lead_id, run.journey_id, row.step_id, row.visit,
                            definition.step(row.step_id), decision)
        if decision.action in flow.ACTIONS:
            todo[decision.action].append(work)
        else:
            _follow(work, run, definition, chunk, moment)
    for action, works in todo.items():
        actions.perform(action, works, session=session, moment=moment)
        for work in works:
            run = runs[work.run_id]
            _follow(work, run, parsed[run.version_id], chunk, moment)


def _follow(work: actions.Work, run, definition: Definition, chunk: Chunk, moment: datetime) -> None:
    """The row done with its outcome; the run moved to the next step (its row written; run in the next round
    when due now) or ended."""
    decision = work.decision
    outcome = (work.outcome or decision.outcome)[:300]
    if work.row_id is None:
        chunk.current_rows[run.id].update(done_at=moment, outcome=outcome)
    else:
        chunk.done[outcome].append(work.row_id)
    if decision.next is None:
        chunk.moved.pop(run.id, None)
        chunk.ended[(decision.end or "done", work.step_id, outcome)].append(run.id)
        return
    arrival = decision.next
    visit = 1
    if arrival.step_id in chunk.loops.get(id(definition), ()):
        visits = dict(chunk.visits.get(run.id) or run.visits or {})
        visit = int(visits.get(arrival.step_id, 1 if arrival.step_id == work.step_id else 0)) + 1
        visits[arrival.step_id] = visit
        if visit > flow.MAX_VISITS:
            chunk.moved.pop(run.id, None)
            chunk.ended[("exited", work.step_id, f"went round {arrival.step_id} {flow.MAX_VISITS} times")].append(
                run.id)
            return
        chunk.visits[run.id] = visits
    row = {"run_id": run.id, "journey_id": run.journey_id, "step_id": arrival.step_id, "visit": visit,
           "created_at": moment, "due_at": arrival.due_at, "waits_for": list(arrival.waits_for) or None,
           "timeout_at": arrival.timeout_at, "done_at": None, "outcome": None}
    chunk.next_rows.append(row)
    chunk.moved[run.id] = arrival.step_id
    if arrival.due_at <= moment and not arrival.waits_for:
        chunk.chained.append(Due(None, run.id, arrival.step_id, visit, moment, arrival.due_at))
        chunk.chained_rows[run.id] = row


def _write(chunk: Chunk, *, session: Session, moment: datetime) -> None:
    """A few statements for the whole chunk: rows done grouped by outcome, the next rows (insert-ignore on the
    unique key; chained ones already done), runs moved grouped by step, runs ended grouped by how."""
    steps = JourneyStep.__table__
    for outcome, ids in chunk.done.items():
        for part in _parts(ids):
            session.execute(update(steps).where(ids_in(steps.c.id, part), steps.c.done_at.is_(None))
                            .values(done_at=moment, outcome=outcome))
    if chunk.rearmed:
        session.execute(update(steps).where(steps.c.id == bindparam("b_id")).values(due_at=bindparam("b_due_at")),
                        chunk.rearmed)
    insert_steps(chunk.next_rows, session=session)
    runs = JourneyRun.__table__
    moved: dict[str, list[int]] = defaultdict(list)
    for run_id, step_id in chunk.moved.items():
        moved[step_id].append(run_id)
    for step_id, ids in moved.items():
        for part in _parts(ids):
            session.execute(update(runs).where(ids_in(runs.c.id, part)).values(step_id=step_id))
    for (status, step_id, reason), ids in chunk.ended.items():
        for part in _parts(ids):
            session.execute(update(runs).where(ids_in(runs.c.id, part), runs.c.status == "active")
                            .values(status=status, step_id=step_id, ended_at=moment, end_reason=reason))
    if chunk.visits:
        session.execute(update(runs).where(runs.c.id == bindparam("b_id")).values(visits=bindparam("b_visits")),
                        [{"b_id": run_id, "b_visits": visits} for run_id, visits in chunk.visits.items()])


def _parts(ids: list[int], size: int = 5000):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def run_pass(factory, *, limit: int = CHUNK, max_chunks: int | None = MAX_CHUNKS, progress=None) -> int:
    """Due rows a chunk per transaction until none is due (or `max_chunks` were done); rows a step makes due now
    (the next action after a branch) are taken by the same pass. Returns how many rows were done."""
    total, chunks = 0, 0
    while max_chunks is None or chunks < max_chunks:
        with factory() as own:
            rows = claim(session=own, limit=limit)
            if not rows:
                own.commit()
                return total
            run_chunk(rows, session=own)
            own.commit()
        total += len(rows)
        chunks += 1
        if progress:
            progress(len(rows))
    return total


def schedule_tick(*, session: Session, moment: datetime | None = None, seconds: int = TICK_SECONDS) -> bool:
    """Book the tick at the next multiple of `seconds` (once per slot, whoever books it: the outbox key)."""
    moment = moment or clock.now()
    slot = (int(moment.timestamp()) // seconds + 1) * seconds
    at = datetime.fromtimestamp(slot, UTC)
    return outbox.publish_once(session, events.JOURNEY_TICK, {"at": at.isoformat()},
                               key=f"{events.JOURNEY_TICK}:{slot}", available_at=at)


def fan_out(*, session: Session, moment: datetime | None = None) -> int:
    """Publish extra passes when more than a chunk is due, so idle workers share the work. Returns how many."""
    moment = moment or clock.now()
    due = due_count(session=session, moment=moment)
    extra = min(MAX_FAN_OUT, max(0, due // CHUNK - 1))
    for n in range(extra):
        outbox.publish_once(session, events.JOURNEY_PASS, {"at": moment.isoformat(), "n": n},
                            key=f"{events.JOURNEY_PASS}:{int(moment.timestamp())}:{n}")
    return extra


def lease() -> timedelta:
    return timedelta(minutes=5)
