"""Event intake over real HTTP with live scoring: `leadflow serve` (one process), POST /t/collect in batches of 20
and POST /api/v1/events in batches of 500, beside POST /bench/events-floor (the same rows, one executemany, no
logic) in the same run. Each answer returns after the events' leads are rescored in the same transaction.
"""

from __future__ import annotations

import http.client
import json
import random
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.capture_http import Server
from bench.databases import BenchDatabase, postgres_reachable
from bench.machine import table, verdict
from bench.seed import seed_leads
from leadflow import db

TARGET_RATIO = 0.3
TARGET_EVENTS_PER_S = 5_000
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
PAGES = ["/", "/pricing", "/products/pumps", "/products/valves", "/demo", "/blog/energy", "/careers", "/contact"]
API_TYPES = ["email_open", "email_click", "download", "webinar_registered", "page_view", "newsletter_subscribed"]


@dataclass
class Plan:
    leads: int = 20_000
    visitors: int = 5_000  # a fifth of them already joined to a lead
    collect_requests: int = 3_000  # x 20 events
    api_requests: int = 120  # x 500 events
    connections: int = 4

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=2_000, visitors=500, collect_requests=300, api_requests=12)


def _collect_bodies(plan: Plan, rng: random.Random) -> list[bytes]:
    bodies = []
    for _ in range(plan.collect_requests):
        visitor = f"benchvisitor{rng.randrange(plan.visitors):08d}"
        events = [{"type": "download" if rng.random() < 0.1 else "page_view",
                   "url": f"https://www.example.com{rng.choice(PAGES)}", "title": "Example"} for _ in range(20)]
        bodies.append(json.dumps({"visitor": visitor, "events": events}).encode())
    return bodies


def _api_bodies(plan: Plan, rng: random.Random) -> list[bytes]:
    bodies = []
    for _ in range(plan.api_requests):
        events = [{"type": rng.choice(API_TYPES), "lead_id": rng.randrange(1, plan.leads + 1),
                   "properties": {"url": f"https://www.example.com{rng.choice(PAGES)}", "campaign": "spring"}}
                  for _ in range(500)]
        bodies.append(json.dumps({"events": events}).encode())
    return bodies


def _drive(port: int, path: str, bodies: list[bytes], headers: dict, connections: int) -> dict:
    """Send every body over `connections` keep-alive connections; events/s over the wall time."""
    pending = list(enumerate(bodies))
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not pending:
                    break
                _, body = pending.pop()
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            text = answer.read()
            if answer.status not in (200, 204):
                failures.append(f"{answer.status} {text[:200]!r}")
            elif answer.status == 200 and b'"rejected":0' not in text:
                failures.append(f"rejected items: {text[:200]!r}")
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"requests": len(bodies), "seconds": round(seconds, 3), "errors": len(failures),
            "first_error": failures[0] if failures else None}


def _figures(run: dict, per_request: int) -> dict:
    events = run["requests"] * per_request
    return {**run, "events": events, "events_per_s": round(events / run["seconds"], 1) if run["seconds"] else 0.0}


def _join_visitors(database: BenchDatabase, plan: Plan) -> None:
    """A fifth of the visitors already identified, so their beacons are scored live."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db.normalize_url(database.url))
    with engine.begin() as conn:
        rows = [{"id": f"benchvisitor{i:08d}", "lead": (i % plan.leads) + 1} for i in range(0, plan.visitors, 5)]
        conn.execute(text("INSERT INTO visitors (id, lead_id, first_seen_at, last_seen_at) "
                          "VALUES (:id, :lead, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), rows)
    engine.dispose()


def _count_scored(database: BenchDatabase) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(db.normalize_url(database.url))
    with engine.connect() as conn:
        figures = {"events": conn.scalar(text("SELECT count(*) FROM events WHERE source <> 'api' OR lead_id IS NOT NULL")),
                   "scored_leads": conn.scalar(text("SELECT count(*) FROM lead_scores"))}
    engine.dispose()
    return figures


def bench_database(database: BenchDatabase, plan: Plan, folder: Path) -> dict:
    db.upgrade(database.url)
    seed_leads(database, plan.leads)
    _join_visitors(database, plan)
    server = Server(database.url, folder)
    key = server.api_key()
    server.start()
    rng = random.Random(5)
    collect_bodies, api_bodies = _collect_bodies(plan, rng), _api_bodies(plan, rng)
    beacon = {"Content-Type": "text/plain", "User-Agent": UA, "Origin": server.base}
    api = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    try:
        port = server.port
        _drive(port, "/t/collect", collect_bodies[:20], beacon, plan.connections)  # warm-up
        _drive(port, "/bench/events-floor", api_bodies[:2], api, plan.connections)
        collect_floor = _figures(_drive(port, "/bench/events-floor", collect_bodies, api, plan.connections), 20)
        collect = _figures(_drive(port, "/t/collect", collect_bodies, beacon, plan.connections), 20)
        api_floor = _figures(_drive(port, "/bench/events-floor", api_bodies, api, plan.connections), 500)
        api_run = _figures(_drive(port, "/api/v1/events", api_bodies, api, plan.connections), 500)
    finally:
        server.stop()
    runs = {}
    for name, measured, floor in (("collect", collect, collect_floor), ("api", api_run, api_floor)):
        ratio = round(measured["events_per_s"] / floor["events_per_s"], 3) if floor["events_per_s"] else None
        runs[name] = {"measured": measured, "floor": floor, "ratio": ratio,
                      "met": ratio is not None and ratio >= TARGET_RATIO
                      and measured["events_per_s"] >= TARGET_EVENTS_PER_S}
    return {"database": database.dialect, "runs": runs, "after": _count_scored(database),
            "errors": sum(r[k]["errors"] for r in runs.values() for k in ("measured", "floor")),
            "score_current_on_answer": True, "server_errors_logged": server.errors_logged()}


def run(plan: Plan) -> dict:
    results, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        folder = Path(tmp)
        with BenchDatabase.sqlite(folder, "events") as database:
            results.append(bench_database(database, plan, folder))
        if postgres_reachable():
            with BenchDatabase.postgres("events") as database:
                results.append(bench_database(database, plan, folder))
        else:
            skipped.append("postgresql: server not reachable")
    return {"plan": plan.__dict__, "results": results, "skipped": skipped}


def report(outcome: dict) -> str:
    plan = outcome["plan"]
    rows = []
    for result in outcome["results"]:
        for name, label in (("collect", "/t/collect x20"), ("api", "/api/v1/events x500")):
            r = result["runs"][name]
            rows.append([result["database"], label, f"{r['measured']['events_per_s']:.0f}",
                         f"{r['floor']['events_per_s']:.0f}", f"{r['ratio']:.2f}",
                         f">= {TARGET_RATIO} and >= {TARGET_EVENTS_PER_S}/s", verdict(r["met"]),
                         r["measured"]["errors"] + r["floor"]["errors"]])
    lines = [(f"event intake over HTTP with live scoring: {plan['leads']} leads, {plan['collect_requests']} beacons "
             f"of 20, {plan['api_requests']} API batches of 500, {plan['connections']} connections; the score is "
             "current when each answer returns"),
             table(["database", "endpoint", "events/s", "floor events/s", "ratio", "target", "", "errors"], rows)]
    for result in outcome["results"]:
        for name, r in result["runs"].items():
            for kind in ("measured", "floor"):
                if r[kind]["errors"]:
                    lines.append(f"!!! {result['database']} {name} {kind}: {r[kind]['errors']} failed; first: "
                                 f"{r[kind]['first_error']}")
        for error, count in result["server_errors_logged"].items():
            lines.append(f"!!! {result['database']}: server logged {count}x {error}")
    return "\n".join(lines)
