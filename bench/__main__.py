"""`python -m bench [capture] [import] [inbox] [--quick]`: run the benchmarks, print a table, write bench/results/*.json."""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench import (analytics, capture_http, events, followup, identity_cli, identity_lists, identity_quality,
                   identity_speed, identity_training, imports, inbox, journeys, predict, rescore, routing, scorecard,
                   telemarketing)
from bench.machine import machine, write_result

BENCHMARKS = {
    "capture": ("capture_http", capture_http, "capture over HTTP: POST /api/v1/leads beside POST /bench/floor"),
    "import": ("import", imports, "leadflow import of a CSV into a database of many leads, beside executemany"),
    "identity": ("identity-quality", identity_quality, "identity resolution: precision, recall, F1 on sets with truth"),
    "identity-cli": ("identity-cli", identity_cli, "identity through leadflow import + dedupe: precision, recall, F1"),
    "identity-lists": ("identity-lists", identity_lists, "name-and-address lists: our matcher beside Splink through "
                       "import + dedupe"),
    "identity-training": ("identity-training", identity_training, "the per-capture model: our EM beside Splink's "
                          "training mapped onto our levels"),
    "identity-speed": ("identity-speed", identity_speed, "leadflow dedupe over many leads; fuzzy_match per capture"),
    "events": ("events", events, "event intake over HTTP with live scoring: /t/collect and /api/v1/events beside a floor"),
    "rescore": ("rescore", rescore, "a full rescore of every lead from its events beside one SQL aggregate"),
    "inbox": ("inbox", inbox, "the lead inbox: GET /leads with filters, sorts, search, pages beside the bare query"),
    "routing": ("routing", routing, "a burst of 100,000 Sales Ready leads routed, alerted and delivered to a webhook "
                "receiver by two workers, beside one UPDATE"),
    "scorecard": ("scorecard", scorecard, "the follow-up scorecard over many hand-overs (month, quarter; by rep, by "
                  "team) beside the bare COUNT grouped by owner"),
    "followup": ("followup", followup, "the follow-up timers' pass over 1,000,000 open follow-ups (reminders and "
                 "escalations due after six hours down) beside a bare indexed scan of the due rows"),
    "analytics": ("analytics", analytics, "analytics over 1,000,000 leads, 20,000,000 events, 100,000 opportunities: "
                  "the facts' first build, each dashboard beside the bare aggregate, the worker's pass over 10,000 "
                  "changed leads"),
    "journeys": ("journeys", journeys, "1,000,000 leads through a five-step journey (email, a week's wait, a branch on "
                 "the open, points or a field, exit), several workers on PostgreSQL and one on SQLite, beside the "
                 "same step rows written and claimed with no logic"),
    "telemarketing": ("telemarketing", telemarketing, "the telemarketing claim: 20 agents working a call list of "
                      "1,000,000 leads (claim the next lead, record the outcome), each claim's latency beside a bare "
                      "indexed claim (SELECT ... FOR UPDATE SKIP LOCKED + UPDATE)"),
    "predict": ("predict", predict, "predictive scoring: cross-validated AUC, train + score time for a large file"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], metavar="NAME",
                        help=f"which benchmarks ({', '.join(BENCHMARKS)}; all by default)")
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke run, not a measurement")
    args = parser.parse_args(argv)
    failed = False
    for name in args.names or list(BENCHMARKS):
        label, module, title = BENCHMARKS[name]
        plan = module.Plan.quick() if args.quick else module.Plan()
        print(f"== {title}{' (quick)' if args.quick else ''}", flush=True)
        started, load_before = time.perf_counter(), os.getloadavg()
        outcome = module.run(plan)
        outcome["wall_s"] = round(time.perf_counter() - started, 1)
        # The machine's load before and after (1, 5, 15 minutes): a benchmark is valid on a quiet machine only.
        outcome.setdefault("load_average", [round(x, 2) for x in os.getloadavg()])
        outcome["load_average_before"] = [round(x, 2) for x in load_before]
        outcome["machine"] = machine()
        outcome["quick"] = args.quick
        print(module.report(outcome))
        path = write_result(label + ("-quick" if args.quick else ""), outcome)
        print(f"written to {path.relative_to(path.parents[2])} in {outcome['wall_s']} s\n", flush=True)
        failed = failed or _had_errors(outcome)
    return 1 if failed else 0


def _had_errors(outcome: dict) -> bool:
    """Failed requests or a failed import make the run fail; a missed target does not (targets are not asserts)."""
    for result in outcome.get("results", []):
        if result.get("errors"):
            return True
        measured = result.get("import")
        if measured and (measured["exit_code"] != 0 or measured["timed_out"]):
            return True
    return False


if __name__ == "__main__":
    sys.exit(main())
