"""Throughput pages: per list and agent (an agent: their own rows) calls, reached, qualified, reach rate, minutes per
call and the per-day figures against the list's targets, for a period; as a table, a chart and a CSV file."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import Response

from leadflow import clock
from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.leads.domain import spreadsheet_safe
from leadflow.people.deps import PageActor
from leadflow.telemarketing import queries
from leadflow.telemarketing import service as lists
from leadflow.web.pages import page_router, render

router = page_router(tags=["pages"])
PERIODS = {"today": "Today", "7d": "The last 7 days", "30d": "The last 30 days"}
TARGET_LABELS = {"calls": "calls", "reached": "reached", "qualified": "qualified", "minutes_per_call": "minutes per call"}


def _since(period: str, until: datetime) -> datetime:
    if period not in PERIODS:
        raise Invalid.one("period", f"one of {', '.join(PERIODS)}")
    if period == "today":
        return until.replace(hour=0, minute=0, second=0, microsecond=0)
    return until - timedelta(days=7 if period == "7d" else 30)


def _rows(actor, session, period: str, call_list_id: int | None):
    if call_list_id is not None:
        lists.list_for(call_list_id, actor, session=session)  # 404 for a list not theirs
    until = clock.now()
    return queries.throughput(actor, session=session, since=_since(period, until), until=until,
                              call_list_id=call_list_id)


def _chart(rows) -> dict | None:
    if not rows:
        return None
    labels = [f"{r.agent} · {r.list_name}" for r in rows]
    series = [{"name": "Calls per day", "values": [r.per_day(r.calls) for r in rows]}]
    targets = [(r.targets or {}).get("calls") for r in rows]
    if any(t is not None for t in targets):
        series.append({"name": "Target: calls per day", "values": targets})
    return {"id": "tp-calls", "kind": "bar", "title": "Calls per agent and calling day, against the target",
            "labels": labels, "series": series, "unit": "count", "category": "Agent · list"}


@router.get("/call-lists/throughput")
def throughput_page(request: Request, actor: PageActor, session: DbSession, period: str = "7d",
                    call_list_id: int | None = None):
    actor.require("call_lists:read")
    rows = _rows(actor, session, period, call_list_id)
    return render(request, "telemarketing/throughput.html", {
        "rows": rows, "period": period, "periods": PERIODS, "call_list_id": call_list_id,
        "lists": [(c.id, c.name) for c, _, _ in queries.lists_for(actor, session=session)],
        "everyone": actor.can("call_lists:manage"), "calls_chart": _chart(rows), "target_labels": TARGET_LABELS})


@router.get("/call-lists/throughput.csv")
def throughput_csv(request: Request, actor: PageActor, session: DbSession, period: str = "7d",
                   call_list_id: int | None = None):
    actor.require("call_lists:read")
    rows = _rows(actor, session, period, call_list_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["list", "agent", "calls", "reached", "qualified", "reach_rate_pct", "minutes_per_call",
                     "calling_days", "calls_per_day", "reached_per_day", "qualified_per_day", "targets"])
    for r in rows:
        against = "; ".join(f"{TARGET_LABELS.get(name, name)} {t['done']} of {t['target']}: "
                            f"{'met' if t['met'] else 'missed'}" for name, t in r.against().items())
        writer.writerow([spreadsheet_safe(v) for v in (
            r.list_name, r.agent, r.calls, r.reached, r.qualified, r.reach_rate, r.minutes_per_call, r.days,
            r.per_day(r.calls), r.per_day(r.reached), r.per_day(r.qualified), against)])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="call-throughput-{period}.csv"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
