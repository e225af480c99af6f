"""The follow-up scorecard over many hand-overs: `followup.scorecard.scorecard` (every figure, medians and order
values, grouped by rep and by team) for a month and a quarter, beside the floor: the bare aggregate over the same
rows (COUNT and COUNT(first_contact_at) grouped by owner, the period's hand-overs), timed in the same run.
Targets: under 1 s on PostgreSQL and 2 s on SQLite for 1,000,000 leads."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.dialects import sqlite as sqlite_dialect

from leadflow import db
from leadflow.db import UtcDateTime

from bench import seed
from bench.databases import BenchDatabase, copy_sqlite, postgres_reachable
from bench.inbox import seeded_sqlite
from bench.machine import table, verdict

TARGETS_S = {"sqlite": 2.0, "postgresql": 1.0}
YEAR = datetime(2026, 1, 1, tzinfo=UTC)
PERIODS = {"month": (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)),
           "quarter": (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))}
FLOOR = ("SELECT owner_id, count(*), count(first_contact_at) FROM followups "
         "WHERE handed_at >= :start AND handed_at < :end GROUP BY owner_id")


@dataclass
class Plan:
    leads: int = 1_000_000
    reps: int = 200
    teams: int = 20
    rehanded: float = 0.05  # leads handed to a second rep
    repeats: int = 5  # timed runs per case, after one warm-up

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=50_000, reps=50, teams=5, repeats=3)


def _people(url: str, plan: Plan) -> dict[int, int]:
    """The reps and their teams: user id -> team id."""
    from leadflow.people import service as people_service

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    found = {}
    try:
        with factory() as session:
            teams = [people_service.create_team(session=session, name=f"Team {t}", kind="sales")
                     for t in range(plan.teams)]
            session.flush()
            for r in range(plan.reps):
                team = teams[r % plan.teams]
                user = people_service.create_user(session=session, email=f"rep{r}@bench.example", role="sales_rep",
                                                  name=f"Rep {r}", team=team.name)
                session.flush()
                found[user.id] = team.id
            session.commit()
    finally:
        engine.dispose()
    return found


def _rows(plan: Plan, lead_ids: list[int], reps: dict[int, int]):
    """(hand-overs, quotes, won opportunities) as tuples of Python values; a pure function of the plan."""
    rng = random.Random(12)
    owners = list(reps)
    sources = ["web", "fair", "partner", "ads", "event", "referral"]
    seconds = 365 * 86400
    followups, quotes, wins = [], [], []
    for lead_id in lead_ids:
        handed = YEAR + timedelta(seconds=rng.randrange(seconds))
        hops = 2 if rng.random() < plan.rehanded else 1
        for hop in range(hops):
            owner = rng.choice(owners)
            at = handed + timedelta(hours=30 * hop)
            due = at + timedelta(hours=24)
            contacted = rng.random() < (0.3 if hop == 0 and hops == 2 else 0.85)
            first = at + timedelta(minutes=rng.randrange(60, 60 * 60)) if contacted else None
            status = "followed_up" if first else ("reassigned" if hop == 0 and hops == 2 else "open")
            followups.append((lead_id, owner, reps[owner], rng.choice(sources), "{}", at, due, status, first,
                              first))
        if rng.random() < 0.3:
            quotes.append((lead_id, Decimal(rng.randrange(2_000, 40_000)), "EUR", rng.choice(["sent", "accepted"]),
                           "", "bench", handed + timedelta(days=3), handed + timedelta(days=3)))
        if rng.random() < 0.1:
            closed = handed + timedelta(days=rng.randrange(5, 90))
            wins.append((lead_id, "Deal", Decimal(rng.randrange(5_000, 30_000)), "EUR", "won", "won", closed,
                         "bench", closed, closed))
    # Hand-overs are written as they happen: in time order (the table's row order follows handed_at, as in life).
    followups.sort(key=lambda row: row[5])
    quotes.sort(key=lambda row: row[6])
    wins.sort(key=lambda row: row[6])
    return followups, quotes, wins


FOLLOWUP_COLUMNS = ("lead_id", "owner_id", "team_id", "source", "policy", "handed_at", "due_at", "status",
                    "first_contact_at", "closed_at")
QUOTE_COLUMNS = ("lead_id", "amount", "currency", "status", "note", "created_by", "created_at", "updated_at")
WON_COLUMNS = ("lead_id", "name", "value", "currency", "stage", "status", "closed_at", "created_by", "created_at",
               "updated_at")


def _sqlite_values(rows):
    stamp = UtcDateTime().bind_processor(sqlite_dialect.dialect())
    for row in rows:
        yield tuple(stamp(v) if isinstance(v, datetime) else str(v) if isinstance(v, Decimal) else v for v in row)


def fill(database: BenchDatabase, plan: Plan) -> dict:
    """The reps, then hand-overs, quotes and won opportunities for every lead, bulk-inserted (executemany in one
    transaction on SQLite, COPY on PostgreSQL), then ANALYZE."""
    reps = _people(database.url, plan)
    engine = create_engine(db.normalize_url(database.url))
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT id FROM leads ORDER BY id")
            lead_ids = [row[0] for row in cursor.fetchall()]
            followups, quotes, wins = _rows(plan, lead_ids, reps)
            for name, columns, rows in (("followups", FOLLOWUP_COLUMNS, followups), ("quotes", QUOTE_COLUMNS, quotes),
                                        ("opportunities", WON_COLUMNS, wins)):
                if database.dialect == "sqlite":
                    marks = ", ".join("?" * len(columns))
                    cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                                       list(_sqlite_values(rows)))
                else:
                    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return {"followups": len(followups), "quotes": len(quotes), "won": len(wins), "reps": len(reps)}


def _timed(fn, repeats: int) -> tuple[float, object]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def bench_database(database: BenchDatabase, plan: Plan) -> dict:
    from leadflow.followup import scorecard
    from leadflow.people.service import Actor

    engine = db.make_engine(database.url)
    factory = db.make_sessionmaker(engine)
    actor = Actor(kind="system", id=None)
    results = []
    try:
        for period, (start, end) in PERIODS.items():
            with engine.connect() as conn:
                floor_s, floor_rows = _timed(lambda: conn.execute(text(FLOOR), {"start": start, "end": end})
                                             .all(), plan.repeats)
                handed = conn.execute(text("SELECT count(*) FROM followups WHERE handed_at >= :start AND "
                                           "handed_at < :end"), {"start": start, "end": end}).scalar()
            for group in ("rep", "team"):
                with factory() as session:
                    card_s, card = _timed(lambda: scorecard.scorecard(actor, session=session, group=group,
                                                                      start=start, end=end), plan.repeats)
                target = TARGETS_S[database.dialect]
                results.append({
                    "period": period, "group": group, "hand_overs_in_period": handed, "rows": len(card.rows),
                    "leads_in_period": card.total.handed_over, "followed_up_pct": str(card.total.figures[
                        "followed_up_pct"]), "won_pct": str(card.total.figures["won_pct"]),
                    "scorecard_s": round(card_s, 3), "floor_s": round(floor_s, 3), "floor_groups": len(floor_rows),
                    "ratio": round(card_s / floor_s, 1) if floor_s else None, "target_s": target,
                    "met": card_s < target})
    finally:
        engine.dispose()
    return {"database": database.dialect, "leads": plan.leads, "cases": results}


def _seeded_sqlite(plan: Plan, folder: Path) -> Path:
    path = seed.CACHE / f"scorecard-{plan.leads}-{plan.reps}-{seed.schema_key()}.db"
    if path.exists() and path.stat().st_size:
        return path
    for stale in seed.CACHE.glob(f"scorecard-{plan.leads}-*.db"):
        stale.unlink()
    building = BenchDatabase.sqlite(folder, "scorecard-seed")
    copy_sqlite(seeded_sqlite(plan.leads, folder), building.path)
    fill(building, plan)
    part = path.with_suffix(".part")
    copy_sqlite(building.path, part)
    building.drop()
    part.replace(path)
    return path


def run(plan: Plan) -> dict:
    results, skipped, timings, counts = [], [], {}, {}
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        cached = _seeded_sqlite(plan, folder)
        timings["sqlite_seed_s"] = round(time.perf_counter() - started, 1)
        database = BenchDatabase.sqlite(folder, "scorecard")
        try:
            copy_sqlite(cached, database.path)
            results.append(bench_database(database, plan))
        finally:
            database.drop()
        if postgres_reachable():
            with BenchDatabase.postgres("scorecard") as database:
                started = time.perf_counter()
                db.upgrade(database.url)
                seed.seed_leads(database, plan.leads)
                counts = fill(database, plan)
                timings["postgresql_seed_s"] = round(time.perf_counter() - started, 1)
                results.append(bench_database(database, plan))
        else:
            skipped.append("postgresql: server not reachable")
    return {"benchmark": "scorecard", "plan": plan.__dict__, "results": results, "skipped": skipped,
            "timings": timings, "rows": counts, "targets_s": TARGETS_S}


def report(outcome: dict) -> str:
    rows = []
    for result in outcome["results"]:
        for c in result["cases"]:
            rows.append([result["database"], f"{result['leads']:,}", c["period"], c["group"],
                         f"{c['hand_overs_in_period']:,}", c["scorecard_s"], c["floor_s"], c["ratio"],
                         verdict(c["met"])])
    lines = [table(["database", "leads", "period", "group", "hand-overs", "scorecard s", "floor s", "ratio",
                    "under target"], rows)]
    for note in outcome.get("skipped", []):
        lines.append(f"skipped: {note}")
    return "\n".join(lines)
