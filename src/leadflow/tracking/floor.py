"""POST /bench/events-floor: the event-intake benchmark's floor, mounted only with LEADFLOW_BENCH_FLOOR=true.

Same stack as POST /api/v1/events (API key, raw body, JSON, one session) but no logic: the same rows, one
executemany, one commit; no lead lookup, no checks, no scoring.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Response
from sqlalchemy import insert

from leadflow.clock import now
from leadflow.http import DbSession, RawBody
from leadflow.people.deps import ApiActor
from leadflow.tracking.models import Event

router = APIRouter(prefix="/bench", tags=["benchmark"], include_in_schema=False)


@router.post("/events-floor", status_code=204)
def events_floor(session: DbSession, actor: ApiActor, body: RawBody):
    data = json.loads(body[0])
    moment = now()
    visitor = data.get("visitor")
    rows = [{"lead_id": item.get("lead_id"), "visitor_id": visitor, "type": item["type"], "occurred_at": moment,
             "received_at": moment, "source": "api", "properties": item.get("properties") or {},
             "external_id": None} for item in data["events"]]
    session.execute(insert(Event.__table__), rows)
    session.commit()
    return Response(status_code=204)
