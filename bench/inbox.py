"""The lead inbox on a large database: server time of GET /leads (in process, signed in as a marketing user) for
filter + sort + search + deep-page combinations, beside the floor: the bare indexed SQL of the same page (same
filter, sort and limit; no ORM, no rendering), timed in the same run.
"""

from __future__ import annotations

import re
import tempfile
import uuid
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from leadflow import db
from leadflow.leads.models import STAGES

from bench import seed
from bench.databases import BenchDatabase, copy_sqlite, postgres_reachable
from bench.machine import table, verdict

TARGET_P95_MS = 300.0
PAGE = 50
NEXT = re.compile(r'href="/leads\?[^"]*after=([^"&]+)')
COLUMNS = ", ".join(f"leads.{c.name}" for c in seed.Lead.__table__.columns)


@dataclass
class Plan:
    leads: int = 1_000_000
    requests: int = 50  # per scenario, after warm-up
    warmup: int = 5

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=100_000, requests=30, warmup=3)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))], 2)


def search_words(cursor, count: int) -> tuple[str, str]:
    """A surname as someone would type it, and the first three letters of a first name (a prefix many leads
    share), both from the lead in the middle of the database."""
    cursor.execute(f"SELECT first_name, last_name FROM leads WHERE id = {count // 2}")
    first, last = cursor.fetchone()
    return re.sub(r"\W", "", last.split()[-1]), re.sub(r"\W", "", first)[:3]


def _search(dialect: str, word: str) -> str:
    if dialect == "postgresql":
        return f"leads.search_vector @@ to_tsquery('simple'::regconfig, '{word}:*')"
    return f"leads.id IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH '\"{word}\"*')"


def scenarios(dialect: str, words: tuple[str, str]) -> list[dict]:
    """(name, page parameters, the floor's SQL for the same page); the cursor scenario fills in its cursor later."""
    surname, prefix = words
    live = "leads.merged_into_id IS NULL"
    name = "coalesce(leads.name_key, '')"
    return [
        {"name": "country=NL, newest first", "params": {"country": "NL"},
         "sql": f"SELECT {COLUMNS} FROM leads WHERE {live} AND leads.country = 'NL' "
                f"ORDER BY leads.created_at DESC, leads.id DESC LIMIT {PAGE + 1}"},
        {"name": "stage=mql, by name", "params": {"stage": "mql", "sort": "name"},
         "sql": f"SELECT {COLUMNS} FROM leads WHERE {live} AND leads.stage = 'mql' "
                f"ORDER BY {name} ASC, leads.id ASC LIMIT {PAGE + 1}"},
        {"name": f"search '{surname}', newest first", "params": {"q": surname},
         "sql": f"SELECT {COLUMNS} FROM leads WHERE {live} AND {_search(dialect, surname)} "
                f"ORDER BY leads.created_at DESC, leads.id DESC LIMIT {PAGE + 1}"},
        {"name": f"search '{prefix}' (a common prefix)", "params": {"q": prefix},
         "sql": f"SELECT {COLUMNS} FROM leads WHERE {live} AND {_search(dialect, prefix)} "
                f"ORDER BY leads.created_at DESC, leads.id DESC LIMIT {PAGE + 1}"},
        {"name": "all leads by company", "params": {"sort": "company"},
         "sql": f"SELECT {COLUMNS} FROM leads WHERE {live} "
                f"ORDER BY coalesce(lower(leads.company), '') ASC, leads.id ASC LIMIT {PAGE + 1}"},
        {"name": "country=NL, page 2 (cursor)", "params": {"country": "NL"}, "cursor_of": 0,
         "sql": f"SELECT {COLUMNS} FROM leads WHERE {live} AND leads.country = 'NL' "
                f"AND (leads.created_at, leads.id) < (:created_at, :id) "
                f"ORDER BY leads.created_at DESC, leads.id DESC LIMIT {PAGE + 1}"},
        {"name": "band=hot, by score", "params": {"band": "hot", "sort": "score"},
         "sql": f"SELECT {COLUMNS} FROM leads WHERE {live} AND leads.band = 'hot' AND leads.score IS NOT NULL "
                f"ORDER BY leads.score DESC, leads.id DESC LIMIT {PAGE + 1}"},
    ]


def vary(url: str) -> None:
    """The seed makes every lead 'new', unowned and unscored: spread the stages as a live database has them, and
    give nine leads in ten a score from 0 to 100 (scattered by id) with its band and a grade (the tenth: unscored)."""
    engine = create_engine(db.normalize_url(url))
    cases = " ".join(f"WHEN {i} THEN '{stage}'" for i, stage in enumerate(STAGES))
    score = "(id * 7919) % 101"
    unscored = "WHEN id % 10 = 0 THEN NULL"
    try:
        with engine.begin() as conn:
            conn.execute(text(
                f"UPDATE leads SET stage = CASE (id / 7) % {len(STAGES)} {cases} END, "
                f"score = CASE {unscored} ELSE {score} END, "
                f"band = CASE {unscored} WHEN {score} >= 60 THEN 'hot' WHEN {score} >= 30 THEN 'warm' ELSE 'cold' END, "
                f"grade = CASE {unscored} ELSE CASE (id / 3) % 4 WHEN 0 THEN 'A' WHEN 1 THEN 'B' WHEN 2 THEN 'C' "
                f"ELSE 'D' END END"))
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def signed_in_client(url: str):
    from fastapi.testclient import TestClient

    from leadflow.app import create_app
    from leadflow.people import service as people_service
    from leadflow.people import signin
    from leadflow.settings import Settings

    settings = Settings(database_url=url, secret_key="bench-secret-" + "x" * 40, embedded_worker=False,
                        rate_limit_per_minute=10_000_000)
    app = create_app(settings)
    client = TestClient(app, raise_server_exceptions=True)
    client.__enter__()
    with app.state.write_sessionmaker() as session:
        user = people_service.create_user(session=session, email="inbox.bench@example.com", role="marketing",
                                          name="Inbox Bench", password="bench-password-1")
        token = signin.open_session(session, user)
        session.commit()
    client.cookies.set("leadflow_session", token)
    return client


def bench_database(database: BenchDatabase, plan: Plan) -> dict:
    client = signed_in_client(database.url)
    engine = create_engine(db.normalize_url(database.url))
    raw = engine.raw_connection()
    cursor = raw.cursor()
    results = []
    try:
        cases = scenarios(database.dialect, search_words(cursor, plan.leads))
        raw.rollback()
        first_pages: dict[int, str] = {}
        for index, case in enumerate(cases):
            params = dict(case["params"])
            floor_sql, floor_args = case["sql"], ()
            if "cursor_of" in case:
                found = NEXT.search(first_pages[case["cursor_of"]])
                if found is None:
                    raise RuntimeError(f"{case['name']}: the first page has no next page (is the database seeded?)")
                cursor_text = found.group(1)
                params["after"] = cursor_text
                anchor = _anchor(cursor, database.dialect, cases[case["cursor_of"]]["sql"])
                floor_sql, floor_args = _bind(database.dialect, floor_sql, anchor)
            page_ms, floor_ms, rows = [], [], 0
            for i in range(plan.warmup + plan.requests):
                started = time.perf_counter()
                response = client.get("/leads", params=params)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{case['name']}: HTTP {response.status_code}: {response.text[:500]}")
                started = time.perf_counter()
                cursor.execute(floor_sql, floor_args)
                rows = len(cursor.fetchall())
                floor_elapsed = (time.perf_counter() - started) * 1000
                raw.rollback()
                if i >= plan.warmup:
                    page_ms.append(elapsed)
                    floor_ms.append(floor_elapsed)
                first_pages[index] = response.text
            p95 = _percentile(page_ms, 0.95)
            floor_p95 = _percentile(floor_ms, 0.95)
            results.append({
                "scenario": case["name"], "params": {k: v for k, v in params.items() if k != "after"},
                "requests": plan.requests, "floor_rows": min(rows, PAGE),
                "page_ms": {"p50": _percentile(page_ms, 0.5), "p95": p95, "max": round(max(page_ms), 2)},
                "floor_ms": {"p50": _percentile(floor_ms, 0.5), "p95": floor_p95, "max": round(max(floor_ms), 2)},
                "ratio_p95": round(p95 / floor_p95, 1) if floor_p95 else None,
                "target_p95_ms": TARGET_P95_MS, "met": p95 < TARGET_P95_MS,
            })
    finally:
        raw.close()
        engine.dispose()
        client.__exit__(None, None, None)
    return {"database": database.dialect, "leads": plan.leads, "scenarios": results}


def _anchor(cursor, dialect: str, first_sql: str) -> tuple:
    """created_at and id of the 50th row of the first page: where page 2 starts."""
    cursor.execute(first_sql.replace(f"LIMIT {PAGE + 1}", f"LIMIT 1 OFFSET {PAGE - 1}").replace(
        f"SELECT {COLUMNS}", "SELECT leads.created_at, leads.id"))
    return tuple(cursor.fetchone())


def _bind(dialect: str, sql: str, anchor: tuple) -> tuple[str, tuple]:
    mark = "?" if dialect == "sqlite" else "%s"
    return sql.replace(":created_at", mark).replace(":id", mark), anchor


def seeded_sqlite(count: int, folder: Path) -> Path:
    """bench/seed.py's leads at today's schema, cached under a name of this benchmark's own (built in a private
    folder, then moved in whole), so a run beside another benchmark's seed never shares a half-built file."""
    seed.CACHE.mkdir(exist_ok=True)
    path = seed.CACHE / f"inbox-{count}-{seed.schema_key()}.db"
    if path.exists() and path.stat().st_size:
        return path
    for stale in seed.CACHE.glob(f"inbox-{count}-*.db"):
        stale.unlink()
    building = BenchDatabase.sqlite(folder, f"seed-{count}")
    db.upgrade(building.url)
    seed.seed_leads(building, count)
    part = path.with_suffix(f".{uuid.uuid4().hex[:8]}.part")
    copy_sqlite(building.path, part)
    building.drop()
    part.replace(path)
    return path


def run(plan: Plan) -> dict:
    results, skipped, timings = [], [], {}
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        cached = seeded_sqlite(plan.leads, folder)
        timings["sqlite_seed_s"] = round(time.perf_counter() - started, 1)
        database = BenchDatabase.sqlite(folder, "inbox")
        try:
            copy_sqlite(cached, database.path)
            vary(database.url)
            results.append(bench_database(database, plan))
        finally:
            database.drop()
        if postgres_reachable():
            with BenchDatabase.postgres("inbox") as database:
                started = time.perf_counter()
                # Seeded at today's schema: the seed writes every column of the model, scoring's (0005) too.
                db.upgrade(database.url)
                seed.seed_leads(database, plan.leads)
                vary(database.url)
                timings["postgresql_seed_s"] = round(time.perf_counter() - started, 1)
                results.append(bench_database(database, plan))
        else:
            skipped.append("postgresql: server not reachable")
    return {"benchmark": "inbox", "plan": plan.__dict__, "results": results, "skipped": skipped,
            "timings": timings, "target_p95_ms": TARGET_P95_MS}


def report(outcome: dict) -> str:
    rows = []
    for result in outcome["results"]:
        for s in result["scenarios"]:
            rows.append([result["database"], f"{result['leads']:,}", s["scenario"], s["page_ms"]["p50"],
                         s["page_ms"]["p95"], s["floor_ms"]["p50"], s["floor_ms"]["p95"], s["ratio_p95"],
                         verdict(s["met"])])
    lines = [table(["database", "leads", "scenario", "page p50 ms", "page p95 ms", "floor p50 ms", "floor p95 ms",
                    "p95 ratio", f"p95 < {TARGET_P95_MS:.0f} ms"], rows)]
    for note in outcome.get("skipped", []):
        lines.append(f"skipped: {note}")
    return "\n".join(lines)
