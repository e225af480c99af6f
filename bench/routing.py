"""Routing a burst: 100,000 leads become Sales Ready at once (the outbox rows qualification writes); two `leadflow
worker` processes route them over a team in turn, alert each owner (a bell notice and an email to a real SMTP
server) and deliver `lead.assigned` to a webhook receiver that checks each signature. Timed until the last email
and delivery arrived, beside a floor: the same number of owner updates as one UPDATE statement. Zero duplicates:
one assignment per lead, one email per assignment (distinct Message-IDs), one delivery id each. SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import Process, Queue
from pathlib import Path

from bench.databases import BenchDatabase, postgres_reachable

SECRET = "bench-secret-" + "s" * 24
REPS = 20
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Plan:
    leads: int = 100_000
    workers: int = 2
    deadline_s: int = 1800

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=3_000)


# --- the receivers, each in a process of its own (the workers are the ones measured) -------------------------------

def _receiver(port_out: Queue, done_out: Queue, stop_file: str) -> None:
    """A webhook receiver: checks every signature, counts delivery ids."""
    seen: dict[str, int] = {}
    bad = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(expected, self.headers.get("x-leadflow-signature") or "")
            with lock:
                if not ok:
                    bad[0] += 1
                key = self.headers.get("x-leadflow-delivery") or ""
                seen[key] = seen.get(key, 0) + 1
            self.send_response(200 if ok else 401)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 512  # many workers' connections arrive at once (the default backlog is 5)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    while not os.path.exists(stop_file):
        time.sleep(0.2)
        with lock:
            done_out.put(("progress", len(seen)))
    server.shutdown()
    with lock:
        done_out.put(("done", {"distinct": len(seen), "requests": sum(seen.values()), "bad_signatures": bad[0]}))


def _smtp(port_out: Queue, done_out: Queue, stop_file: str) -> None:
    """An SMTP server counting messages and their Message-IDs."""
    from aiosmtpd.controller import Controller

    ids: dict[str, int] = {}

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            for line in envelope.content.split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    key = line.split(b":", 1)[1].strip().decode()
                    ids[key] = ids.get(key, 0) + 1
                    break
                if not line:
                    break
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    port_out.put(port)
    while not os.path.exists(stop_file):
        time.sleep(0.2)
        done_out.put(("progress", len(ids)))
    controller.stop()
    done_out.put(("done", {"distinct": len(ids), "messages": sum(ids.values())}))


def _latest(queue: Queue, current: dict) -> dict:
    while not queue.empty():
        kind, value = queue.get()
        current[kind] = value
    return current


# --- one database --------------------------------------------------------------------------------------------------

def _seed(url: str, plan: Plan, receiver_url: str) -> None:
    from leadflow import clock, db, outbox, stages
    from leadflow.handoff import service as handoff_service
    from leadflow.leads import service as leads_service
    from leadflow.leads.models import Lead
    from leadflow.people import service as people_service
    from leadflow.routing import service as routing_service

    stages.wire()
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    with factory() as session:
        people_service.create_team(session=session, name="Finland", kind="sales")
        for i in range(REPS):
            people_service.create_user(session=session, email=f"rep{i}@example.com", role="sales_rep",
                                       team="Finland", password="correct horse battery")
        routing_service.save_rule_set({"rules": [
            {"name": "Northern Finland", "when": 'city == "Oulu"', "to": "user:rep0@example.com"},
            {"name": "Finland", "when": 'country == "FI"', "to": "team:Finland"}]},
            session=session, actor="bench", activate=True)
        handoff_service.create_endpoint(session=session, url=receiver_url, events=["lead.assigned"], secret=SECRET)
        session.commit()
    moment = clock.now()
    cities = ("Oulu", "Helsinki", "Espoo", "Tampere", "Turku")
    for start in range(0, plan.leads, 5000):
        with factory() as session:
            rows = [{"first_name": f"Lead{i}", "last_name": "Bench", "email": f"lead{i}@bench.example",
                     "company": f"Firm {i % 997}", "city": cities[i % len(cities)], "country": "FI", "stage": "sql",
                     "score": 70, "band": "hot", "grade": "A", "custom_fields": {}, "manual_fields": [],
                     "other_emails": [], "other_phones": [], "first_touch": {}, "last_touch": {},
                     "do_not_contact": False, "created_at": moment, "updated_at": moment, "sales_ready_at": moment}
                    for i in range(start, min(plan.leads, start + 5000))]
            ids = leads_service.insert_with_ids(Lead.__table__, rows, session=session)
            outbox.publish_many(session, [{"topic": "lead.sales_ready", "key": f"lead.sales_ready:{i}",
                                           "payload": {"lead_id": i, "score": 70, "band": "hot", "grade": "A"}}
                                          for i in ids])
            session.commit()
    engine.dispose()


def _pending(url: str) -> int:
    from sqlalchemy import create_engine, text

    from leadflow import db

    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM outbox WHERE done_at IS NULL AND topic IN ("
                                     "'lead.sales_ready', 'lead.assigned', 'email.send', 'webhook.deliver', "
                                     "'notification.chat')")).scalar()
    finally:
        engine.dispose()


def _checks(url: str) -> dict:
    from sqlalchemy import create_engine, text

    from leadflow import db

    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            one = lambda sql: conn.execute(text(sql)).scalar()  # noqa: E731
            return {
                "assignments": one("SELECT count(*) FROM assignments"),
                "leads_routed_twice": one("SELECT count(*) FROM (SELECT lead_id FROM assignments GROUP BY lead_id "
                                          "HAVING count(*) > 1) x"),
                "leads_without_owner": one("SELECT count(*) FROM leads WHERE owner_id IS NULL"),
                "notices": one("SELECT count(*) FROM notifications"),
                "deliveries": one("SELECT count(*) FROM webhook_deliveries"),
                "delivered": one("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'"),
                "failed_jobs": one("SELECT count(*) FROM outbox WHERE last_error IS NOT NULL"),
                "per_rep": sorted(r[0] for r in conn.execute(text(
                    "SELECT count(*) FROM leads GROUP BY owner_id"))),
            }
    finally:
        engine.dispose()


def _floor(url: str, leads: int) -> float:
    """The same number of owner updates as one statement (every lead to a rep by id), timed."""
    from sqlalchemy import create_engine, text

    from leadflow import db

    engine = create_engine(db.normalize_url(url))
    try:
        with engine.begin() as conn:
            first = conn.execute(text("SELECT min(id) FROM users")).scalar()
            t = time.perf_counter()
            done = conn.execute(text(f"UPDATE leads SET owner_id = {first} + (id % {REPS}), "
                                     "assigned_at = CURRENT_TIMESTAMP")).rowcount
            floor = time.perf_counter() - t
        assert done == leads, (done, leads)
        return floor
    finally:
        engine.dispose()


def _one(database: BenchDatabase, plan: Plan, folder: Path) -> dict:
    stop = folder / f"stop-{database.dialect}"
    ports, receiver_out, smtp_ports, smtp_out = Queue(), Queue(), Queue(), Queue()
    receiver = Process(target=_receiver, args=(ports, receiver_out, str(stop)), daemon=True)
    smtp = Process(target=_smtp, args=(smtp_ports, smtp_out, str(stop)), daemon=True)
    receiver.start()
    smtp.start()
    receiver_port, smtp_port = ports.get(timeout=60), smtp_ports.get(timeout=60)
    seed_started = time.perf_counter()
    _seed(database.url, plan, f"http://127.0.0.1:{receiver_port}/hooks")
    seed_s = time.perf_counter() - seed_started
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update({"LEADFLOW_DATABASE_URL": database.url, "LEADFLOW_SECRET_KEY": "bench-" + "z" * 40,
                "LEADFLOW_LOG_LEVEL": "WARNING", "LEADFLOW_SMTP_HOST": "127.0.0.1",
                "LEADFLOW_SMTP_PORT": str(smtp_port), "LEADFLOW_SMTP_STARTTLS": "false",
                "LEADFLOW_EMBEDDED_WORKER": "false"})
    logs = [open(folder / f"worker-{database.dialect}-{n}.log", "wb") for n in range(plan.workers)]
    started = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, "-m", "leadflow", "worker"], env=env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT) for log in logs]
    webhook, mail = {}, {}
    try:
        while True:
            time.sleep(1)
            _latest(receiver_out, webhook)
            _latest(smtp_out, mail)
            if webhook.get("progress", 0) >= plan.leads and mail.get("progress", 0) >= plan.leads \
                    and _pending(database.url) == 0:
                break
            if time.perf_counter() - started > plan.deadline_s:
                break
            if any(w.poll() is not None for w in workers):
                break
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        for log in logs:
            log.close()
        stop.touch()
        receiver.join(30)
        smtp.join(30)
    _latest(receiver_out, webhook)
    _latest(smtp_out, mail)
    checks = _checks(database.url)
    floor = _floor(database.url, plan.leads)
    received, sent = webhook.get("done", {}), mail.get("done", {})
    return {
        "dialect": database.dialect, "leads": plan.leads, "workers": plan.workers, "reps": REPS,
        "routed_alerted_delivered_s": round(elapsed, 1), "floor_s": round(floor, 3),
        "ratio": round(elapsed / floor, 1) if floor else None, "leads_per_s": round(plan.leads / elapsed),
        "seed_s": round(seed_s, 1), "webhook": received, "email": sent, **checks,
        "duplicates": {"assignments": checks["leads_routed_twice"],
                       "emails": sent.get("messages", 0) - sent.get("distinct", 0),
                       "webhooks": received.get("requests", 0) - received.get("distinct", 0)},
        "target": "under 120 s on PostgreSQL with two workers; zero duplicates",
    }


def run(plan: Plan) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-routing-") as tmp:
        folder = Path(tmp)
        databases = [BenchDatabase.sqlite(folder, "routing")]
        if postgres_reachable():
            databases.append(BenchDatabase.postgres("routing"))
        for database in databases:
            try:
                results.append(_one(database, plan, folder))
            finally:
                database.drop()
    return {"results": results}


def report(outcome: dict) -> str:
    lines = []
    for r in outcome["results"]:
        lines.append(
            f"{r['dialect']:<10} {r['leads']:,} leads, {r['workers']} workers: routed, alerted and delivered in "
            f"{r['routed_alerted_delivered_s']} s ({r['leads_per_s']:,} leads/s); floor (one UPDATE) "
            f"{r['floor_s']} s, ratio {r['ratio']}x\n"
            f"           assignments {r['assignments']:,}, notices {r['notices']:,}, emails {r['email']}, "
            f"webhooks {r['webhook']}, delivered {r['delivered']:,}, failed jobs {r['failed_jobs']}, "
            f"duplicates {r['duplicates']}, leads per rep {r['per_rep'][:3]}..{r['per_rep'][-3:]}")
    return "\n".join(lines)
