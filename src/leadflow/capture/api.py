"""JSON routes over the capture log: find captures by external id, channel or outcome; read one raw."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from leadflow.capture import queries
from leadflow.capture.schemas import CaptureDetail, CapturePage, CaptureRead
from leadflow.errors import NotFound
from leadflow.http import DbSession
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1", tags=["capture"])

Reader = Annotated[Actor, permitted("leads:read")]


def _within(actor: Actor):
    """The whole capture log with captures:read; otherwise the captures of the leads the actor sees."""
    return None if actor.can("captures:read") else leads_queries.visible_ids(actor)


@router.get("/captures", response_model=CapturePage)
def list_captures(session: DbSession, actor: Reader, external_id: str | None = None, channel: str | None = None,
                  outcome: Literal["created", "merged", "rejected", "pending", "failed"] | None = None,
                  lead_id: Id | None = None, import_id: Id | None = None, cursor: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50):
    if lead_id is not None:
        leads_queries.visible_lead(actor, lead_id, session=session)
    rows, next_cursor = queries.capture_page(session=session, external_id=external_id, channel=channel, outcome=outcome,
                                             lead_id=lead_id, import_id=import_id, cursor=cursor, limit=limit,
                                             lead_ids=_within(actor))
    return CapturePage(items=[CaptureRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/captures/{capture_id}", response_model=CaptureDetail)
def get_capture(capture_id: Id, session: DbSession, actor: Reader):
    capture = queries.get_capture(capture_id, session=session)
    if not actor.can("captures:read") and (
            capture.lead_id is None or not leads_queries.is_visible(actor, capture.lead_id, session=session)):
        raise NotFound("capture", capture_id)
    return CaptureDetail(**CaptureRead.model_validate(capture).model_dump(),
                         payload=capture.payload.decode("utf-8", errors="replace"))


@router.get("/leads/{lead_id}/captures", response_model=list[CaptureRead])
def lead_captures(lead_id: Id, session: DbSession, actor: Reader):
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    rows, _ = queries.capture_page(session=session, lead_id=lead.id, limit=500)
    return [CaptureRead.model_validate(c) for c in rows]
