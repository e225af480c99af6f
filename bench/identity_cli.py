"""Identity resolution through the product: each set with known truth imported as a lead list with `leadflow
import`, then `leadflow dedupe`; pairwise precision, recall and F1 read back from the database.
"""

from __future__ import annotations

import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations, product
from pathlib import Path

from sqlalchemy import create_engine, text

from leadflow import db
from leadflow.identity.normalize import PersonRecord
from leadflow.leads.domain import normalize_email

from bench import identity_quality, people
from bench.databases import BenchDatabase, postgres_reachable
from bench.machine import table, verdict

LEADFLOW = Path(sys.executable).with_name("leadflow")
COLUMNS = ("record_id", "first_name", "last_name", "email", "phone", "company", "street", "postal_code", "city",
           "country", "birth_date", "email_as_given")
BASELINE_F1 = {"fake_1000": 0.82, "chicago": 0.77}  # a naive blocking + Jaro-Winkler pipeline (issue 3)
TARGET_AUTO_PRECISION = 0.99
TARGET_F1 = 0.97


@dataclass
class Plan:
    people: int = 4000
    sets: tuple[str, ...] = ("generated", "fake_1000", "chicago")
    postgres_sets: tuple[str, ...] = ("generated", "fake_1000", "chicago")
    estimate: bool = False  # `leadflow dedupe --estimate`: weights by EM from the imported leads
    timeout_s: int = 1800

    @classmethod
    def quick(cls) -> Plan:
        return cls(people=300, sets=("generated", "fake_1000"), postgres_sets=("fake_1000",), timeout_s=300)


def load(name: str, count: int) -> tuple[list[PersonRecord], dict] | None:
    if name == "generated":
        return people.generate(count)
    if name == "fake_1000":
        return identity_quality.splink_fake_1000()
    if name == "chicago":
        return identity_quality.chicago_sites()
    raise ValueError(name)


def row_of(record: PersonRecord) -> list[str]:
    """A lead list's row, as someone preparing the list would: the phone as given, the house number in the street,
    an email that is no address (`n/a`, `x@y..com`) moved to a column the importer keeps as a custom field."""
    street = " ".join(p for p in (record.street, record.house_number) if p) or ""
    email, as_given = record.email, None
    if email:
        try:
            normalize_email(email)
        except ValueError:
            email, as_given = None, email
    values = {"record_id": str(record.id), "first_name": record.first_name, "last_name": record.last_name,
              "email": email, "email_as_given": as_given, "phone": record.phones[0] if record.phones else None,
              "company": record.company, "street": street, "postal_code": record.postal_code, "city": record.city,
              "country": record.country, "birth_date": record.birth_date}
    return ["" if values[c] is None else str(values[c]) for c in COLUMNS]


def write_list(path: Path, records: list[PersonRecord]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(row_of(r) for r in records)


def leadflow(args: list[str], url: str, timeout_s: int) -> dict:
    env = {**os.environ, "LEADFLOW_DATABASE_URL": url, "LEADFLOW_LOG_LEVEL": "WARNING",
           "LEADFLOW_SECRET_KEY": secrets.token_urlsafe(48)}
    started = time.perf_counter()
    try:
        done = subprocess.run([str(LEADFLOW), *args], env=env, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"command": " ".join(args[:1]), "exit_code": None, "timed_out": True,
                "seconds": round(time.perf_counter() - started, 1), "said": []}
    return {"command": args[0], "exit_code": done.returncode, "timed_out": False,
            "seconds": round(time.perf_counter() - started, 1), "said": done.stderr.strip().splitlines()[-3:]}


def read_back(url: str) -> tuple[dict[str, int], dict[str, str], list[tuple[int, int]]]:
    """(record id -> surviving lead, record id -> capture outcome, open review pairs of surviving leads)."""
    engine = create_engine(db.normalize_url(url))
    try:
        with engine.connect() as conn:
            parent = dict(conn.execute(text("SELECT id, merged_into_id FROM leads")).all())
            captures = conn.execute(text("SELECT external_id, lead_id, outcome FROM captures "
                                         "WHERE external_id IS NOT NULL")).all()
            review = conn.execute(text("SELECT lead_id, other_id FROM possible_duplicates "
                                       "WHERE status = 'open'")).all()
    finally:
        engine.dispose()

    def survivor(lead_id: int) -> int:
        seen = 0
        while parent.get(lead_id) is not None and seen < 1000:
            lead_id, seen = parent[lead_id], seen + 1
        return lead_id

    lead_of = {rid: survivor(lead_id) for rid, lead_id, _ in captures if lead_id is not None}
    outcome = {rid: result for rid, _, result in captures}
    pairs = {tuple(sorted((survivor(a), survivor(b)))) for a, b in review}
    return lead_of, outcome, [p for p in pairs if p[0] != p[1]]


def score(truth: dict, lead_of: dict[str, int], review: list[tuple[int, int]]) -> dict:
    truth = {str(k): v for k, v in truth.items()}
    groups = defaultdict(list)
    for rid, lead_id in lead_of.items():
        groups[lead_id].append(rid)
    merged = {_key(a, b) for members in groups.values() for a, b in combinations(members, 2)}
    queued = {_key(a, b) for x, y in review for a, b in product(groups.get(x, ()), groups.get(y, ()))}
    entities = defaultdict(list)
    for rid, entity in truth.items():
        entities[entity].append(rid)
    true_pairs = {_key(a, b) for members in entities.values() for a, b in combinations(members, 2)}
    imported = set(lead_of)
    reachable = {p for p in true_pairs if p[0] in imported and p[1] in imported}
    return {"records": len(truth), "imported": len(imported), "leads": len(groups), "entities": len(entities),
            "true_pairs": len(true_pairs), "true_pairs_imported": len(reachable),
            "auto": identity_quality._prf(merged, true_pairs),
            "auto_plus_review": identity_quality._prf(merged | queued, true_pairs),
            "imported_only": {"auto": identity_quality._prf(merged, reachable),
                              "auto_plus_review": identity_quality._prf(merged | queued, reachable)},
            "review_pairs": len(review)}


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def bench_set(name: str, records: list[PersonRecord], truth: dict, database: BenchDatabase, folder: Path,
              timeout_s: int, *, estimate: bool = False) -> dict:
    path = folder / f"{name}.csv"
    write_list(path, records)
    steps = [leadflow(["migrate"], database.url, timeout_s)]
    steps.append(leadflow(["import", str(path), "--id-column", "record_id", "--channel", "lead_list",
                           "--rejects", str(folder / f"{name}.rejects.csv")], database.url, timeout_s))
    if steps[-1]["exit_code"] == 0:
        steps.append(leadflow(["dedupe", *(["--estimate"] if estimate else [])], database.url, timeout_s))
    failed = [s for s in steps if s["exit_code"] != 0]
    result = {"set": name, "database": database.dialect, "weights": "estimated" if estimate else "defaults",
              "steps": steps, "errors": len(failed)}
    if failed:
        return result
    lead_of, outcome, review = read_back(database.url)
    result.update(score(truth, lead_of, review))
    result["outcomes"] = dict(sorted(_count(outcome.values()).items()))
    result["rejected"] = _rejections(folder / f"{name}.rejects.csv")
    return result


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts


def _rejections(path: Path) -> dict[str, int]:
    """Why rows were rejected, from the import's reject file (its last column holds the reasons)."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))[1:]
    return dict(_count(row[-1] for row in rows if row))


def run(plan: Plan) -> dict:
    results, skipped = [], []
    postgres = postgres_reachable()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-identity-") as tmp:
        folder = Path(tmp)
        for name in plan.sets:
            data = load(name, plan.people)
            if data is None:
                skipped.append(f"{name}: data not in ../shared/data/dedupe/")
                continue
            records, truth = data
            with BenchDatabase.sqlite(folder, name) as database:
                results.append(bench_set(name, records, truth, database, folder, plan.timeout_s,
                                           estimate=plan.estimate))
                print(_line(results[-1]), flush=True)
            if name in plan.postgres_sets and postgres:
                with BenchDatabase.postgres(name) as database:
                    results.append(bench_set(name, records, truth, database, folder, plan.timeout_s,
                                           estimate=plan.estimate))
                    print(_line(results[-1]), flush=True)
        if not postgres:
            skipped.append("postgresql: server not reachable")
    return {"benchmark": "identity_cli", "plan": {"people": plan.people, "sets": list(plan.sets),
            "postgres_sets": list(plan.postgres_sets)}, "results": results, "skipped": skipped,
            "targets": {"generated": {"auto_precision": TARGET_AUTO_PRECISION, "f1": TARGET_F1},
                        "baseline_f1": BASELINE_F1}}


def _line(result: dict) -> str:
    if result.get("errors"):
        return f"{result['set']} on {result['database']}: FAILED " + "; ".join(
            f"{s['command']} exit {s['exit_code']}: {' | '.join(s['said'])}" for s in result["steps"]
            if s["exit_code"] != 0)
    return (f"{result['set']} on {result['database']}: auto F1 {result['auto']['f1']:.3f}, +review F1 "
            f"{result['auto_plus_review']['f1']:.3f} ({result['imported']}/{result['records']} rows imported)")


def report(outcome: dict) -> str:
    rows, notes = [], []
    for r in outcome["results"]:
        if r.get("errors"):
            notes.append("!!! " + _line(r))
            continue
        a, b = r["auto"], r["auto_plus_review"]
        if r["set"] == "generated":
            target = f"P>={TARGET_AUTO_PRECISION} F1>={TARGET_F1}"
            met = verdict(a["precision"] >= TARGET_AUTO_PRECISION and b["f1"] >= TARGET_F1)
        else:
            target = f"F1 > {BASELINE_F1[r['set']]} (naive)"
            met = verdict(b["f1"] > BASELINE_F1[r["set"]])
        seconds = {s["command"]: s["seconds"] for s in r["steps"]}
        rows.append([r["set"], r["database"], r["records"], r["imported"], r["leads"], r["entities"],
                     f"{a['precision']:.3f}", f"{a['recall']:.3f}", f"{a['f1']:.3f}", f"{b['precision']:.3f}",
                     f"{b['recall']:.3f}", f"{b['f1']:.3f}", r["review_pairs"], target, met,
                     f"{seconds.get('import', 0):.0f}+{seconds.get('dedupe', 0):.0f}"])
        if r["rejected"]:
            notes.append(f"{r['set']} on {r['database']}: rejected rows: {r['rejected']}")
    lines = ["identity through the CLI (leadflow import --id-column, then leadflow dedupe; pairs of records)",
             table(["set", "db", "rows", "imported", "leads", "truth", "auto P", "R", "F1", "+review P", "R", "F1",
                    "review", "target", "", "import+dedupe s"], rows), *notes]
    lines.extend(f"skipped {reason}" for reason in outcome["skipped"])
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.identity_cli [SET ...] [--quick] [--sqlite] [--estimate]
    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    chosen = Plan.quick() if "--quick" in sys.argv else Plan()
    chosen.estimate = "--estimate" in sys.argv
    if names:
        chosen.sets = tuple(names)
    if "--sqlite" in sys.argv:
        chosen.postgres_sets = ()
    print(report(run(chosen)))
