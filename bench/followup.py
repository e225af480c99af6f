"""The follow-up timers' pass: 1,000,000 open follow-ups (200 reps in 20 teams with managers) whose due times are
spread over a week, as after the worker was down for six hours: those due in the last six hours are overdue
(escalate: the owner and the manager alerted, `followup.overdue`, a timeline entry), those due within two hours get
their reminder. The worker's pass over them (claim in chunks, step, advance, commit per chunk), timed beside a floor:
the same due rows read by a bare scan of the `ix_followups_next_at` index. Checked: one alert per step, no timer
left due. SQLite and PostgreSQL."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.databases import BenchDatabase, postgres_reachable
from bench.seed import seed_leads

REPS, TEAMS = 200, 20
WEEK = timedelta(days=7)
DOWN = timedelta(hours=6)  # the worker was down this long: what fell due meanwhile is due now
REMIND = timedelta(hours=2)
CHUNK = 10_000


@dataclass
class Plan:
    followups: int = 1_000_000

    @classmethod
    def quick(cls) -> Plan:
        return cls(followups=20_000)


def _seed(url: str, count: int, moment: datetime) -> dict:
    """Reps and managers, `count` leads, one open follow-up each: due times evenly over [moment - DOWN, moment + WEEK
    - DOWN), the reminder two hours before; the next timer as the worker leaves it (a stale reminder skipped)."""
    from sqlalchemy import insert, select

    from leadflow import db
    from leadflow.followup.models import Followup
    from leadflow.leads.models import Lead
    from leadflow.people.models import Team, User

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            managers = [User(email=f"manager{t}@bench.example", name=f"Manager {t}", role="sales_manager",
                             created_at=moment) for t in range(TEAMS)]
            session.add_all(managers)
            session.flush()
            teams = [Team(name=f"Team {t}", kind="sales", manager_id=managers[t].id, created_at=moment)
                     for t in range(TEAMS)]
            session.add_all(teams)
            session.flush()
            reps = [User(email=f"rep{r}@bench.example", name=f"Rep {r}", role="sales_rep", created_at=moment,
                         team_id=teams[r % TEAMS].id) for r in range(REPS)]
            session.add_all(reps)
            session.commit()
            rep_ids = [(u.id, u.team_id) for u in reps]
        with factory() as session:
            lead_ids = list(session.scalars(select(Lead.id).order_by(Lead.id)))
        assert len(lead_ids) == count, (len(lead_ids), count)
        step = WEEK / count
        start = moment - DOWN
        due_now = remind_now = 0
        policy = {"name": "Default (24 hours on working days)", "hours": 24, "clock": "working_days",
                  "remind_before_minutes": 120, "escalate": True, "reassign_after_hours": None}
        rows = []
        with factory() as session:
            for i, lead_id in enumerate(lead_ids):
                owner, team = rep_ids[i % REPS]
                due = start + step * i
                remind = due - REMIND
                if due <= moment:
                    next_at, next_step = due, "escalate"
                    due_now += 1
                else:
                    next_at, next_step = remind, "remind"
                    remind_now += remind <= moment
                rows.append({"lead_id": lead_id, "owner_id": owner, "team_id": team, "assignment_id": lead_id,
                             "policy": policy, "handed_at": due - timedelta(hours=24), "due_at": due,
                             "status": "open", "remind_at": remind, "next_at": next_at, "next_step": next_step})
                if len(rows) == CHUNK:
                    session.execute(insert(Followup.__table__), rows)
                    rows = []
            if rows:
                session.execute(insert(Followup.__table__), rows)
            session.commit()
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return {"due_now": due_now, "remind_now": remind_now}
    finally:
        engine.dispose()


def _floor(url: str, moment: datetime) -> tuple[float, int]:
    """The due rows by a bare indexed scan, every one of them, timed (the second of two runs: a warm cache, as the
    pass has)."""
    from leadflow import db
    from leadflow.followup import queries

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        best, found = None, 0
        for _ in range(2):
            with factory() as session:
                t = time.perf_counter()
                found = len(queries.due_timers(session=session, moment=moment, limit=10_000_000))
                elapsed = time.perf_counter() - t
                session.rollback()
            best = elapsed
        return best, found
    finally:
        engine.dispose()


def _pass(url: str, moment: datetime) -> tuple[float, dict]:
    from leadflow import clock, db
    from leadflow.followup import service
    from leadflow.settings import get_settings

    get_settings()  # read once, as a running worker has (not part of the pass)
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    clock.set_clock(lambda: moment)
    try:
        t = time.perf_counter()
        done = service.run_pass(factory, moment=moment)
        elapsed = time.perf_counter() - t
        return elapsed, {"reminded": done.reminded, "escalated": done.escalated, "skipped": done.skipped}
    finally:
        clock.set_clock(None)
        engine.dispose()


def _checks(url: str, moment: datetime) -> dict:
    from sqlalchemy import create_engine, text

    from leadflow import db

    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            def one(sql: str, **params) -> int:
                return conn.execute(text(sql), params).scalar()

            return {
                "still_due": one("SELECT count(*) FROM followups WHERE next_at <= :m", m=moment),
                "reminders": one("SELECT count(*) FROM notifications WHERE kind = 'followup_reminder'"),
                "overdue_alerts": one("SELECT count(*) FROM notifications WHERE kind = 'followup_overdue'"),
                "escalations": one("SELECT count(*) FROM notifications WHERE kind = 'followup_escalated'"),
                "overdue_events": one("SELECT count(*) FROM outbox WHERE topic = 'followup.overdue'"),
                "timeline": one("SELECT count(*) FROM activities WHERE kind = 'followup'"),
            }
    finally:
        engine.dispose()


def _one(database: BenchDatabase, plan: Plan) -> dict:
    from leadflow import db

    moment = datetime.now(UTC).replace(microsecond=0)
    db.upgrade(database.url)
    started = time.perf_counter()
    seed_leads(database, plan.followups)
    seeded = _seed(database.url, plan.followups, moment)
    seed_s = time.perf_counter() - started
    floor, scanned = _floor(database.url, moment)
    elapsed, done = _pass(database.url, moment)
    checks = _checks(database.url, moment)
    steps = done["reminded"] + done["escalated"]
    return {
        "dialect": database.dialect, "followups": plan.followups, "reps": REPS, "teams": TEAMS,
        "down_hours": DOWN.total_seconds() / 3600, **seeded, "scanned": scanned, **done,
        "pass_s": round(elapsed, 2), "floor_s": round(floor, 3),
        "ratio": round(elapsed / floor, 1) if floor else None,
        "steps_per_s": round(steps / elapsed) if elapsed else None, "seed_s": round(seed_s, 1), **checks,
        "duplicates": {"reminders": checks["reminders"] - done["reminded"],
                       "escalations": checks["escalations"] - done["escalated"]},
        "target": "one alert per step, nothing left due; the pass within a small multiple of the bare scan per "
                  "row it steps (it writes what the scan only reads)",
    }


def run(plan: Plan) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-followup-") as tmp:
        folder = Path(tmp)
        databases = [BenchDatabase.sqlite(folder, "followup")]
        if postgres_reachable():
            databases.append(BenchDatabase.postgres("followup"))
        for database in databases:
            try:
                results.append(_one(database, plan))
            finally:
                database.drop()
    return {"results": results}


def report(outcome: dict) -> str:
    lines = []
    for r in outcome["results"]:
        lines.append(
            f"{r['dialect']:<10} {r['followups']:,} open follow-ups, {r['scanned']:,} timers due "
            f"({r['due_now']:,} overdue, {r['remind_now']:,} to remind): pass {r['pass_s']} s "
            f"({r['steps_per_s']:,} steps/s); floor (bare indexed scan) {r['floor_s']} s, ratio {r['ratio']}x\n"
            f"           reminded {r['reminded']:,}, escalated {r['escalated']:,}, skipped {r['skipped']:,}; "
            f"alerts: {r['reminders']:,} reminders, {r['overdue_alerts']:,} overdue, {r['escalations']:,} to "
            f"managers, {r['overdue_events']:,} followup.overdue; still due {r['still_due']}; "
            f"duplicates {r['duplicates']}")
    return "\n".join(lines)
