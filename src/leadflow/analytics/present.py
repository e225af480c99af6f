"""Reports as data for JSON, CSV and the command line: figures with their ratios, per row and in total; amounts as
strings with two decimals, ratios as strings (0.2500 is 25 %)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from leadflow.analytics import domain
from leadflow.analytics.queries import Report, Row
from leadflow.leads.domain import spreadsheet_safe

COLUMNS = ("key", "label", "depth", "leads", "mqls", "sqls", "opportunities", "quotes", "customers", "orders",
           "revenue", "cost", "conversion_mql", "conversion_sql", "conversion_opportunity", "conversion_quote",
           "conversion_customer", "cost_per_lead", "cost_per_sql", "cost_per_order", "revenue_per_lead",
           "average_order", "roi", "roas", "roi_norm", "below_norm", "no_customers")


def _s(value) -> str | None:
    return None if value is None else str(value)


def row_dict(row: Row) -> dict:
    f, d = row.figures, row.derived or domain.derive(row.figures)
    return {
        "key": _s(row.key), "label": row.label, "depth": row.depth, "parent": _s(row.parent),
        "leads": f.leads, "mqls": f.mqls, "sqls": f.sqls, "opportunities": f.opportunities, "quotes": f.quotes,
        "customers": f.customers, "orders": f.orders, "revenue": _s(domain.money(f.revenue)),
        "cost": _s(domain.money(f.cost)), "unconverted_orders": f.unconverted,
        "conversion": {step: _s(value) for step, value in d.conversion.items()},
        "step_conversion": {step: _s(value) for step, value in d.step_conversion.items()},
        "cost_per_lead": _s(d.cost_per_lead), "cost_per_sql": _s(d.cost_per_sql),
        "cost_per_order": _s(d.cost_per_order), "revenue_per_lead": _s(d.revenue_per_lead),
        "average_order": _s(d.average_order), "roi": _s(d.roi), "roas": _s(d.roas),
        "roi_norm": _s(row.norm), "below_norm": row.below_norm, "no_customers": row.no_customers,
    }


def report_dict(report: Report) -> dict:
    return {"group": report.group, "currency": report.currency,
            "period": {"from": report.filters.start.date().isoformat(),
                       "to": report.filters.query()["to"]},
            "filters": report.filters.query(), "costs_shown": report.costs_shown, "notes": report.notes,
            "rows": [row_dict(r) for r in report.rows], "total": row_dict(report.total)}


def _flat(row: Row) -> dict:
    d = row_dict(row)
    out = {k: d.get(k) for k in COLUMNS if not k.startswith("conversion_")}
    for step in ("mqls", "sqls", "opportunities", "quotes", "customers"):
        out[f"conversion_{step.rstrip('s') if step != 'opportunities' else 'opportunity'}"] = d["conversion"][step]
    return out


def csv_text(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in [*report.rows, report.total]:
        writer.writerow({k: spreadsheet_safe(v) for k, v in _flat(row).items()})
    return buffer.getvalue()


def percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{(value * 100).quantize(Decimal('0.1')):,} %"
