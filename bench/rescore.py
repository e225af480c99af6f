"""A full rescore (`leadflow rescore`'s engine: two processes by lead id range) of many leads with many events under
the default rule set (34 rules), beside a floor of one SQL aggregate over the same events. SQLite, cached under
bench/.cache/."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.databases import BenchDatabase, copy_sqlite
from bench.seed import CACHE, cached_sqlite, schema_key

TYPES = (["page_view"] * 10 + ["email_open"] * 4 + ["email_click"] * 2 + ["download", "form_submit",
         "webinar_registered", "webinar_attended", "newsletter_unsubscribed", "email_bounce", "call_outcome"])
URLS = ["https://acme.example/", "https://acme.example/pricing", "https://acme.example/demo",
        "https://acme.example/blog/post", "https://acme.example/careers", "https://acme.example/products/crm",
        "https://acme.example/products/analytics", "https://acme.example/docs"]


@dataclass
class Plan:
    leads: int = 1_000_000
    events_per_lead: int = 20

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=50_000, events_per_lead=20)


def _events(path: Path, plan: Plan) -> None:
    """The events, generated lead by lead; the table's indexes are dropped while it fills and built again after
    (20,000,000 inserts into three B-trees at once would take most of an hour), the schema left as it was."""
    rng = random.Random(5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        indexes = [row for row in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                                               "tbl_name = 'events' AND sql IS NOT NULL")]
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        lead_ids = [row[0] for row in conn.execute("SELECT id FROM leads ORDER BY id")]
        sql = ("INSERT INTO events (lead_id, visitor_id, type, occurred_at, received_at, source, properties) "
               "VALUES (?, NULL, ?, ?, ?, 'api', ?)")
        batch = []
        for lead_id in lead_ids:
            for _ in range(plan.events_per_lead):
                event_type = rng.choice(TYPES)
                moment = (start + timedelta(seconds=rng.randrange(300 * 86400))).strftime("%Y-%m-%d %H:%M:%S.%f")
                if event_type == "page_view":
                    props = json.dumps({"url": rng.choice(URLS)})
                elif event_type == "download":
                    props = json.dumps({"name": rng.choice(["Guide", "Case study", "Price list"]),
                                        "url": rng.choice(URLS)})
                elif event_type == "call_outcome":
                    props = json.dumps({"outcome": rng.choice(["interested", "not_interested", "no_answer"])})
                else:
                    props = "{}"
                batch.append((lead_id, event_type, moment, moment, props))
            if len(batch) >= 200_000:
                conn.executemany(sql, batch)
                batch.clear()
        conn.executemany(sql, batch)
        conn.commit()
        for _, statement in indexes:
            conn.execute(statement)
        conn.commit()
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")


def cached(plan: Plan) -> Path:
    path = CACHE / f"rescore-{plan.leads}-{plan.events_per_lead}-{schema_key()}.db"
    if path.exists():
        return path
    part = path.with_suffix(".part")
    copy_sqlite(cached_sqlite(plan.leads), part)
    _events(part, plan)
    copy_sqlite(part, path)  # the WAL folded in first
    for suffix in ("", "-wal", "-shm"):
        Path(f"{part}{suffix}").unlink(missing_ok=True)
    return path


def run(plan: Plan, processes: int = 2) -> dict:
    import resource

    from sqlalchemy import text

    from leadflow import db, stages
    from leadflow.scoring import rescore_service
    from leadflow.scoring import service as scoring_service
    from leadflow.scoring.models import ScoringRun

    stages.wire()  # as `leadflow rescore` does: scoring is handed its readers of other stages' data
    started = time.perf_counter()
    source = cached(plan)
    seeded_s = time.perf_counter() - started
    work = BenchDatabase.sqlite(CACHE, "rescore-work")
    work.drop()
    copy_sqlite(source, work.path)
    try:
        engine = db.make_engine(work.url)
        factory = db.make_sessionmaker(engine)
        with engine.connect() as conn:
            events = conn.execute(text("SELECT count(*) FROM events")).scalar()
            t = time.perf_counter()
            groups = sum(1 for _ in conn.execute(text("SELECT lead_id, type, count(*) FROM events "
                                                      "GROUP BY lead_id, type")))
            floor_s = time.perf_counter() - t
        with factory() as session:
            rule_set_id, compiled = scoring_service.active_rule_set(session=session)
            total = session.execute(text("SELECT count(*) FROM leads WHERE merged_into_id IS NULL")).scalar()
            run = ScoringRun(kind="rescore", rule_set_id=rule_set_id, status="queued", created_by="bench",
                             total=total, done=0, last_lead_id=0, result={})
            session.add(run)
            session.commit()
            run_id = run.id
        rule_count = len(compiled.fit) + len(compiled.behaviour)
        parent_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu_before = _cpu_s(resource)
        t = time.perf_counter()
        run = rescore_service.rescore(factory, work.url, run_id, processes=processes)
        rescore_s = time.perf_counter() - t
        cpu_s = _cpu_s(resource) - cpu_before
        parent_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with engine.connect() as conn:
            scored = conn.execute(text("SELECT count(*) FROM lead_scores")).scalar()
            by_band = dict(conn.execute(text("SELECT band, count(*) FROM leads GROUP BY band")).all())
        engine.dispose()
    finally:
        work.drop()
    return {"results": [{
        "leads": run.done, "events": events, "rules": rule_count, "scored": scored, "bands": by_band,
        "status": run.status, "processes": processes, "parts": len((run.result or {}).get("parts", [])),
        "floor_s": round(floor_s, 2), "floor_groups": groups, "rescore_cpu_s": round(cpu_s, 1), "rescore_s": round(rescore_s, 2),
        "ratio": round(rescore_s / floor_s, 2) if floor_s else None,
        "events_per_s": round(events / rescore_s) if rescore_s else None, "seed_s": round(seeded_s, 1),
        "peak_rss_mb": {"parent": round(parent_kb / 1024), "parent_before_rescore": round(parent_before_kb / 1024),
                        "largest_worker": round(worker_kb / 1024)},
        "target": "rescore <= 3x floor and < 300 s"}]}


def _cpu_s(resource) -> float:
    """User + system seconds of this process and its finished children (the machine is shared: wall time alone
    does not say how much work was done)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def report(outcome: dict) -> str:
    r = outcome["results"][0]
    return (f"leads {r['leads']:,}  events {r['events']:,}  rules {r['rules']}\n"
            f"floor (GROUP BY lead_id, type): {r['floor_s']} s\n"
            f"rescore: {r['rescore_s']} s in {r['parts']} process(es)  ({r['events_per_s']:,} events/s, "
            f"{r['ratio']}x the floor; {r['rescore_cpu_s']} CPU s)  run {r['status']}  bands {r['bands']}\n"
            f"peak memory (RSS): parent {r['peak_rss_mb']['parent']} MB, largest worker "
            f"{r['peak_rss_mb']['largest_worker']} MB")
