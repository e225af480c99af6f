"""The journeys benchmark's floor: the same number of step rows written and claimed as the journey makes, with no
logic. One row per lead for its first step, then, claim by claim (chunks of 1,000: FOR UPDATE SKIP LOCKED on
PostgreSQL, the write lock on SQLite), each claimed row marked done and its next step's row written, until every
lead has been through its five steps. The same workers as the measured run."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime

from sqlalchemy import text

from leadflow import db

STEPS = 5
CHUNK = 1_000

_DDL = {
    "sqlite": ["CREATE TABLE bench_floor_steps (id INTEGER PRIMARY KEY, run_id BIGINT NOT NULL, step INTEGER NOT NULL, "
               "due_at TIMESTAMP NOT NULL, done_at TIMESTAMP, locked_until TIMESTAMP, UNIQUE (run_id, step))",
               "CREATE INDEX ix_bench_floor_due ON bench_floor_steps (due_at) WHERE done_at IS NULL"],
    "postgresql": ["CREATE TABLE bench_floor_steps (id BIGSERIAL PRIMARY KEY, run_id BIGINT NOT NULL, "
                   "step INTEGER NOT NULL, due_at TIMESTAMPTZ NOT NULL, done_at TIMESTAMPTZ, "
                   "locked_until TIMESTAMPTZ, UNIQUE (run_id, step))",
                   "CREATE INDEX ix_bench_floor_due ON bench_floor_steps (due_at) WHERE done_at IS NULL"],
}


def _engine(url: str):
    """leadflow's own engine (on SQLite: WAL, and every transaction begins with the write lock, as the worker's)."""
    return db.make_engine(url, pool_size=1)


def _write_first(url: str, runs: int, moment: datetime) -> None:
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            for statement in _DDL[engine.dialect.name]:
                conn.execute(text(statement))
            insert = text("INSERT INTO bench_floor_steps (run_id, step, due_at) VALUES (:r, 1, :d)")
            for start in range(0, runs, 10_000):
                conn.execute(insert, [{"r": r, "d": moment} for r in range(start + 1, min(runs, start + 10_000) + 1)])
    finally:
        engine.dispose()


def _claim_loop(url: str, moment: datetime) -> int:
    """One worker: claim, mark done, write the next steps, commit; until nothing is due. Returns the rows it did."""
    engine = _engine(url)
    done = 0
    postgres = engine.dialect.name == "postgresql"
    claim = text("SELECT id, run_id, step FROM bench_floor_steps WHERE done_at IS NULL AND due_at <= :m "
                 "ORDER BY due_at LIMIT :n" + (" FOR UPDATE SKIP LOCKED" if postgres else ""))
    try:
        while True:
            with engine.begin() as conn:
                rows = conn.execute(claim, {"m": moment, "n": CHUNK}).all()
                if not rows:
                    return done
                ids = [r.id for r in rows]
                conn.execute(text("UPDATE bench_floor_steps SET done_at = :m WHERE id IN (" +
                                  ", ".join(str(i) for i in ids) + ")"), {"m": moment})
                following = [{"r": r.run_id, "s": r.step + 1, "d": moment} for r in rows if r.step < STEPS]
                if following:
                    conn.execute(text("INSERT INTO bench_floor_steps (run_id, step, due_at) VALUES (:r, :s, :d)"),
                                 following)
                done += len(rows)
    finally:
        engine.dispose()


def _worker(url: str, moment: datetime, results) -> None:
    results.put(_claim_loop(url, moment))


def run(url: str, runs: int, workers: int) -> dict:
    """Time the floor: the first rows written, then `workers` processes claiming until every step is done."""
    moment = datetime.now(UTC)
    started = time.perf_counter()
    _write_first(url, runs, moment)
    written = time.perf_counter() - started
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=_worker, args=(url, moment, results)) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    if any(process.exitcode for process in processes):
        raise RuntimeError(f"a worker process failed (exit codes {[p.exitcode for p in processes]}): see above")
    counts = [results.get(timeout=60) for _ in processes]
    elapsed = time.perf_counter() - started
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*), count(DISTINCT run_id) FROM bench_floor_steps")).one()
            pending = conn.execute(text("SELECT count(*) FROM bench_floor_steps WHERE done_at IS NULL")).scalar()
    finally:
        engine.dispose()
    return {"floor_s": round(elapsed, 2), "floor_write_first_s": round(written, 2), "floor_rows": rows[0],
            "floor_runs": rows[1], "floor_pending": pending, "floor_per_worker": counts}
