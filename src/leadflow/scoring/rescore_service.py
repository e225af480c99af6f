"""A full rescore with every core (`leadflow rescore`): the leads split by id into parts, one process per part
working through its chunks (read, replay, write, commit), the parent keeping the run's progress and resume points.

Each chunk is read in one transaction and written in another that declares its write first (SQLite: BEGIN
IMMEDIATE, so the processes take turns at the write lock instead of failing on a stale snapshot). The parent alone
writes the ScoringRun: `result.parts` holds each part's resume point and `last_lead_id` the point below which
every lead is done, so a crashed run resumes per part here, or from `last_lead_id` in the worker's single-process
`run_step`.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue as queue_mod
import traceback
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadflow import clock, db
from leadflow.leads.models import Lead
from leadflow.scoring import rules, sources
from leadflow.scoring import service as scoring_service
from leadflow.scoring.models import RuleSet, ScoringRun

CHUNK = 5000
PARALLEL_FROM = 20_000  # fewer leads than this: one process (starting another costs about a second)
_POLL_S = 2.0


def default_processes() -> int:
    return max(1, min(2, multiprocessing.cpu_count()))


def rescore(factory: sessionmaker, url: str, run_id: int, *, processes: int | None = None, size: int = CHUNK,
            progress: Callable[[int], None] | None = None) -> ScoringRun:
    """Work a rescore run through to its end (or until another rule set is activated); returns the run as it ends.
    `progress` is called with the number of leads of each chunk written."""
    processes = default_processes() if processes is None else max(1, processes)
    with factory() as session:
        run = session.get(ScoringRun, run_id)
        rule_set = session.get(RuleSet, run.rule_set_id) if run.rule_set_id else None
        if _superseded(run, rule_set, session=session):
            session.commit()
            return run
        memory = url.startswith("sqlite") and (":memory:" in url or url in ("sqlite://", "sqlite:///"))
        parts = _parts(run, 1 if memory else processes, session=session)
        run.status = "running"
        run.result = {**(run.result or {}), "parts": parts}
        session.commit()
        moment = clock.now()  # every chunk's decay as of the same moment
        rule_set_id = rule_set.id
    todo = [i for i, part in enumerate(parts) if not part.get("finished")]
    if len(todo) == 1:
        messages = _in_process(factory, rule_set_id, todo[0], parts[todo[0]], size, moment)
        return _follow(factory, run_id, messages, progress, stop=None)
    context = multiprocessing.get_context("spawn")
    messages_queue = context.Queue()
    stop = context.Event()
    workers = [context.Process(target=_work, args=(url, rule_set_id, i, parts[i], size, moment, messages_queue, stop,
                                                       sources.current()),
                               name=f"leadflow-rescore-{i}", daemon=True) for i in todo]
    for worker in workers:
        worker.start()
    try:
        return _follow(factory, run_id, _from_queue(messages_queue, workers), progress, stop=stop)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.terminate()
                worker.join()


def _superseded(run: ScoringRun, rule_set: RuleSet | None, *, session: Session) -> bool:
    if run.status in ("done", "failed", "superseded"):
        return True
    if rule_set is None or rule_set.status != "active":
        run.status, run.finished_at = "superseded", clock.now()
        run.error = "another rule set was activated before this rescore finished"
        return True
    return False


def _parts(run: ScoringRun, processes: int, *, session: Session) -> list[dict]:
    """The parts of the id range still to do: the run's own when it is resumed, else the leads after its
    last_lead_id split in equal counts. A part covers ids in (after, high]; high None: to the end."""
    existing = (run.result or {}).get("parts")
    if existing:
        return [dict(part) for part in existing]
    after = run.last_lead_id or 0
    alive = (Lead.id > after, Lead.merged_into_id.is_(None))
    left = session.scalar(select(func.count()).select_from(Lead).where(*alive)) or 0
    count = processes if left >= PARALLEL_FROM else 1
    bounds = [after]
    for k in range(1, count):
        bounds.append(session.scalar(select(Lead.id).where(*alive).order_by(Lead.id).offset(left * k // count - 1)
                                     .limit(1)))
    highs = [*bounds[1:], None]
    return [{"after": low, "high": high, "finished": False} for low, high in zip(bounds, highs, strict=True)]


def _chunks(factory: sessionmaker, rule_set_id: int, part: dict, size: int, moment: datetime,
            stopped: Callable[[], bool]):
    """Rescore one part chunk by chunk, each written and committed; yields (last id, leads, changed) per chunk."""
    with db.reading(factory)() as session:
        definition = session.scalar(select(RuleSet.definition).where(RuleSet.id == rule_set_id))
    compiled = rules.parse(definition)
    after, high = part["after"], part["high"]
    reads = db.reading(factory)
    while not stopped():
        with reads() as session:  # the reads and the scoring hold no write lock; the write is short
            query = select(Lead.id).where(Lead.id > after, Lead.merged_into_id.is_(None))
            if high is not None:
                query = query.where(Lead.id <= high)
            ids = list(session.scalars(query.order_by(Lead.id).limit(size)))
            if not ids:
                return
            before, outcomes = scoring_service.score_chunk(compiled, ids, session=session, by_range=True, at=moment)
            rows = scoring_service.encode_chunk(rule_set_id, outcomes, before, session=session, moment=moment)
        with factory() as session:
            changed = scoring_service.write_rows(rows, session=session)
            session.commit()
        after = ids[-1]
        yield after, len(ids), len(changed)


def _in_process(factory: sessionmaker, rule_set_id: int, index: int, part: dict, size: int, moment: datetime):
    for last, leads, changed in _chunks(factory, rule_set_id, part, size, moment, lambda: False):
        yield ("chunk", index, last, leads, changed)
    yield ("finished", index)


def _work(url: str, rule_set_id: int, index: int, part: dict, size: int, moment: datetime, messages, stop,
          readers: sources.Sources) -> None:
    """A worker process: its own engine, its part's chunks, a message to the parent after each commit (the readers
    of other stages' data are the parent's, handed over: a spawned process has assembled nothing)."""
    sources.provide(readers)
    gc.collect()
    gc.freeze()  # the imports live as long as the process: out of the collector's full passes (bench/rescore.py)
    engine = db.make_engine(url, pool_size=2)
    try:
        factory = db.make_sessionmaker(engine)
        for last, leads, changed in _chunks(factory, rule_set_id, part, size, moment, stop.is_set):
            messages.put(("chunk", index, last, leads, changed))
        messages.put(("finished", index))
    except Exception:  # the parent fails the run with it
        messages.put(("error", index, traceback.format_exc()[-2000:]))
        raise
    finally:
        engine.dispose()


def _from_queue(messages, workers):
    """The workers' messages until each has finished; a worker that dies without a word is an error too."""
    open_parts = len(workers)
    while open_parts:
        try:
            message = messages.get(timeout=_POLL_S)
        except queue_mod.Empty:
            dead = [w for w in workers if not w.is_alive() and w.exitcode not in (0, None)]
            if dead:
                yield ("error", None, f"rescore process {dead[0].name} exited with code {dead[0].exitcode}")
                return
            continue
        if message[0] in ("finished", "error"):
            open_parts -= 1
        yield message


def _follow(factory: sessionmaker, run_id: int, messages, progress: Callable[[int], None] | None,
            stop) -> ScoringRun:
    """Record each chunk on the run as it is committed; fail the run on an error; stop on a newer rule set."""
    for message in messages:
        with factory() as session:
            run = session.get(ScoringRun, run_id)
            result = dict(run.result or {})
            parts = [dict(part) for part in result.get("parts", [])]
            if message[0] == "error":
                run.status, run.finished_at = "failed", clock.now()
                run.error = message[2]
                session.commit()
                return run
            index = message[1]
            if message[0] == "chunk":
                _, _, last, leads, changed = message
                parts[index]["after"] = last
                run.done += leads
                result["changed"] = result.get("changed", 0) + changed
                if progress is not None:
                    progress(leads)
            else:
                parts[index]["finished"] = True
            result["parts"] = parts
            run.result = result
            run.last_lead_id = _resume_point(parts, run.last_lead_id)
            rule_set = session.get(RuleSet, run.rule_set_id) if run.rule_set_id else None
            if _superseded(run, rule_set, session=session):
                if stop is not None:
                    stop.set()
                session.commit()
                return run
            if all(part["finished"] for part in parts):
                scoring_service.finish_run(run, session=session)
            session.commit()
    with factory() as session:
        return session.get(ScoringRun, run_id)


def _resume_point(parts: list[dict], current: int) -> int:
    """Every lead up to this id is done: the first unfinished part's progress (parts are in id order)."""
    point = current or 0
    for part in parts:
        if not part["finished"]:
            return max(point, part["after"])
        point = max(point, part["high"] or part["after"])
    return point
