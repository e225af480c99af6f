"""Capture over real HTTP: `leadflow serve` (one process) driven by wrk, POST /api/v1/leads beside POST /bench/floor.

Throughput with 32 connections (a fifth of the submissions are duplicates that merge), then p50/p99 latency with 4.
"""

from __future__ import annotations

import ctypes
import json
import platform
import re
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from leadflow import db

from bench.databases import BenchDatabase, postgres_reachable
from bench.machine import table, verdict

LUA = Path(__file__).resolve().parent / "capture.lua"
LEADFLOW = Path(sys.executable).with_name("leadflow")
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
SYS_TGKILL = {"x86_64": 234, "aarch64": 131}.get(platform.machine(), 234)


@dataclass
class Plan:
    submissions: int = 20_000
    connections: int = 32
    latency_submissions: int = 4_000
    latency_connections: int = 4
    warmup: int = 500
    threads: int = 2
    run_timeout_s: int = 600

    @classmethod
    def quick(cls) -> Plan:
        return cls(submissions=2_000, latency_submissions=400, warmup=200, run_timeout_s=120)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`leadflow serve` on a free loopback port, with the floor mounted and the embedded worker off."""

    def __init__(self, database_url: str, folder: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LEADFLOW_DATABASE_URL": database_url, "LEADFLOW_EMBEDDED_WORKER": "false",
                    "LEADFLOW_RATE_LIMIT_PER_MINUTE": "100000000", "LEADFLOW_BENCH_FLOOR": "true",
                    "LEADFLOW_LOG_LEVEL": "WARNING", "LEADFLOW_SECRET_KEY": secrets.token_urlsafe(48)}
        self.log_path = folder / "server.log"
        self.process: subprocess.Popen | None = None

    def api_key(self) -> str:
        done = subprocess.run([str(LEADFLOW), "apikey", "create", "--name", "bench"], env=self.env,
                              capture_output=True, text=True, timeout=60, check=True)
        return done.stdout.strip()

    def start(self) -> None:
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(LEADFLOW), "serve", "--host", "127.0.0.1", "--port", str(self.port)], env=self.env,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"leadflow serve exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("leadflow serve did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def errors_logged(self) -> dict[str, int]:
        """Each distinct exception the server logged (warm-up included), with how often."""
        found: dict[str, int] = {}
        for line in self.log_path.read_text(errors="replace").splitlines():
            if re.match(r"^[\w.]+(Error|Exception)\b", line):
                found[line[:300]] = found.get(line[:300], 0) + 1
        return found


def run_wrk(url: str, key: str, *, total: int, connections: int, threads: int, tag: str, phone_digit: int,
            folder: Path, timeout_s: int) -> dict:
    """Send exactly `total` submissions (each thread its share), then stop wrk; returns what the Lua script saw."""
    threads = max(1, min(threads, connections))
    per_thread = -(-total // threads)
    marks = folder / f"done-{tag}-{secrets.token_hex(4)}-"  # each run its own markers
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{timeout_s}s", "--timeout", "30s",
               "-s", str(LUA), url, "--", str(per_thread), tag, str(phone_digit), str(marks)]
    wrk = subprocess.Popen(command, env={**os.environ, "LEADFLOW_BENCH_KEY": key}, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    deadline, nudged = time.monotonic() + timeout_s + 30, 0.0
    while wrk.poll() is None and time.monotonic() < deadline:
        if time.monotonic() - nudged > 1 and all(Path(f"{marks}{i}").exists() for i in range(1, threads + 1)):
            _wake(wrk.pid)  # every thread is done: end wrk's timed sleep now instead of at -d
            nudged = time.monotonic()
        time.sleep(0.02)
    try:
        output, _ = wrk.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        wrk.kill()
        output, _ = wrk.communicate()
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            figures = json.loads(line[len("BENCH_JSON "):])
            figures["requested"] = per_thread * threads
            figures["connections"] = connections
            figures["rps"] = round(figures["answered"] / figures["seconds"], 1) if figures["seconds"] else 0.0
            socket_errors = sum(figures["socket_errors"].values())
            figures["errors"] = figures["failed"] + figures["pending"] + socket_errors
            return figures
    raise RuntimeError(f"wrk (exit {wrk.returncode}) printed no result:\n{output[-3000:]}")


def _wake(pid: int) -> None:
    """SIGINT to wrk's main thread only (tgkill): a process-wide signal may land on a worker thread instead,
    which leaves the main thread asleep until the end of -d."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(SYS_TGKILL, pid, pid, signal.SIGINT) != 0:
        os.kill(pid, signal.SIGINT)


def bench_database(database: BenchDatabase, plan: Plan, folder: Path) -> dict:
    db.upgrade(database.url)
    server = Server(database.url, folder)
    key = server.api_key()
    server.start()
    try:
        common = dict(threads=plan.threads, folder=folder, timeout_s=plan.run_timeout_s)
        run_wrk(f"{server.base}/bench/floor", key, total=plan.warmup, connections=plan.connections,
                tag="warmfloor", phone_digit=1, **common)
        run_wrk(f"{server.base}/api/v1/leads", key, total=plan.warmup, connections=plan.connections,
                tag="warm", phone_digit=1, **common)
        floor = run_wrk(f"{server.base}/bench/floor", key, total=plan.submissions, connections=plan.connections,
                        tag="floor", phone_digit=2, **common)
        capture = run_wrk(f"{server.base}/api/v1/leads", key, total=plan.submissions, connections=plan.connections,
                          tag="load", phone_digit=3, **common)
        latency = run_wrk(f"{server.base}/api/v1/leads", key, total=plan.latency_submissions,
                          connections=plan.latency_connections, tag="lat", phone_digit=4, **common)
        floor_latency = run_wrk(f"{server.base}/bench/floor", key, total=plan.latency_submissions,
                                connections=plan.latency_connections, tag="floorlat", phone_digit=5, **common)
    finally:
        server.stop()
    ratio = round(capture["rps"] / floor["rps"], 3) if floor["rps"] else None
    errors = sum(run["errors"] for run in (floor, capture, latency, floor_latency))
    return {
        "database": database.dialect,
        "throughput": {"capture": capture, "floor": floor, "ratio": ratio, "target_ratio": TARGET_RATIO,
                       "met": None if ratio is None else ratio >= TARGET_RATIO},
        "latency": {"capture": latency, "floor": floor_latency, "p50_ms": latency["latency_ms"]["p50"],
                    "p99_ms": latency["latency_ms"]["p99"], "target_p99_ms": TARGET_P99_MS,
                    "met": latency["latency_ms"]["p99"] < TARGET_P99_MS},
        "errors": errors,
        "server_errors_logged": server.errors_logged(),
    }


def run(plan: Plan) -> dict:
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (Debian: apt-get install wrk)"}
    results, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        folder = Path(tmp)
        with BenchDatabase.sqlite(folder, "capture") as database:
            results.append(bench_database(database, plan, folder))
        if postgres_reachable():
            with BenchDatabase.postgres("capture") as database:
                results.append(bench_database(database, plan, folder))
        else:
            skipped.append("postgresql: server not reachable")
    return {"plan": plan.__dict__, "results": results, "skipped": skipped}


def report(outcome: dict) -> str:
    if "skipped" in outcome and not outcome.get("results"):
        return f"capture over HTTP: skipped: {outcome['skipped']}"
    plan = outcome["plan"]
    rows = []
    for result in outcome["results"]:
        t, lat = result["throughput"], result["latency"]
        rows.append([result["database"], f"{t['capture']['rps']:.0f}", f"{t['floor']['rps']:.0f}",
                     f"{t['ratio']:.2f}", f">= {TARGET_RATIO}", verdict(t["met"]),
                     f"{lat['p50_ms']:.1f}", f"{lat['p99_ms']:.1f}", f"< {TARGET_P99_MS:.0f}", verdict(lat["met"]),
                     f"{t['capture']['created']}/{t['capture']['merged']}", result["errors"]])
    lines = [f"capture over HTTP: {plan['submissions']} submissions, {plan['connections']} connections "
             f"(a fifth duplicates); latency with {plan['latency_connections']} connections",
             table(["database", "capture req/s", "floor req/s", "ratio", "target", "", "p50 ms", "p99 ms",
                    "target", "", "created/merged", "errors"], rows)]
    for result in outcome["results"]:
        if result["errors"]:
            runs = {name: result[part][kind] for name, part, kind in (
                ("floor", "throughput", "floor"), ("capture", "throughput", "capture"),
                ("latency", "latency", "capture"), ("floor latency", "latency", "floor"))}
            lines.append(f"!!! {result['database']}: {result['errors']} FAILED REQUESTS: the figures above are "
                         "not valid")
            for name, figures in runs.items():
                if figures["errors"]:
                    lines.append(f"!!!   {name}: {figures['failed']} non-2xx, {figures['pending']} pending (202), "
                                 f"socket errors {figures['socket_errors']}; first: {figures['first_error']}")
        incomplete = [name for name, figures in (("capture", result["throughput"]["capture"]),
                                                 ("floor", result["throughput"]["floor"])) if not figures["complete"]]
        if incomplete:
            lines.append(f"!!! {result['database']}: {', '.join(incomplete)} did not finish within the time bound")
        for error, count in result["server_errors_logged"].items():
            lines.append(f"!!! {result['database']}: the server logged {count} x {error}")
    lines.extend(f"skipped {reason}" for reason in outcome["skipped"])
    return "\n".join(lines)
