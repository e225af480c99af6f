"""The funnel, cohorts, split and attribution as data for JSON and CSV: counts as numbers, ratios as strings (0.2500
is 25 %), days with one decimal, amounts with two, in the reporting currency."""

from __future__ import annotations

import csv
import io

from leadflow.analytics import attribution, funnel
from leadflow.analytics.queries import Filters
from leadflow.leads.domain import spreadsheet_safe


def _s(value) -> str | None:
    return None if value is None else str(value)


def _period(f: Filters) -> dict:
    return {"from": f.start.date().isoformat(), "to": f.query()["to"]}


# -- as data -------------------------------------------------------------------------------------------------------

def funnel_dict(found: funnel.Funnel) -> dict:
    return {"period": _period(found.filters), "filters": found.filters.query(),
            "steps": [{"step": s.key, "label": s.label, "count": s.count,
                       "conversion_from_previous": _s(s.from_previous), "conversion_from_leads": _s(s.from_leads),
                       "median_days_from_previous": _s(s.median_days),
                       "median_days_from_lead": _s(s.median_days_from_lead),
                       "stopped_here": s.stopped} for s in found.steps]}


def cohorts_dict(found: funnel.Cohorts) -> dict:
    return {"period": _period(found.filters), "filters": found.filters.query(), "currency": found.currency,
            "young_days": found.young_days,
            "cohorts": [{"month": c.month.isoformat()[:7], "leads": c.leads, **c.reached,
                         "share": {k: _s(v) for k, v in c.share.items()}, "orders": c.orders,
                         "revenue": _s(c.revenue),
                         "median_days_to_sql": _s(c.median_days_to_sql),
                         "median_days_to_customer": _s(c.median_days_to_customer), "young": c.young}
                        for c in found.cohorts]}


def split_dict(found: funnel.Split) -> dict:
    return {"period": _period(found.filters), "filters": found.filters.query(), "days": found.days,
            "pending": found.pending,
            "parts": [{"part": key, "label": p["label"], "leads": p["leads"], "share": _s(p["share"]),
                       "expected": _s(p["expected"]), "gap_points": _s(p["gap_points"])}
                      for key, p in found.parts.items()]}


def _credited(row: funnel.Credited, revenue: bool) -> dict:
    return {"key": _s(row.key), "label": row.label, "leads": row.leads,
            "conversions": {m: _s(row.conversions[m]) for m in attribution.MODELS},
            "revenue": {m: _s(row.revenue[m]) for m in attribution.MODELS} if revenue else None}


def attribution_dict(found: funnel.Attribution) -> dict:
    revenue = found.goal == "revenue"
    return {"period": _period(found.filters), "filters": found.filters.query(), "goal": found.goal,
            "group": found.group, "currency": found.currency, "models": list(attribution.MODELS),
            "conversions": found.conversions, "revenue": _s(found.revenue) if revenue else None,
            "unattributed": found.unattributed,
            "unattributed_revenue": _s(found.unattributed_revenue) if revenue else None,
            "rows": [_credited(r, revenue) for r in found.rows], "total": _credited(found.total, revenue)}


# -- as CSV --------------------------------------------------------------------------------------------------------

def csv_text(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def funnel_csv(found: funnel.Funnel) -> str:
    rows = []
    for s in funnel_dict(found)["steps"]:
        rows.append({**{k: v for k, v in s.items() if k != "stopped_here"},
                     **{f"stopped_{k}": n for k, n in (s["stopped_here"] or {}).items()}})
    return csv_text(["step", "label", "count", "conversion_from_previous", "conversion_from_leads",
                     "median_days_from_previous", "median_days_from_lead",
                     *[f"stopped_{k}" for k in funnel.WHERE_NOW]], rows)


def cohorts_csv(found: funnel.Cohorts) -> str:
    rows = [{**{k: v for k, v in c.items() if k != "share"},
             **{f"share_{k}": v for k, v in c["share"].items()}} for c in cohorts_dict(found)["cohorts"]]
    return csv_text(["month", "leads", *funnel.STEPS[1:], *[f"share_{k}" for k in funnel.STEPS[1:]], "orders",
                     "revenue", "median_days_to_sql", "median_days_to_customer", "young"], rows)


def split_csv(found: funnel.Split) -> str:
    return csv_text(["part", "label", "leads", "share", "expected", "gap_points"], split_dict(found)["parts"])


def attribution_csv(found: funnel.Attribution) -> str:
    data = attribution_dict(found)
    revenue = found.goal == "revenue"
    columns = ["key", "label", "leads", *[f"conversions_{m}" for m in attribution.MODELS],
               *([f"revenue_{m}" for m in attribution.MODELS] if revenue else [])]
    rows = []
    for row in [*data["rows"], data["total"]]:
        rows.append({"key": row["key"], "label": row["label"], "leads": row["leads"],
                     **{f"conversions_{m}": v for m, v in row["conversions"].items()},
                     **({f"revenue_{m}": v for m, v in row["revenue"].items()} if revenue else {})})
    rows.append({"key": "", "label": "(unattributed: no touch)", "leads": found.unattributed,
                 **{f"conversions_{m}": found.unattributed for m in attribution.MODELS},
                 **({f"revenue_{m}": _s(found.unattributed_revenue) for m in attribution.MODELS} if revenue else {})})
    return csv_text(columns, rows)
