"""POST /bench/floor: the capture benchmark's floor, mounted only with LEADFLOW_BENCH_FLOOR=true.

Same stack as POST /api/v1/leads (API key, raw body, JSON, Pydantic, one session) but no logic: one row, one commit.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from leadflow.capture.channels.answer import error_body, field_errors, parse_json
from leadflow.capture.models import Capture
from leadflow.clock import now
from leadflow.errors import FieldError
from leadflow.http import DbSession, RawBody
from leadflow.people.deps import ApiActor

router = APIRouter(prefix="/bench", tags=["benchmark"], include_in_schema=False)


class FloorLead(BaseModel):
    model_config = ConfigDict(extra="allow")

    email: str | None = None


@router.post("/floor", status_code=201)
def floor(request: Request, session: DbSession, actor: ApiActor, body: RawBody):
    raw, cut = body
    if cut:
        return JSONResponse(error_body([FieldError("body", "too large")], error="too_large"), status_code=413)
    try:
        FloorLead.model_validate(parse_json(raw))
    except ValidationError as exc:
        return JSONResponse(error_body(field_errors(exc)), status_code=422)
    except ValueError as exc:
        return JSONResponse(error_body([FieldError("body", str(exc))], error="malformed"), status_code=400)
    capture = Capture(channel="bench_floor", payload=raw, content_type=request.headers.get("content-type"),
                      client=actor.label, received_at=now(), outcome="created", reasons=[], attribution={})
    session.add(capture)
    session.commit()
    return {"capture_id": capture.id, "outcome": "created"}
