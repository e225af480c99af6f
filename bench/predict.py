"""Predictive scoring: cross-validated AUC of `leadflow predict train` on a generated lead table with a known signal
(placeholders, missing values, a high-cardinality city, an ID column) and on the public conversion data in
../shared/data; train plus score time for a large file beside the floor of reading the same CSV with pandas.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.machine import table

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "behaviour"


@dataclass
class Plan:
    rows: int = 100_000
    quality_rows: int = 20_000

    @classmethod
    def quick(cls) -> Plan:
        return cls(rows=10_000, quality_rows=5_000)


def lead_table(n: int, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """A realistic lead export: the truth is a logistic model of source, time on site, visits, do-not-email, a
    city effect (2,000 levels) and an interaction; returns the table and the AUC of the true probabilities."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    sources = np.array(["Google", "Direct Traffic", "Olark Chat", "Organic Search", "Reference", "Welingak Website",
                        "Referral Sites", "Facebook", "Select"])
    source = rng.choice(sources, n, p=[.3, .25, .15, .12, .06, .02, .03, .02, .05])
    seconds = rng.gamma(1.5, 350, n)
    visits = rng.poisson(3, n)
    dne = rng.choice(["No", "Yes"], n, p=[.92, .08])
    occupation = rng.choice(["Unemployed", "Working Professional", "Student", "Select", ""], n,
                            p=[.5, .1, .05, .25, .1])
    city_effect = rng.normal(0, 0.7, 2000)
    city = rng.zipf(1.3, n) % 2000
    logit = (-2.2 + 0.0022 * seconds + 0.08 * visits + 2.0 * (source == "Reference") + 1.2 *
             (source == "Welingak Website") - 1.1 * (dne == "Yes") + 1.6 * (occupation == "Working Professional")
             - 0.8 * (occupation == "Student") + city_effect[city]
             + 0.6 * ((source == "Olark Chat") & (seconds > 600)))
    truth = 1 / (1 + np.exp(-logit))
    converted = rng.random(n) < truth
    frame = pd.DataFrame({
        "Prospect ID": [f"{rng.integers(1 << 62):x}-{i}" for i in range(n)], "Lead Number": 600000 + np.arange(n),
        "Lead Origin": rng.choice(["API", "Landing Page Submission", "Lead Add Form"], n),
        "Lead Source": source, "Do Not Email": dne, "TotalVisits": visits.astype(str),
        "Total Time Spent on Website": seconds.round(0).astype(int).astype(str),
        "City": [f"City {c}" for c in city], "What is your current occupation": occupation,
        "Country": "India", "Created": (pd.Timestamp("2025-01-01") +
                                        pd.to_timedelta(rng.integers(0, 365, n), "D")).strftime("%Y-%m-%d"),
        "Converted": converted.astype(int).astype(str)})
    frame.loc[rng.random(n) < 0.1, "TotalVisits"] = "N/A"
    return frame, float(roc_auc_score(converted, truth))


def run(plan: Plan) -> dict:
    from leadflow.scoring.predict import columns as predict_columns
    from leadflow.scoring.predict import model as predict_model

    results = []
    quality, oracle = lead_table(plan.quality_rows, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "leads.csv"
        quality.to_csv(path, index=False)
        started = time.perf_counter()
        model = predict_model.train(predict_columns.read_table(path), "Converted")
        results.append({"data": f"generated lead table ({plan.quality_rows:,} rows)", "rows": model.rows,
                        "cv_auc": model.auc, "auc_std": model.auc_std, "oracle_auc": round(oracle, 4),
                        "train_s": round(time.perf_counter() - started, 2), "dropped": sorted(model.dropped)})
        shoppers = SHARED / "online_shoppers_intention.csv"
        if shoppers.is_file():
            started = time.perf_counter()
            model = predict_model.train(predict_columns.read_table(shoppers), "Revenue")
            results.append({"data": "UCI online shoppers (Revenue)", "rows": model.rows, "cv_auc": model.auc,
                            "auc_std": model.auc_std, "oracle_auc": None, "published_auc": 0.937,
                            "train_s": round(time.perf_counter() - started, 2), "dropped": sorted(model.dropped)})
        big, _ = lead_table(plan.rows, seed=2)
        path = Path(folder) / "big.csv"
        big.to_csv(path, index=False)
        started = time.perf_counter()
        pd.read_csv(path, dtype=str, keep_default_na=False)
        floor = time.perf_counter() - started
        started = time.perf_counter()
        model = predict_model.train(predict_columns.read_table(path), "Converted")
        predict_model.save(model, Path(folder) / "model.joblib")
        trained = time.perf_counter() - started
        started = time.perf_counter()
        loaded = predict_model.open_model(Path(folder) / "model.joblib")
        probabilities = predict_model.probabilities(loaded, predict_columns.read_table(path))
        pd.DataFrame({"Prospect ID": big["Prospect ID"], "probability": probabilities}).to_csv(
            Path(folder) / "out.csv", index=False)
        scored = time.perf_counter() - started
    speed = {"rows": plan.rows, "floor_read_csv_s": round(floor, 2), "train_s": round(trained, 2),
             "score_s": round(scored, 2), "cv_auc": model.auc, "train_folds": 5,
             "rows_per_s_scored": round(plan.rows / scored)}
    return {"quality": results, "speed": speed}


def report(outcome: dict) -> str:
    rows = [[q["data"], f"{q['rows']:,}", q["cv_auc"], q["auc_std"], q.get("oracle_auc") or
             q.get("published_auc", ""), q["train_s"]] for q in outcome["quality"]]
    s = outcome["speed"]
    return "\n".join([
        table(["data", "rows", "CV AUC", "± std", "oracle / published AUC", "train s (5-fold CV + fit)"], rows),
        table(["rows", "read CSV (floor) s", "train s (CV + fit + save)", "score s (load + read + write)",
               "scored rows/s"], [[f"{s['rows']:,}", s["floor_read_csv_s"], s["train_s"], s["score_s"],
                                   f"{s['rows_per_s_scored']:,}"]])])
