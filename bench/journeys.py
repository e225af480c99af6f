"""Journeys at scale: 1,000,000 leads through a five-step journey (send an email; wait seven days; branch on whether
it was opened; add points to those who opened it, mark the others `custom.nurture = cold`; exit), on PostgreSQL with
several worker processes and on SQLite with one, beside a floor: the same number of step rows written and claimed
with no logic (bench/journeys_floor.py). Between the week's two halves the clock moves on seven days and 30 % of the
emails are marked opened (as tracking's pixel would). Checked: every run done, five step rows each, one email per
lead, every branch taken as its facts say; nothing twice (the unique keys hold)."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import journeys_floor
from bench.databases import BenchDatabase, copy_sqlite, postgres_reachable
from bench.seed import cached_sqlite, seed_leads

OPENED = 0.30
WEEK = timedelta(days=7, minutes=1)


@dataclass
class Plan:
    leads: int = 1_000_000
    postgres_workers: int = 4
    # BENCH_JOURNEYS_ONLY=sqlite or postgresql: one database only (a re-run of one side after a change)
    only: str | None = field(default_factory=lambda: os.environ.get("BENCH_JOURNEYS_ONLY") or None)

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=20_000, postgres_workers=2)

    def runs(self, dialect: str) -> bool:
        return self.only in (None, dialect)


def definition(template_id: int) -> dict:
    return {
        "entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "goals": [], "start": "mail",
        "steps": [
            {"id": "mail", "type": "send_email", "name": "The brochure email", "template_id": template_id,
             "next": "week"},
            {"id": "week", "type": "wait", "name": "A week", "duration": "P7D", "next": "opened"},
            {"id": "opened", "type": "branch", "name": "Opened?",
             "branches": [{"when": {"happened": "opened", "step": "mail"}, "next": "points"}], "else": "cold"},
            {"id": "points", "type": "add_points", "name": "Points for opening", "points": 5,
             "reason": "opened the brochure email", "next": "end"},
            {"id": "cold", "type": "set_field", "name": "Mark cold", "field": "custom.nurture", "value": "cold",
             "next": "end"},
            {"id": "end", "type": "exit", "name": "Done"},
        ],
    }


def _setup(url: str) -> int:
    """An email template and the journey, published (not timed)."""
    from leadflow import db
    from leadflow.email.models import EmailTemplate
    from leadflow.journeys import service

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            template = EmailTemplate(name="Bench brochure", subject="Your brochure, {{ first_name }}",
                                     body_mjml="<mjml><mj-body><mj-section><mj-column><mj-text>Hello "
                                               "{{ first_name | default('there') }}</mj-text></mj-column>"
                                               "</mj-section></mj-body></mjml>", purpose="marketing")
            session.add(template)
            session.flush()
            journey = service.create(session=session, name="Bench journey", definition=definition(template.id),
                                     actor="bench")
            service.publish(journey, session=session, actor="bench")
            session.commit()
            return journey.id
    finally:
        engine.dispose()


def _enrol(url: str, journey_id: int, leads: int) -> float:
    from sqlalchemy import select

    from leadflow import db
    from leadflow.journeys import service
    from leadflow.leads.models import Lead

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            ids = list(session.scalars(select(Lead.id).order_by(Lead.id)))
        assert len(ids) == leads, (len(ids), leads)
        started = time.perf_counter()
        for start in range(0, len(ids), service.CHUNK):
            with factory() as session:
                service.enrol(journey_id, ids[start:start + service.CHUNK], session=session, source="bench")
                session.commit()
        return time.perf_counter() - started
    finally:
        engine.dispose()


def _work(url: str, offset_s: float, results) -> None:
    """One worker process: the engine's claimed passes until nothing is due, on a clock `offset_s` ahead."""
    from leadflow import clock, db, stages
    from leadflow.journeys import engine as journey_engine
    from leadflow.settings import get_settings

    get_settings()
    stages.wire()  # as the worker is assembled
    clock.set_clock(lambda: datetime.now(UTC) + timedelta(seconds=offset_s))
    engine = db.make_engine(url, pool_size=2)
    factory = db.make_sessionmaker(engine)
    try:
        results.put(journey_engine.run_pass(factory, max_chunks=None))
    finally:
        engine.dispose()


def _passes(url: str, workers: int, offset: timedelta) -> tuple[float, list[int]]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    started = time.perf_counter()
    processes = [context.Process(target=_work, args=(url, offset.total_seconds(), results)) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    if any(process.exitcode for process in processes):
        raise RuntimeError(f"a worker process failed (exit codes {[p.exitcode for p in processes]}): see above")
    done = [results.get(timeout=60) for _ in processes]
    return time.perf_counter() - started, done


def _open_some(url: str) -> int:
    """30 % of the week's emails opened, as tracking records an open on its message (not timed)."""
    from sqlalchemy import create_engine, text

    from leadflow import db

    engine = create_engine(db.normalize_url(url))
    try:
        with engine.begin() as conn:
            return conn.execute(text("UPDATE email_messages SET opened_at = queued_at WHERE id % 10 < :n"),
                                {"n": int(OPENED * 10)}).rowcount
    finally:
        engine.dispose()


def _checks(url: str) -> dict:
    from sqlalchemy import create_engine, text

    from leadflow import db

    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            def one(sql: str) -> int:
                return conn.execute(text(sql)).scalar()

            return {
                "runs": one("SELECT count(*) FROM journey_runs"),
                "runs_done": one("SELECT count(*) FROM journey_runs WHERE status IN ('done', 'exited')"),
                "step_rows": one("SELECT count(*) FROM journey_steps"),
                "steps_pending": one("SELECT count(*) FROM journey_steps WHERE done_at IS NULL"),
                "runs_not_five": one("SELECT count(*) FROM (SELECT run_id FROM journey_steps GROUP BY run_id "
                                     "HAVING count(*) <> 5) odd"),
                "emails": one("SELECT count(*) FROM email_messages"),
                "emails_per_lead_max": one("SELECT max(n) FROM (SELECT count(*) AS n FROM email_messages "
                                           "GROUP BY lead_id) per"),
                "went_points": one("SELECT count(*) FROM journey_steps WHERE step_id = 'points'"),
                "went_cold": one("SELECT count(*) FROM journey_steps WHERE step_id = 'cold'"),
                "opened": one("SELECT count(*) FROM email_messages WHERE opened_at IS NOT NULL"),
            }
    finally:
        engine.dispose()


def _one(database: BenchDatabase, floor_db: BenchDatabase, plan: Plan, workers: int) -> dict:
    journey_id = _setup(database.url)
    enrol_s = _enrol(database.url, journey_id, plan.leads)
    first_s, first = _passes(database.url, workers, timedelta(0))
    opened = _open_some(database.url)
    second_s, second = _passes(database.url, workers, WEEK)
    checks = _checks(database.url)
    total = enrol_s + first_s + second_s
    floor = journeys_floor.run(floor_db.url, plan.leads, workers)
    steps = checks["step_rows"]
    return {
        "dialect": database.dialect, "leads": plan.leads, "workers": workers, "enrol_s": round(enrol_s, 1),
        "first_half_s": round(first_s, 1), "second_half_s": round(second_s, 1), "total_s": round(total, 1),
        "steps_per_s": round(steps / total) if total else None, "per_worker": [first, second],
        "opened_marked": opened, **checks, **floor,
        "ratio": round(total / floor["floor_s"], 2) if floor["floor_s"] else None,
        "target_s": 600 if database.dialect == "postgresql" else None,
        "exactly_once": checks["runs_not_five"] == 0 and checks["emails_per_lead_max"] == 1
        and checks["steps_pending"] == 0 and checks["runs_done"] == plan.leads
        and checks["went_points"] == checks["opened"] and checks["went_points"] + checks["went_cold"] == plan.leads,
    }


def run(plan: Plan) -> dict:
    from leadflow import db

    results = []
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-journeys-") as tmp:
        folder = Path(tmp)
        if plan.runs("sqlite"):
            sqlite = BenchDatabase.sqlite(folder, "journeys")
            if plan.leads >= 1_000_000:
                copy_sqlite(cached_sqlite(plan.leads), sqlite.path)
            else:
                db.upgrade(sqlite.url)
                seed_leads(sqlite, plan.leads)
            floor = BenchDatabase.sqlite(folder, "journeys-floor")
            try:
                results.append(_one(sqlite, floor, plan, 1))
            finally:
                sqlite.drop()
                floor.drop()
        if plan.runs("postgresql") and postgres_reachable():
            database = BenchDatabase.postgres("journeys")
            floor = BenchDatabase.postgres("journeys_floor")
            try:
                db.upgrade(database.url)
                seed_leads(database, plan.leads)
                results.append(_one(database, floor, plan, plan.postgres_workers))
            finally:
                database.drop()
                floor.drop()
    return {"results": results}


def report(outcome: dict) -> str:
    lines = []
    for r in outcome["results"]:
        lines.append(
            f"{r['dialect']:<10} {r['leads']:,} leads, {r['workers']} worker(s): {r['step_rows']:,} steps in "
            f"{r['total_s']} s (enrol {r['enrol_s']} s, first half {r['first_half_s']} s, second "
            f"{r['second_half_s']} s; {r['steps_per_s']:,} steps/s); floor {r['floor_s']} s; ratio {r['ratio']}x"
            + (f"; target {r['target_s']} s" if r['target_s'] else "") + "\n"
            f"           runs done {r['runs_done']:,}, emails {r['emails']:,} (max per lead "
            f"{r['emails_per_lead_max']}), opened {r['opened']:,} -> points {r['went_points']:,}, cold "
            f"{r['went_cold']:,}; pending {r['steps_pending']}; exactly once: {r['exactly_once']}")
    return "\n".join(lines)
