"""Name-and-address lists through the product: each set with known truth put in a database, then `leadflow dedupe`
twice on copies of that database, once with our own matcher (`--engine matcher`) and once with Splink (`--engine
splink`, the default). Two ways in: `import` (`leadflow import`, which already matches and merges each row as a
capture) and `loaded` (one lead per record, as a database from before the matcher or a bulk load holds them: what
merges is what dedupe merged). Pairwise precision, recall and F1 of the automatic merges and with the
review queue, the queue as a share of the leads, wall time and peak memory of dedupe; beside two floors measured in
the same run: reading the surviving leads, and a naive exact-key dedupe (same folded name and birth date, else
same folded name and postal code).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from leadflow import db
from leadflow.identity.normalize import PersonRecord, fold
from leadflow.leads.models import Lead

from bench import identity_cli, identity_quality, name_lists
from bench.databases import BenchDatabase, postgres_reachable
from bench.machine import table, verdict

LEADFLOW = Path(sys.executable).with_name("leadflow")
TIMER = Path("/usr/bin/time")
ENGINES = ("matcher", "splink")
MODES = ("import", "loaded")
TARGET = {"precision": 0.99, "recall": 0.92, "queue_share": 0.05}   # issue 9, for name-and-address lists
GENERATED = {"lists-5k": 2_200, "lists-50k": 22_000}                 # people -> about 2.3 records each


@dataclass
class Plan:
    sets: tuple[str, ...] = ("lists-5k", "lists-50k", "febrl3", "febrl4", "fake_1000", "chicago")
    postgres_sets: tuple[str, ...] = ("lists-5k",)
    modes: tuple[str, ...] = MODES
    import_sets: tuple[str, ...] = ("lists-5k", "fake_1000", "chicago")   # the others are loaded only
    timeout_s: int = 3_600

    @classmethod
    def quick(cls) -> Plan:
        return cls(sets=("fake_1000",), postgres_sets=(), timeout_s=900)


def load(name: str) -> tuple[list[PersonRecord], dict] | None:
    if name in GENERATED:
        return name_lists.generate(GENERATED[name])
    if name.startswith("febrl"):
        return identity_quality.febrl(int(name[-1]))
    return identity_cli.load(name, 0)


def leadflow(args: list[str], url: str, timeout_s: int, folder: Path) -> dict:
    """One command as a user runs it, under /usr/bin/time -v for the peak resident memory."""
    env = {**os.environ, "LEADFLOW_DATABASE_URL": url, "LEADFLOW_LOG_LEVEL": "WARNING",
           "LEADFLOW_SECRET_KEY": secrets.token_urlsafe(48)}
    stats = folder / "time.txt"
    stats.unlink(missing_ok=True)
    command = [str(LEADFLOW), *args]
    if TIMER.exists():
        command = [str(TIMER), "-v", "-o", str(stats), *command]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
        code, said, timed_out = done.returncode, done.stderr.strip().splitlines()[-4:], False
    except subprocess.TimeoutExpired:
        code, said, timed_out = None, [], True
    seconds = time.perf_counter() - started
    peak_mb = None
    if stats.exists():
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stats.read_text())
        peak_mb = round(int(found.group(1)) / 1024, 1) if found else None
    return {"command": args[0], "exit_code": code, "timed_out": timed_out, "seconds": round(seconds, 1),
            "peak_mb": peak_mb, "said": said}


def load_leads(url: str, records: list[PersonRecord]) -> float:
    """One lead per record, inserted as they are (the record id kept in custom_fields); returns the seconds."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for r in records:
        street = " ".join(p for p in (r.street, r.house_number) if p) or None
        custom = {"record_id": str(r.id), **({"birth_date": r.birth_date} if r.birth_date else {})}
        rows.append({"first_name": r.first_name, "last_name": r.last_name, "email": (r.email or "").lower() or None,
                     "phone": r.phones[0] if r.phones else None, "company": r.company, "street": street,
                     "postal_code": r.postal_code, "city": r.city, "country": r.country, "custom_fields": custom,
                     "stage": "new", "do_not_contact": False, "manual_fields": [], "first_touch": {},
                     "last_touch": {}, "created_at": moment, "updated_at": moment})
    engine = create_engine(db.normalize_url(url))
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            for start in range(0, len(rows), 5000):
                conn.execute(insert(Lead.__table__), rows[start:start + 5000])
    finally:
        engine.dispose()
    return round(time.perf_counter() - started, 1)


def read_back_loaded(url: str) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """(record id -> surviving lead, open review pairs between surviving leads) of a loaded list."""
    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            leads = conn.execute(text("SELECT id, merged_into_id, custom_fields FROM leads")).all()
            review = conn.execute(text("SELECT lead_id, other_id FROM possible_duplicates WHERE status = 'open'")).all()
    finally:
        engine.dispose()
    parent = {lead_id: merged_into for lead_id, merged_into, _ in leads}

    def survivor(lead_id: int) -> int:
        while parent.get(lead_id) is not None:
            lead_id = parent[lead_id]
        return lead_id

    record_of = {lead_id: (custom if isinstance(custom, dict) else json.loads(custom or "{}")).get("record_id")
                 for lead_id, _, custom in leads}
    lead_of = {rid: survivor(lead_id) for lead_id, rid in record_of.items() if rid is not None}
    pairs = {tuple(sorted((survivor(a), survivor(b)))) for a, b in review}
    return lead_of, [p for p in pairs if p[0] != p[1]]


def read_floor(url: str) -> float:
    """Seconds to stream what dedupe reads: the matching columns of every surviving lead."""
    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            started = time.perf_counter()
            for _ in conn.execution_options(yield_per=20_000).execute(text(
                    "SELECT id, first_name, last_name, email, phone, mobile, company, street, postal_code, city, "
                    "country, custom_fields FROM leads WHERE merged_into_id IS NULL")):
                pass
            return round(time.perf_counter() - started, 2)
    finally:
        engine.dispose()


def naive(records: list[PersonRecord], truth: dict) -> dict:
    """The exact-key floor: records with the same folded first and last name and birth date (without one, postal
    code) are one person."""
    groups = defaultdict(list)
    for r in records:
        name = (fold(r.first_name), fold(r.last_name))
        place = r.birth_date or (r.postal_code or "").replace(" ", "").upper()
        if all(name) and place:
            groups[(*name, place)].append(str(r.id))
    merged = {tuple(sorted(p)) for members in groups.values() for p in combinations(members, 2)}
    return identity_quality._prf(merged, _true_pairs(truth))


def _true_pairs(truth: dict) -> set[tuple[str, str]]:
    entities = defaultdict(list)
    for rid, entity in truth.items():
        entities[entity].append(str(rid))
    return {tuple(sorted(p)) for members in entities.values() for p in combinations(members, 2)}


def bench_set(name: str, records: list[PersonRecord], truth: dict, database: BenchDatabase, folder: Path,
              timeout_s: int, mode: str) -> list[dict]:
    base = {"set": name, "database": database.dialect, "mode": mode, "records": len(records)}
    prepared = [leadflow(["migrate"], database.url, timeout_s, folder)]
    if mode == "import":
        path = folder / f"{name}.csv"
        identity_cli.write_list(path, records)
        prepared.append(leadflow(["import", str(path), "--id-column", "record_id", "--channel", "lead_list",
                                  "--rejects", str(folder / f"{name}.rejects.csv")], database.url, timeout_s, folder))
    if any(step["exit_code"] != 0 for step in prepared):
        return [{**base, "engine": "-", "steps": prepared, "errors": 1}]
    loaded_s = load_leads(database.url, records) if mode == "loaded" else None
    floor = {"read_s": read_floor(database.url), "naive": naive(records, truth),
             "queued_before": len(_read_back(database.url, mode)[1]), "loaded_s": loaded_s}
    results = []
    for engine in ENGINES:
        with database.copy(f"{name}_{mode}_{engine}".replace("-", "_"), folder) as copy:
            run = leadflow(["dedupe", "--engine", engine], copy.url, timeout_s, folder)
            result = {**base, "engine": engine, "prepare": prepared[1:], "dedupe": run, "floor": floor,
                      "errors": int(run["exit_code"] != 0)}
            if run["exit_code"] == 0:
                lead_of, review = _read_back(copy.url, mode)
                result.update(identity_cli.score(truth, lead_of, review))
                result["queue_share"] = round(len(review) / max(result["leads"], 1), 4)
                result["not_queued"] = _not_queued(run["said"])
            results.append(result)
            print(_line(result), flush=True)
    return results


def _read_back(url: str, mode: str) -> tuple[dict[str, int], list[tuple[int, int]]]:
    if mode == "loaded":
        return read_back_loaded(url)
    lead_of, _, review = identity_cli.read_back(url)
    return lead_of, review


def _not_queued(said: list[str]) -> int:
    found = next((re.search(r"not queued: (\d+)", line) for line in said if "not queued" in line), None)
    return int(found.group(1)) if found else 0


def run(plan: Plan) -> dict:
    results, skipped = [], []
    postgres = postgres_reachable()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-lists-") as tmp:
        folder = Path(tmp)
        for name in plan.sets:
            data = load(name)
            if data is None:
                skipped.append(f"{name}: data not in ../shared/data/dedupe/ or the 'bench' extra not installed")
                continue
            records, truth = data
            for mode in plan.modes:
                if mode == "import" and name not in plan.import_sets:
                    continue
                with BenchDatabase.sqlite(folder, f"{name}_{mode}") as database:
                    results += bench_set(name, records, truth, database, folder, plan.timeout_s, mode)
                if name in plan.postgres_sets and postgres:
                    with BenchDatabase.postgres(f"{name}_{mode}".replace("-", "_")) as database:
                        results += bench_set(name, records, truth, database, folder, plan.timeout_s, mode)
        if not postgres:
            skipped.append("postgresql: server not reachable")
    return {"benchmark": "identity_lists", "plan": {"sets": list(plan.sets), "postgres_sets": list(plan.postgres_sets),
                                                    "modes": list(plan.modes)},
            "load_average": os.getloadavg(), "targets": TARGET, "results": results, "skipped": skipped}


def _line(r: dict) -> str:
    if r.get("errors"):
        steps = [r.get("dedupe")] if r.get("dedupe") else r.get("steps", [])
        return f"{r['set']} {r['mode']} {r['engine']} on {r['database']}: FAILED " + "; ".join(
            f"{s['command']} exit {s['exit_code']}: {' | '.join(s['said'])}" for s in steps if s["exit_code"] != 0)
    a, b = r["auto"], r["auto_plus_review"]
    return (f"{r['set']} {r['mode']} {r['engine']} on {r['database']}: auto P {a['precision']:.3f} R {a['recall']:.3f}, "
            f"+review P {b['precision']:.3f} R {b['recall']:.3f}, queue {r['queue_share']:.1%} of "
            f"{r['leads']} leads, dedupe {r['dedupe']['seconds']} s {r['dedupe']['peak_mb']} MB")


def report(outcome: dict) -> str:
    rows, notes = [], []
    for r in outcome["results"]:
        if r.get("errors"):
            notes.append("!!! " + _line(r))
            continue
        a, b = r["auto"], r["auto_plus_review"]
        met = a["precision"] >= TARGET["precision"] and a["recall"] >= TARGET["recall"] and \
            r["queue_share"] < TARGET["queue_share"]
        rows.append([r["set"], r["mode"], r["database"], r["engine"], r["records"], r["leads"], f"{a['precision']:.3f}",
                     f"{a['recall']:.3f}", f"{a['f1']:.3f}", f"{b['precision']:.3f}", f"{b['recall']:.3f}",
                     f"{b['f1']:.3f}", f"{r['queue_share']:.1%}", r["not_queued"], r["dedupe"]["seconds"],
                     r["floor"]["queued_before"], r["dedupe"]["peak_mb"], r["floor"]["read_s"],
                     f"{r['floor']['naive']['f1']:.3f}",
                     verdict(met)])
    lines = ["name-and-address lists: imported with leadflow import, or loaded one lead per record; then leadflow "
             "dedupe --engine matcher | splink (pairs of records)",
             table(["set", "way in", "db", "engine", "rows", "leads", "auto P", "R", "F1", "+review P", "R", "F1", "queue",
                    "not queued", "dedupe s", "queued before", "peak MB", "floor read s", "naive F1",
                    "P>=.99 R>=.92 q<5%"], rows),
             *notes, f"load average {outcome['load_average']}"]
    lines.extend(f"skipped {reason}" for reason in outcome["skipped"])
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.identity_lists [SET ...] [--quick] [--sqlite]
    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    chosen = Plan.quick() if "--quick" in sys.argv else Plan()
    if names:
        chosen.sets = tuple(names)
    if "--sqlite" in sys.argv:
        chosen.postgres_sets = ()
    from bench.machine import machine, write_result

    outcome = run(chosen)
    outcome["machine"] = machine()
    print(report(outcome))
    print(f"written to {write_result('identity-lists', outcome)}")
