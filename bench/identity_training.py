"""Which training makes the better model for matching each capture: our own EM (`match.estimate` on the candidate
pairs) or Splink's (EM with u from random pairs, mapped onto our levels by `linkage.to_model`). Both models score
the same candidate pairs with the same comparison (no term frequencies, as a capture is scored), the same guards
and thresholds; pairwise precision, recall and F1 of the automatic merges and with the review queue.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace

from leadflow.identity import blocking, linkage, match
from leadflow.identity.normalize import prepare

from bench import identity_lists, identity_quality
from bench.machine import table


@dataclass
class Plan:
    sets: tuple[str, ...] = ("lists-5k", "febrl3", "fake_1000", "generated")

    @classmethod
    def quick(cls) -> Plan:
        return cls(sets=("fake_1000",))


def evaluate(name: str, records, truth) -> list[dict]:
    prepared = [prepare(replace(r, id=i)) for i, r in enumerate(records)]
    pairs = list(blocking.candidate_pairs(prepared))
    comparisons = [match.compare(prepared[i], prepared[j]) for i, j in pairs]
    true_pairs = identity_quality._pairs_of(identity_quality._groups(truth))
    results = []
    started = time.perf_counter()
    ours = match.estimate(comparisons)
    trained = {"ours (EM on candidate pairs)": (ours, time.perf_counter() - started)}
    started = time.perf_counter()
    run = linkage.Linkage()
    try:
        run.add([linkage.row(p) for p in prepared])
        run.train()
        parameters = run.parameters()
    finally:
        run.close()
    trained["splink (mapped onto our levels)"] = (linkage.to_model(parameters, start=ours),
                                                  time.perf_counter() - started)
    for label, (model, seconds) in trained.items():
        scored = [(records[i].id, records[j].id, model.score(c, explain=False))
                  for (i, j), c in zip(pairs, comparisons, strict=True)]
        clustering = match.cluster(scored)
        merged = identity_quality._pairs_of(clustering.clusters)
        reviewed = {identity_quality._key(a, b) for a, b, _ in clustering.review}
        results.append({"set": name, "training": label, "records": len(records), "train_s": round(seconds, 1),
                        "auto": identity_quality._prf(merged, true_pairs),
                        "auto_plus_review": identity_quality._prf(merged | reviewed, true_pairs),
                        "review_pairs": len(reviewed - merged), "weights": model.weights()})
        print(_line(results[-1]), flush=True)
    return results


def run(plan: Plan) -> dict:
    results, skipped = [], []
    for name in plan.sets:
        data = identity_quality.generated(4000) if name == "generated" else identity_lists.load(name)
        if data is None:
            skipped.append(name)
            continue
        results += evaluate(name, *data)
    return {"benchmark": "identity_training", "results": results, "skipped": skipped}


def _line(r: dict) -> str:
    a, b = r["auto"], r["auto_plus_review"]
    return (f"{r['set']} {r['training']}: auto P {a['precision']:.3f} R {a['recall']:.3f}, +review P "
            f"{b['precision']:.3f} R {b['recall']:.3f}, review {r['review_pairs']}")


def report(outcome: dict) -> str:
    rows = [[r["set"], r["training"], r["records"], f"{r['auto']['precision']:.3f}", f"{r['auto']['recall']:.3f}",
             f"{r['auto']['f1']:.3f}", f"{r['auto_plus_review']['precision']:.3f}",
             f"{r['auto_plus_review']['recall']:.3f}", f"{r['auto_plus_review']['f1']:.3f}", r["review_pairs"],
             r["train_s"]] for r in outcome["results"]]
    lines = ["the per-capture model: our EM beside Splink's training mapped onto our levels (same pairs, same guards)",
             table(["set", "training", "records", "auto P", "R", "F1", "+review P", "R", "F1", "review",
                    "train s"], rows)]
    lines.extend(f"skipped {name}" for name in outcome["skipped"])
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.identity_training [SET ...]
    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    print(report(run(Plan(sets=tuple(names)) if names else Plan())))
