"""Segments' JSON routes: list, create, read, change, delete, rebuild, preview, and the members a page at a time (only
the leads the key's user sees). Reading needs segments:read; changing needs segments:manage (marketing, admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from leadflow.conditions.syntax import RuleError
from leadflow.errors import Invalid
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.leads.schemas import LeadRead
from leadflow.leads.visibility import visible_leads
from leadflow.people.deps import permitted
from leadflow.people.service import Actor
from leadflow.segments import definition, queries, service
from leadflow.segments.models import Segment

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])

Reader = Annotated[Actor, permitted("segments:read")]
Manager = Annotated[Actor, permitted("segments:manage")]
EXAMPLE = {"name": "Finnish decision makers", "description": "For the brochure journey",
           "condition": "country == \"FI\" and bant.authority == \"decision_maker\""}
SegmentBody = Annotated[dict, Body(examples=[EXAMPLE])]


def out(segment: Segment, count: int) -> dict:
    """A segment as JSON: `members` counts those the caller sees; `built` is false while the members of a changed
    condition are still being worked out."""
    return {"id": segment.id, "name": segment.name, "description": segment.description,
            "condition": segment.condition, "version": segment.version, "members": count,
            "built": segment.built_at is not None,
            "built_at": segment.built_at.isoformat() if segment.built_at else None,
            "created_by": segment.created_by, "created_at": segment.created_at.isoformat(),
            "updated_at": segment.updated_at.isoformat()}


@router.get("")
def list_segments(session: DbSession, actor: Reader):
    """Every segment, by name, with how many of its members the caller sees."""
    return {"items": [out(s, count) for s, count in queries.listing(actor, session=session)]}


@router.post("", status_code=201)
@retry_races
def create_segment(session: DbSession, actor: Manager, payload: SegmentBody):
    """A new segment: `condition` in the condition language (docs/conditions.md, the `segment` scope); a problem is a
    422 naming the field and the reason, a condition's with its column. Its members are worked out by the worker."""
    segment = service.create(payload, session=session, actor=actor.label)
    session.commit()
    return out(segment, 0)


@router.post("/preview")
def preview_segment(session: DbSession, actor: Reader, payload: Annotated[dict, Body(examples=[
        {"condition": "score >= 50"}])]):
    """How many of the newest leads the caller sees match a condition now, and the first few; nothing is saved."""
    condition = payload.get("condition")
    if not isinstance(condition, str):
        raise Invalid.one("condition", "is required: a condition such as country == \"FI\"")
    try:
        found = service.preview(visible_leads(actor), condition, session=session)
    except RuleError as error:
        raise Invalid.one("condition", definition.reason(error)) from None
    return {**found, "sample": [lead.id for lead in found["sample"]]}


@router.get("/{segment_id}")
def get_segment(segment_id: Id, session: DbSession, actor: Reader):
    segment = queries.get(segment_id, session=session)
    return out(segment, queries.visible_count(actor, segment, session=session))


@router.patch("/{segment_id}")
@retry_races
def change_segment(segment_id: Id, session: DbSession, actor: Manager, payload: SegmentBody):
    """Change the name, description or condition; a new condition works the members out again (those who match now
    enter, those who no longer do leave)."""
    queries.get(segment_id, session=session)
    segment = service.update(segment_id, payload, session=session)
    session.commit()
    return out(segment, segment.member_count)


@router.delete("/{segment_id}", status_code=204)
@retry_races
def delete_segment(segment_id: Id, session: DbSession, actor: Manager):
    queries.get(segment_id, session=session)
    service.delete(segment_id, session=session)
    session.commit()
    return Response(status_code=204)


@router.post("/{segment_id}/rebuild", status_code=202)
@retry_races
def rebuild_segment(segment_id: Id, session: DbSession, actor: Manager):
    """Check every lead against the segment again, in the worker."""
    queries.get(segment_id, session=session)
    segment = service.rebuild(segment_id, session=session)
    session.commit()
    return out(segment, segment.member_count)


@router.get("/{segment_id}/members")
def segment_members(segment_id: Id, session: DbSession, actor: Reader,
                    after: Annotated[int, Query(ge=0, le=2 ** 63 - 1, description="the `next_after` of the page "
                                                                                     "before")] = 0,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50):
    """The members the caller sees, by lead id ascending, a page at a time."""
    queries.get(segment_id, session=session)
    rows, following = queries.visible_members(actor, segment_id, session=session, after=after, limit=limit)
    items: list[LeadRead] = leads_queries.reads(rows, session=session)
    return {"items": [item.model_dump(mode="json") for item in items], "next_after": following}
