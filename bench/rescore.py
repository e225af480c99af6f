"""A full rescore (`leadflow rescore`'s engine) of many leads with many events under the default rule set
(34 rules), beside a floor of one SQL aggregate over the same events. SQLite, cached under bench/.cache/."""

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
    rng = random.Random(5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with sqlite3.connect(path) as conn:
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
        conn.execute("ANALYZE")


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


def run(plan: Plan) -> dict:
    from sqlalchemy import text

    from leadflow import db
    from leadflow.scoring import rules
    from leadflow.scoring import service as scoring_service

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
            rows = conn.execute(text("SELECT lead_id, type, count(*) FROM events GROUP BY lead_id, type")).all()
            floor_s = time.perf_counter() - t
        with factory() as session:
            rule_set_id, compiled = scoring_service.active_rule_set(session)
            session.commit()
        rule_count = len(compiled.fit) + len(compiled.behaviour)
        t = time.perf_counter()
        leads = 0
        after = 0
        while True:
            with factory() as session:
                ids = next(scoring_service.lead_id_chunks(session, after=after, size=5000), [])
                if not ids:
                    break
                scoring_service.rescore_chunk(session, rule_set_id, compiled, ids, by_range=True)
                session.commit()
            leads += len(ids)
            after = ids[-1]
        rescore_s = time.perf_counter() - t
        with engine.connect() as conn:
            scored = conn.execute(text("SELECT count(*) FROM lead_scores")).scalar()
            by_band = dict(conn.execute(text("SELECT band, count(*) FROM leads GROUP BY band")).all())
        engine.dispose()
    finally:
        work.drop()
    assert isinstance(compiled, rules.RuleSet)
    return {"results": [{
        "leads": leads, "events": events, "rules": rule_count, "scored": scored, "bands": by_band,
        "floor_s": round(floor_s, 2), "floor_groups": len(rows), "rescore_s": round(rescore_s, 2),
        "ratio": round(rescore_s / floor_s, 2) if floor_s else None,
        "events_per_s": round(events / rescore_s) if rescore_s else None, "seed_s": round(seeded_s, 1),
        "target": "rescore <= 3x floor and < 300 s"}]}


def report(outcome: dict) -> str:
    r = outcome["results"][0]
    return (f"leads {r['leads']:,}  events {r['events']:,}  rules {r['rules']}\n"
            f"floor (GROUP BY lead_id, type): {r['floor_s']} s\n"
            f"rescore: {r['rescore_s']} s  ({r['events_per_s']:,} events/s, {r['ratio']}x the floor)  "
            f"bands {r['bands']}")
