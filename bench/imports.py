"""Import benchmark: `leadflow import FILE --channel trade_fair` into a database that already holds many leads,
beside the floor of inserting the same rows, already parsed, into a plain table with executemany.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select

from leadflow import db
from leadflow.leads.models import Lead

from bench import seed
from bench.databases import BenchDatabase, postgres_reachable
from bench.machine import table, verdict

LEADFLOW = Path(sys.executable).with_name("leadflow")
TARGET_ROWS_PER_S = 10_000  # SQLite
TARGET_RATIO = 0.2
TARGET_PEAK_MB = 400


@dataclass
class Plan:
    leads: int = 1_000_000
    rows: int = 200_000
    timeout_s: int = 1_800

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=50_000, rows=10_000, timeout_s=600)


def import_available() -> bool:
    try:
        done = subprocess.run([str(LEADFLOW), "import", "--help"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def count_leads(url: str) -> int:
    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Lead))
    finally:
        engine.dispose()


def run_import(url: str, csv_path: Path, folder: Path, timeout_s: int) -> dict:
    """The command as a user runs it, timed from the outside, with its peak resident memory."""
    env = {**os.environ, "LEADFLOW_DATABASE_URL": url, "LEADFLOW_LOG_LEVEL": "WARNING",
           "LEADFLOW_SECRET_KEY": secrets.token_urlsafe(48)}
    command = [str(LEADFLOW), "import", str(csv_path), "--channel", "trade_fair"]
    stats = folder / "time.txt"
    timer = shutil.which("time") and Path("/usr/bin/time")
    if timer and timer.exists():
        command = [str(timer), "-v", "-o", str(stats), *command]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # its own group: a timeout kills the command, not only time
    peak_kb = 0
    deadline = started + timeout_s
    while process.poll() is None and time.perf_counter() < deadline:
        if not timer:
            peak_kb = max(peak_kb, _vm_hwm_kb(process.pid))
        time.sleep(0.05)
    timed_out = process.poll() is None
    if timed_out:
        os.killpg(process.pid, signal.SIGKILL)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    if timer and stats.exists():
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stats.read_text())
        peak_kb = int(found.group(1)) if found else 0
    return {"exit_code": process.returncode, "timed_out": timed_out, "seconds": round(seconds, 3),
            "peak_mb": round(peak_kb / 1024, 1), "peak_measured_by": "/usr/bin/time -v" if timer else "/proc VmHWM",
            "summary": (err.strip().splitlines() or [""])[-5:], "stdout_tail": out.strip()[-500:]}


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def run_floor(url: str, csv_path: Path) -> dict:
    """The same rows, parsed before the clock starts, inserted with executemany into a plain table: no logic."""
    with csv_path.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        header = next(reader)
        rows = [tuple(row) for row in reader]
    engine = create_engine(db.normalize_url(url))
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            key = "id INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "id BIGSERIAL PRIMARY KEY"
            cursor.execute(f"CREATE TABLE bench_floor_rows ({key}, {', '.join(f'{c} TEXT' for c in header)})")
            raw.commit()
            marker = "?" if engine.dialect.name == "sqlite" else "%s"
            sql = f"INSERT INTO bench_floor_rows ({', '.join(header)}) VALUES ({', '.join([marker] * len(header))})"
            started = time.perf_counter()
            cursor.executemany(sql, rows)
            raw.commit()
            seconds = time.perf_counter() - started
        finally:
            raw.close()
    finally:
        engine.dispose()
    return {"rows": len(rows), "seconds": round(seconds, 3), "rows_per_s": round(len(rows) / seconds, 1)}


def bench_database(database: BenchDatabase, floor_database: BenchDatabase, plan: Plan, csv_path: Path,
                   folder: Path) -> dict:
    floor = run_floor(floor_database.url, csv_path)
    before = count_leads(database.url)
    measured = run_import(database.url, csv_path, folder, plan.timeout_s)
    after = count_leads(database.url)
    rows_per_s = round(plan.rows / measured["seconds"], 1) if measured["exit_code"] == 0 else None
    ratio = round(rows_per_s / floor["rows_per_s"], 3) if rows_per_s else None
    speed_target = TARGET_ROWS_PER_S if database.dialect == "sqlite" else None
    return {
        "database": database.dialect, "leads_before": before, "leads_after": after,
        "import": {**measured, "rows": plan.rows, "rows_per_s": rows_per_s}, "floor": floor, "ratio": ratio,
        "targets": {"rows_per_s": speed_target, "ratio": TARGET_RATIO, "peak_mb": TARGET_PEAK_MB},
        "met": {
            "rows_per_s": None if speed_target is None or rows_per_s is None else rows_per_s >= speed_target,
            "ratio": None if ratio is None else ratio >= TARGET_RATIO,
            "peak_mb": None if not measured["peak_mb"] else measured["peak_mb"] < TARGET_PEAK_MB,
        },
    }


def run(plan: Plan) -> dict:
    if not import_available():
        return {"plan": plan.__dict__, "skipped": "leadflow import not available", "results": []}
    results, skipped, timings = [], [], {}
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-import-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        seeded = seed.cached_sqlite(plan.leads)
        timings["sqlite_seed_or_cache_s"] = round(time.perf_counter() - started, 1)
        csv_path = folder / "trade_fair.csv"
        mix = seed.write_import_file(csv_path, rows=plan.rows, seeded=plan.leads)
        with BenchDatabase.sqlite(folder, "import") as database, BenchDatabase.sqlite(folder, "floor") as floor:
            shutil.copyfile(seeded, database.path)
            shutil.copyfile(seeded, floor.path)
            results.append(bench_database(database, floor, plan, csv_path, folder))
        if postgres_reachable():
            with BenchDatabase.postgres("import") as database:
                db.upgrade(database.url)
                started = time.perf_counter()
                seed.seed_leads(database, plan.leads)
                timings["postgresql_seed_s"] = round(time.perf_counter() - started, 1)
                with database.copy("floor", folder) as floor:
                    results.append(bench_database(database, floor, plan, csv_path, folder))
        else:
            skipped.append("postgresql: server not reachable")
    return {"plan": plan.__dict__, "file": mix, "results": results, "skipped": skipped, "setup": timings}


def report(outcome: dict) -> str:
    plan = outcome["plan"]
    if outcome.get("skipped") and isinstance(outcome["skipped"], str):
        return f"import: skipped: {outcome['skipped']}"
    rows = []
    for result in outcome["results"]:
        measured, met = result["import"], result["met"]
        speed = f"{measured['rows_per_s']:.0f}" if measured["rows_per_s"] else "failed"
        target = f">= {result['targets']['rows_per_s']}" if result["targets"]["rows_per_s"] else "-"
        rows.append([result["database"], speed, target, verdict(met["rows_per_s"]),
                     f"{result['floor']['rows_per_s']:.0f}",
                     f"{result['ratio']:.2f}" if result["ratio"] is not None else "-", f">= {TARGET_RATIO}",
                     verdict(met["ratio"]), f"{measured['peak_mb']:.0f}", f"< {TARGET_PEAK_MB}",
                     verdict(met["peak_mb"]), result["leads_after"] - result["leads_before"]])
    lines = [f"import: {plan['rows']} CSV rows into {plan['leads']} leads ({outcome['file']})",
             table(["database", "rows/s", "target", "", "floor rows/s", "ratio", "target", "", "peak MB", "target",
                    "", "new leads"], rows)]
    for result in outcome["results"]:
        measured = result["import"]
        if measured["exit_code"] != 0 or measured["timed_out"]:
            lines.append(f"!!! {result['database']}: leadflow import FAILED (exit {measured['exit_code']}, "
                         f"timed out: {measured['timed_out']}): {' | '.join(measured['summary'])}")
        else:
            lines.append(f"{result['database']}: leadflow import said: {' | '.join(measured['summary'])}")
    lines.extend(f"skipped {reason}" for reason in outcome["skipped"])
    return "\n".join(lines)
