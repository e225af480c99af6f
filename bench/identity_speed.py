"""Identity resolution speed: `leadflow dedupe` over many leads (wall time, peak memory) beside a floor that only
reads the same rows, and `fuzzy_match` for one new capture against them beside the bare indexed key lookup.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text

from leadflow import db
from leadflow.identity import blocking
from leadflow.identity import bulk as identity_bulk
from leadflow.identity import dedupe as dedupe_run
from leadflow.identity import service as identity_service
from leadflow.identity.normalize import prepare
from leadflow.leads.domain import normalize_fields

from bench import people, seed
from bench.databases import BenchDatabase, copy_sqlite
from bench.machine import machine, table, verdict, write_result

LEADFLOW = Path(sys.executable).with_name("leadflow")
TIMER = Path("/usr/bin/time")
VERSION = 2  # of the cached database's recipe
TARGET_DEDUPE_S = 600
TARGET_PEAK_MB = 2048
TARGET_P99_MS = 10.0
NICKNAMES = {v: k for k, v in people.NICKNAMES.items()} | people.NICKNAMES


@dataclass
class Plan:
    leads: tuple[int, ...] = (100_000, 1_000_000)  # dedupe at each size
    damaged: float = 0.03                    # share of extra, damaged copies of seeded leads
    submissions: int = 1_000                 # fuzzy_match calls, half near-duplicates
    match_leads: int = 1_000_000             # the database fuzzy_match is measured against
    timeout_s: int = 3_600
    engines: tuple[str, ...] = ("splink", "matcher")   # leadflow dedupe --engine, each on its own copy
    match: bool = True                       # also time fuzzy_match per capture

    @classmethod
    def quick(cls) -> Plan:
        return cls(leads=(5_000,), submissions=100, match_leads=5_000, timeout_s=600)


def damage(rng: random.Random, p: dict[str, str]) -> dict[str, str]:
    """Another list's copy of the same person: nickname, typo, capitals, a missing or reformatted email or phone."""
    p = dict(p)
    if rng.random() < 0.2 and p["first_name"] in NICKNAMES:
        p["first_name"] = NICKNAMES[p["first_name"]]
    if rng.random() < 0.25:
        p["last_name"] = people._typo(rng, p["last_name"])
    if rng.random() < 0.1:
        p["first_name"] = people._typo(rng, p["first_name"])
    draw = rng.random()
    if draw < 0.25:
        p["email"] = ""
    elif draw < 0.45:
        p["email"] = p["email"].upper()
    draw = rng.random()
    if draw < 0.25 and p["email"]:
        p["phone"] = ""
    elif draw < 0.6 and p["phone"].startswith("+316"):
        p["phone"] = ("06 " if p["country"] == "NL" else "+31 6 ") + p["phone"][4:]
    if rng.random() < 0.3:
        p["company"] = ""
    return p


def seeded_people(url: str, ids: list[int]) -> list[dict[str, str]]:
    """Seeded leads as a list would hold them, read back from the database (its phone is in `mobile`)."""
    engine = create_engine(db.normalize_url(url))
    query = text("SELECT id, first_name, last_name, email, mobile AS phone, company, job_title, city, country "
                 "FROM leads WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    unique = sorted(set(ids))
    found: dict[int, dict[str, str]] = {}
    try:
        with engine.connect() as conn:
            for start in range(0, len(unique), 900):
                for row in conn.execute(query, {"ids": unique[start:start + 900]}):
                    found[row.id] = {k: v or "" for k, v in row._mapping.items() if k != "id"}
    finally:
        engine.dispose()
    return [found[i] for i in ids if i in found]


def damaged_rows(url: str, count_: int, seeded: int, seed_value: int = 11) -> list[dict[str, str]]:
    rng = random.Random(seed_value)
    originals = seeded_people(url, [rng.randrange(1, seeded + 1) for _ in range(count_)])
    return [damage(rng, p) for p in originals]


def insert_leads(url: str, rows: list[dict[str, str]]) -> None:
    """Extra leads, normalized as the capture pipeline would, with the seed's constants for the other columns."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    dialect = sqlite_dialect.dialect()
    constants = seed._constants(dialect)
    moment = seed._bind("created_at", datetime(2024, 6, 1, tzinfo=UTC), dialect)
    values = []
    for raw in rows:
        fields, _ = normalize_fields({k: v for k, v in raw.items() if v}, default_country="NL")
        phone = fields.get("phone")
        values.append((fields.get("first_name"), fields.get("last_name"),
                       seed.name_key(fields.get("first_name"), fields.get("last_name")), fields.get("email"), phone,
                       fields.get("company"), fields.get("job_title"), fields.get("city"), fields.get("country"),
                       moment, moment, *constants.values()))
    columns = (*seed._VARYING, *constants)  # seed.py's order; its phone (a mobile) goes to `mobile`
    sql = f"INSERT INTO leads ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    engine = create_engine(db.normalize_url(url))
    try:
        raw = engine.raw_connection()
        try:
            raw.cursor().executemany(sql, values)
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


def indexed_sqlite(count: int, damaged: float) -> tuple[Path, dict]:
    """A SQLite database of `count` seeded leads plus damaged copies, every lead with its blocking keys; cached."""
    seed.CACHE.mkdir(exist_ok=True)
    extra = int(count * damaged)
    path = seed.CACHE / f"identity-{count}-{extra}-v{VERSION}-{seed.schema_key()}.db"
    timings = {"cached": path.exists()}
    if path.exists():
        return path, timings
    for stale in seed.CACHE.glob(f"identity-{count}-*.db"):
        stale.unlink()
    started = time.perf_counter()
    base = seed.cached_sqlite(count)
    timings["seed_s"] = round(time.perf_counter() - started, 1)
    building = BenchDatabase.sqlite(seed.CACHE, f"building-identity-{count}")
    building.drop()
    shutil.copyfile(base, building.path)
    started = time.perf_counter()
    insert_leads(building.url, damaged_rows(building.url, extra, count))
    timings["damaged_copies"] = extra
    timings["damage_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    engine = db.make_engine(building.url)
    try:
        timings["indexed"] = dedupe_run.index_missing(db.make_sessionmaker(engine))
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    timings["index_s"] = round(time.perf_counter() - started, 1)
    copy_sqlite(building.path, path.with_suffix(".part"))
    building.drop()
    path.with_suffix(".part").replace(path)
    return path, timings


def run_dedupe(url: str, folder: Path, timeout_s: int, engine: str = "splink") -> dict:
    """`leadflow dedupe` as a user runs it, under /usr/bin/time -v for the peak resident memory."""
    env = {"PATH": "/usr/bin:/bin", "LEADFLOW_DATABASE_URL": url, "LEADFLOW_LOG_LEVEL": "WARNING",
           "LEADFLOW_SECRET_KEY": secrets.token_urlsafe(48)}
    stats = folder / "dedupe-time.txt"
    command = [str(LEADFLOW), "dedupe", "--engine", engine]
    if TIMER.exists():
        command = [str(TIMER), "-v", "-o", str(stats), *command]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
        code, said, timed_out = done.returncode, done.stderr.strip().splitlines()[-2:], False
    except subprocess.TimeoutExpired:
        code, said, timed_out = None, [], True
    seconds = time.perf_counter() - started
    peak_mb = cpu_s = None
    if stats.exists():
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stats.read_text())
        peak_mb = round(int(found.group(1)) / 1024, 1) if found else None
        cpu_s = round(sum(float(v) for v in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)",
                                                       stats.read_text())), 1)
    return {"exit_code": code, "timed_out": timed_out, "seconds": round(seconds, 1), "cpu_s": cpu_s,
            "peak_mb": peak_mb, "said": said}


def run_floor(url: str) -> dict:
    """Only reading what dedupe reads: every key ordered by key, and the matching columns of every lead, streamed."""
    engine = create_engine(db.normalize_url(url))
    columns = ", ".join(c for c in identity_bulk.STATE_COLUMNS
                        if c in ("id", "first_name", "last_name", "email", "phone", "mobile", "company", "street",
                                 "postal_code", "city", "country", "custom_fields"))
    try:
        with engine.connect() as conn:
            started = time.perf_counter()
            keys = sum(1 for _ in conn.execution_options(yield_per=20_000).execute(
                text("SELECT key, lead_id FROM lead_match_keys ORDER BY key")))
            leads = sum(1 for _ in conn.execution_options(yield_per=20_000).execute(
                text(f"SELECT {columns} FROM leads WHERE merged_into_id IS NULL")))
            seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return {"seconds": round(seconds, 1), "leads": leads, "keys": keys}


def count(url: str) -> dict:
    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            return {"leads": conn.scalar(text("SELECT count(*) FROM leads")),
                    "surviving": conn.scalar(text("SELECT count(*) FROM leads WHERE merged_into_id IS NULL")),
                    "keys": conn.scalar(text("SELECT count(*) FROM lead_match_keys")),
                    "review": conn.scalar(text("SELECT count(*) FROM possible_duplicates"))}
    finally:
        engine.dispose()


def submissions(url: str, count_: int, seeded: int, seed_value: int = 23) -> list[tuple[dict, bool]]:
    """(normalized fields, is a near-duplicate): half damaged copies of seeded leads, half people not yet seen."""
    rng = random.Random(seed_value)
    originals = iter(seeded_people(url, [rng.randrange(1, seeded + 1) for _ in range((count_ + 1) // 2)]))
    result = []
    for index in range(count_):
        near = index % 2 == 0
        raw = damage(rng, next(originals)) if near else seed.person(seeded + 10_000_000 + index)
        fields, _ = normalize_fields({k: v for k, v in raw.items() if v}, default_country="NL")
        result.append((fields, near))
    return result


def run_match(path: Path, plan: Plan) -> dict:
    """fuzzy_match per submission in one read-only session, timed around the call alone; the floor looks up the
    same keys with one indexed IN query."""
    engine = db.make_engine(f"sqlite:///{path}")
    factory = db.make_sessionmaker(engine)
    lookup = text("SELECT lead_id FROM lead_match_keys WHERE key IN :keys").bindparams(
        bindparam("keys", expanding=True))
    work = submissions(f"sqlite:///{path}", plan.submissions, plan.match_leads)
    times, floor, found = [], [], {"merge": 0, "review": 0, "new": 0, "near_merged": 0}
    try:
        with factory() as session:
            for fields, _ in work[:20]:  # warm the model cache and SQLite's page cache; not counted
                identity_service.fuzzy_match(fields, session=session)
            for fields, near in work:
                started = time.perf_counter()
                outcome = identity_service.fuzzy_match(fields, session=session)
                times.append((time.perf_counter() - started) * 1000)
                kind = "merge" if outcome.lead is not None else "review" if outcome.review else "new"
                found[kind] += 1
                found["near_merged"] += near and outcome.lead is not None
            for fields, _ in work:
                keys = sorted(blocking.keys(prepare(identity_service.person_record({**fields, "id": None}))))
                started = time.perf_counter()
                session.execute(lookup, {"keys": keys}).all()
                floor.append((time.perf_counter() - started) * 1000)
            session.rollback()
    finally:
        engine.dispose()
    return {"submissions": len(work), "p50_ms": _pct(times, 50), "p99_ms": _pct(times, 99),
            "floor_p50_ms": _pct(floor, 50), "floor_p99_ms": _pct(floor, 99), "decisions": found,
            "mean_ms": round(statistics.fmean(times), 3)}


def _pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))], 3)


def run(plan: Plan) -> dict:
    results, setup = [], {}
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-identity-speed-") as tmp:
        folder = Path(tmp)
        for size in plan.leads:
            path, setup[str(size)] = indexed_sqlite(size, plan.damaged)
            for engine in plan.engines:
                with BenchDatabase.sqlite(folder, f"dedupe-{size}-{engine}") as database:
                    copy_sqlite(path, database.path)
                    floor = run_floor(database.url)
                    before = count(database.url)
                    measured = run_dedupe(database.url, folder, plan.timeout_s, engine)
                    after = count(database.url)
                results.append({"leads": before["leads"], "keys": before["keys"], "engine": engine,
                                "dedupe": measured, "floor": floor, "load_average": os.getloadavg(),
                                "merged": before["surviving"] - after["surviving"], "queued": after["review"],
                                "errors": 0 if measured["exit_code"] == 0 else 1,
                                "ratio": round(measured["seconds"] / floor["seconds"],
                                               1) if floor["seconds"] else None})
                print(_line(results[-1]), flush=True)
        match = {}
        if plan.match:
            path, timings = indexed_sqlite(plan.match_leads, plan.damaged)
            setup[str(plan.match_leads)] = setup.get(str(plan.match_leads)) or timings
            match = run_match(path, plan)
    return {"benchmark": "identity_speed", "plan": plan.__dict__, "results": results, "match": match,
            "setup": setup, "targets": {"dedupe_s": TARGET_DEDUPE_S, "peak_mb": TARGET_PEAK_MB,
                                        "match_p99_ms": TARGET_P99_MS}}


def _line(r: dict) -> str:
    d = r["dedupe"]
    return (f"dedupe --engine {r.get('engine', 'splink')} over {r['leads']} leads: {d['seconds']} s ({d['cpu_s']} s CPU), peak {d['peak_mb']} MB, "
            f"exit {d['exit_code']} (floor {r['floor']['seconds']} s); merged {r['merged']}, queued {r['queued']}")


def report(outcome: dict) -> str:
    rows = []
    for r in outcome["results"]:
        d = r["dedupe"]
        rows.append([r.get("engine", "splink"), r["leads"], r["keys"], f"{d['seconds']:.0f}", f"< {TARGET_DEDUPE_S}",
                     verdict(d["exit_code"] == 0 and d["seconds"] < TARGET_DEDUPE_S), d["peak_mb"],
                     f"< {TARGET_PEAK_MB}", verdict(None if d["peak_mb"] is None else d["peak_mb"] < TARGET_PEAK_MB),
                     f"{r['floor']['seconds']:.1f}", r["ratio"], r["merged"], r["queued"]])
    m = outcome["match"]
    lines = ["leadflow dedupe (SQLite; the leads already indexed)",
             table(["engine", "leads", "keys", "seconds", "target", "", "peak MB", "target", "", "floor s", "x floor",
                    "merged", "queued"], rows),
             f"setup: {outcome['setup']}"]
    if m:
        lines.insert(2, f"fuzzy_match, one capture against {outcome['plan']['match_leads']} indexed leads "
                        f"({m['submissions']} submissions, half near-duplicates): p50 {m['p50_ms']} ms, p99 "
                        f"{m['p99_ms']} ms (target < {TARGET_P99_MS}: {verdict(m['p99_ms'] < TARGET_P99_MS)}); floor "
                        f"(indexed key lookup) p50 {m['floor_p50_ms']} ms, p99 {m['floor_p99_ms']} ms; decisions "
                        f"{m['decisions']}")
    for r in outcome["results"]:
        if r["errors"]:
            lines.append(f"!!! dedupe over {r['leads']} leads failed: exit {r['dedupe']['exit_code']}, "
                         f"timed out {r['dedupe']['timed_out']}: {' | '.join(r['dedupe']['said'])}")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.identity_speed [LEADS ...] [--no-match] [--engine splink|matcher]
    sizes = tuple(int(a) for a in sys.argv[1:] if a.isdigit())
    chosen = Plan(leads=sizes or Plan.leads, match="--no-match" not in sys.argv)
    if "--engine" in sys.argv:
        chosen.engines = (sys.argv[sys.argv.index("--engine") + 1],)
    outcome = run(chosen)
    outcome["machine"] = machine()
    print(report(outcome))
    print(write_result("identity-speed", outcome))
