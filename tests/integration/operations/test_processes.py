"""Several processes on one database, as the README starts them: a server, a worker, an import and the demo.

On SQLite every process waits for the write lock instead of failing with "database is locked"; a job's failure is
recorded even while another process writes; a demo stopped midway finishes on the next run.
"""

from __future__ import annotations

import csv
import hashlib
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from leadflow import db, outbox
from leadflow.campaigns.models import Campaign
from leadflow.capture.models import Capture, Form, Import
from leadflow.db import InstanceSetting
from leadflow.leads.models import Company, Lead
from leadflow.outbox import OutboxMessage
from leadflow.people.models import CallList, User
from tests.conftest import make_settings
from tests.integration.live import ROOT, LiveServer, cli_env, run_cli, wait_for
from tests.integration.people.pages import sign_in

LOCKED = re.compile(r"database is locked|OperationalError|SQLITE_BUSY", re.IGNORECASE)


def _start(url: str, log: Path, *args: str, **extra: str) -> subprocess.Popen:
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "leadflow", *args], env=cli_env(url, **extra), cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _hot_writer(url: str, stop: threading.Event) -> threading.Thread:
    """Another writer that keeps the database busy: short transactions, back to back, until stopped."""
    def write() -> None:
        engine = db.make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(db.insert_ignore(conn, InstanceSetting, {"key": "busy", "value": "0"}, ["key"]))
            n = 0
            while not stop.is_set():
                n += 1
                with engine.begin() as conn:
                    conn.execute(update(InstanceSetting).where(InstanceSetting.key == "busy").values(value=str(n)))
                    time.sleep(0.005)  # holds the write lock a moment, as a real transaction does
        finally:
            engine.dispose()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_failed_job_is_recorded_while_another_process_writes(fresh_database):
    url = fresh_database.url
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    with factory() as session:  # an email with no SMTP server set up: sending fails
        outbox.publish(session, "email.send", {"to": "ann@example.com", "subject": "hello", "text": "hi",
                                               "key": "contention-test"})
        session.commit()
    stop = threading.Event()
    writer = _hot_writer(url, stop)
    try:
        wait_for(lambda: _busy_count(factory) > 20, what="the other writer got going")
        result = run_cli(url, "worker", "--once", LEADFLOW_LOG_LEVEL="INFO")
    finally:
        stop.set()
        writer.join()
    try:
        assert result.returncode == 0, result.stderr
        assert not LOCKED.search(result.stderr), result.stderr
        with db.reading(factory)() as session:
            message = session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "email.send"))
            assert message.attempts == 1 and message.done_at is None
            assert message.last_error and "SMTP" in message.last_error.upper()
            assert message.locked_until is None  # the lease is released: the retry waits only for its backoff
            assert message.available_at > message.created_at
    finally:
        engine.dispose()


def _busy_count(factory) -> int:
    with db.reading(factory)() as session:
        value = session.scalar(select(InstanceSetting.value).where(InstanceSetting.key == "busy"))
    return int(value or 0)


def test_a_demo_stopped_midway_finishes_on_the_next_run_without_doubling_anything(fresh_database, tmp_path):
    url = fresh_database.url
    db.upgrade(url)
    engine = db.make_engine(url)
    reads = db.make_sessionmaker(engine, reads_only=True)
    log = tmp_path / "demo.log"
    first = _start(url, log, "demo", "--leads", "400", "--seed", "11")
    try:
        wait_for(lambda: _count_in(reads, Lead) > 0, what="the demo imported its first leads",
                 alive=lambda: f"it exited first:\n{log.read_text()}" if first.poll() is not None else None)
        first.send_signal(signal.SIGKILL)  # a crash: nothing after this point is written
        first.wait()
        printed = re.search(r"password for all of them: (\S+)", log.read_text())
        assert printed, log.read_text()  # shown as soon as the users were committed
        again = run_cli(url, "demo")
        assert again.returncode == 0, again.stderr
        assert "(resumed)" in again.stderr
        password = re.search(r"password for all of them: (\S+)", again.stderr).group(1)
        with reads() as session:
            assert _count(session, User) == 13
            assert _count(session, Campaign) == 10 and _count(session, Form) == 2
            names = session.scalars(select(Company.name)).all()
            assert len(names) == len(set(names))
            imports = session.execute(select(Import.campaign_id, Import.status, Import.rows_done)).all()
            assert len({i.campaign_id for i in imports}) == len(imports)  # one import per campaign, resumed
            assert all(i.status == "done" for i in imports)
            assert _count(session, Capture) == sum(i.rows_done for i in imports)
            assert 380 <= _count(session, Lead, Lead.merged_into_id.is_(None)) <= 400
            assert _count(session, CallList) == 1  # the telemarketing team's shared list, made once
            rep = session.scalar(select(User.email).where(User.role == "sales_rep").order_by(User.id))
        from fastapi.testclient import TestClient

        from leadflow.app import create_app

        with TestClient(create_app(make_settings(url))) as client:
            assert sign_in(client, rep, password).status_code == 303
        third = run_cli(url, "demo")
        assert third.returncode == 2 and "already" in third.stderr
    finally:
        if first.poll() is None:
            first.kill()
        engine.dispose()


def _count_in(factory, model) -> int:
    with factory() as session:
        return _count(session, model)


@pytest.fixture
def sqlite_file(fresh_database):
    if fresh_database.dialect != "sqlite":
        pytest.skip("several processes on one embedded database file: SQLite only")
    return fresh_database


def test_server_worker_import_and_demo_at_once_on_one_sqlite_file(sqlite_file, tmp_path):
    url = sqlite_file.url
    rows = tmp_path / "fair.csv"
    with rows.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["First name", "Last name", "Email", "Company", "Country"])
        for i in range(20_000):  # 20,000 different people (names that share no blocking key with each other)
            first, last = ("".join(chr(97 + int(c, 16)) for c in hashlib.sha1(f"{part}{i}".encode()).hexdigest()[:8])
                           for part in "fl")
            out.writerow([first.title(), last.title(), f"visitor{i}@fair{i % 97}.example", f"Firm {i % 500}",
                          "NL"])
    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "import", "demo")}
    engine = db.make_engine(url)
    reads = db.make_sessionmaker(engine, reads_only=True)
    with LiveServer(url, LEADFLOW_EMBEDDED_WORKER="true", LEADFLOW_LOG_LEVEL="INFO") as server:
        worker = _start(url, logs["worker"], "worker", LEADFLOW_LOG_LEVEL="INFO")
        demo = _start(url, logs["demo"], "demo", "--leads", "300", "--seed", "5")
        importing = None
        try:
            # The demo fills an empty database: it starts first; the rest joins while it captures its leads.
            wait_for(lambda: "password for all of them" in logs["demo"].read_text(), what="the demo's users",
                     alive=lambda: f"it exited:\n{logs['demo'].read_text()}" if demo.poll() is not None else None)
            importing = _start(url, logs["import"], "import", str(rows), "--channel", "trade_fair",
                               "--campaign", "FAIR-26")
            with httpx.Client(base_url=server.base, headers=server.auth, timeout=120) as client:
                for n in range(40):  # the web app keeps taking leads and answering pages meanwhile
                    created = client.post("/api/v1/leads", json={"email": f"web{n}@example.com", "first_name": "Web"})
                    assert created.status_code in (200, 201), created.text
                    assert client.get("/api/v1/leads", params={"limit": 5}).status_code == 200
            assert importing.wait(timeout=1800) == 0, logs["import"].read_text()
            assert demo.wait(timeout=1800) == 0, logs["demo"].read_text()
            wait_for(lambda: _jobs_done(reads) >= 400, what="the workers working through the jobs")
        finally:
            for process in (worker, importing, demo):
                if process is not None and process.poll() is None:
                    process.terminate()
                    process.wait(timeout=60)
            server.stop()
        server_log = server.log()
    for name, text in {**{n: p.read_text() for n, p in logs.items()}, "server": server_log}.items():
        assert not LOCKED.search(text), f"{name}:\n{text[-4000:]}"
    assert re.search(r"password for all of them: \S+", logs["demo"].read_text())
    assert re.search(r"20000 rows: \d+ created, \d+ merged, 0 rejected", logs["import"].read_text())
    try:
        with reads() as session:
            fair = session.scalar(select(Import).where(Import.filename == "fair.csv"))
            assert fair.status == "done" and fair.rows_done == 20_000
            assert fair.created + fair.merged + fair.rejected == 20_000
            jobs = session.scalars(select(OutboxMessage)).all()
            assert not [j for j in jobs if j.last_error]  # no job failed (on a lock or anything else)
            done = [j for j in jobs if j.done_at is not None]
            assert len(done) >= 400 and all(j.attempts == 1 for j in done)  # each done once
            # The rest (20,000 captures' follow-ups take a while) wait their turn, tried at most once: a job
            # claimed as a server stopped is taken again when its lease ends, never lost.
            assert all(j.attempts <= 1 for j in jobs if j.done_at is None)
            assert _count(session, User, User.email.like("%@demo.leadflow.example")) == 13
    finally:
        engine.dispose()


def _jobs_done(reads) -> int:
    with reads() as session:
        return _count(session, OutboxMessage, OutboxMessage.done_at.is_not(None))
