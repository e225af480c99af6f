"""Saving segments: checked when saved (a condition's problem named with its column), a new or changed condition
starting the rebuild of the segment's members, and the preview of who would match before saving."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from leadflow.clock import now
from leadflow.errors import Invalid, NotFound
from leadflow.leads.models import Lead
from leadflow.segments import definition, members
from leadflow.segments.models import Segment

PREVIEW_LOOK = 5000  # leads a preview checks at most (the newest first)
PREVIEW_SAMPLE = 20


def _name_taken(name: str, *, session: Session, other_than: int | None = None) -> bool:
    query = select(Segment.id).where(func.lower(Segment.name) == name.lower())
    if other_than is not None:
        query = query.where(Segment.id != other_than)
    return session.scalar(query.limit(1)) is not None


def create(raw: dict, *, session: Session, actor: str) -> Segment:
    """A new segment (checked); its members are worked out by the worker (segment.build)."""
    values = definition.check(raw)
    if _name_taken(values["name"], session=session):
        raise Invalid.one("name", f"a segment named \u201c{values['name']}\u201d exists already")
    moment = now()
    segment = Segment(name=values["name"], description=values.get("description"), condition=values["condition"],
                      version=1, created_by=actor[:200], created_at=moment, updated_at=moment, built_at=None,
                      member_count=0)
    session.add(segment)
    session.flush()
    members.queue_build(segment, session=session)
    return segment


def update(segment_id: int, raw: dict, *, session: Session) -> Segment:
    """Change a segment's name, description or condition; a changed condition rebuilds its members (those who no
    longer match leave, those who match now enter)."""
    segment = get_for_update(segment_id, session=session)
    values = definition.check(raw, partial=True)
    if "name" in values and _name_taken(values["name"], session=session, other_than=segment.id):
        raise Invalid.one("name", f"a segment named \u201c{values['name']}\u201d exists already")
    changed = "condition" in values and values["condition"] != segment.condition
    for key, value in values.items():
        setattr(segment, key, value)
    segment.updated_at = now()
    if changed:
        segment.version += 1
        segment.built_at = None
    session.flush()
    if changed:
        members.queue_build(segment, session=session)
    return segment


def delete(segment_id: int, *, session: Session) -> None:
    segment = get_for_update(segment_id, session=session)
    session.delete(segment)
    session.flush()


def rebuild(segment_id: int, *, session: Session) -> Segment:
    """Check every lead against the segment again (its members stay complete meanwhile)."""
    segment = get_for_update(segment_id, session=session)
    members.queue_build(segment, session=session, run=f"by-hand-{uuid.uuid4().hex[:12]}")
    return segment


def rescored(run_id: object, *, session: Session) -> int:
    """A rescore gave every lead a new score: the segments reading scores are checked again. How many."""
    count = 0
    for segment in session.scalars(select(Segment).order_by(Segment.id)):
        try:
            reads = definition.compiled(segment.condition).reads_scores
        except definition.RuleError:
            continue
        if reads:
            members.queue_build(segment, session=session, run=f"rescored-{run_id}")
            count += 1
    return count


def get_for_update(segment_id: int, *, session: Session) -> Segment:
    segment = session.get(Segment, segment_id, with_for_update=True)
    if segment is None:
        raise NotFound("segment", segment_id)
    return segment


def matching(condition: str, lead_ids: list[int], *, session: Session) -> list[int]:
    """The leads among these that match the condition now (a call list fed by a condition); RuleError when the
    condition does not parse."""
    compiled = definition.compiled(condition)
    found = members.contexts(lead_ids, set(compiled.names), session=session) if lead_ids else {}
    return [lead_id for lead_id in lead_ids if lead_id in found and compiled.check(found[lead_id])]


def preview(leads: Select, condition: str, *, session: Session, look: int = PREVIEW_LOOK,
            sample: int = PREVIEW_SAMPLE) -> dict:
    """How many of the newest `look` leads of `leads` (a select of Lead the actor sees) match the condition now, and
    the first few; nothing is saved. RuleError when it does not parse."""
    compiled = definition.compiled(condition)
    ids = list(session.scalars(leads.with_only_columns(Lead.id).order_by(Lead.id.desc()).limit(look)))
    found = members.contexts(ids, set(compiled.names), session=session) if ids else {}
    matched = [lead_id for lead_id in ids if lead_id in found and compiled.check(found[lead_id])]
    shown = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(matched[:sample])))}
    return {"matched": len(matched), "looked_at": len(ids), "complete": len(ids) < look,
            "sample": [shown[i] for i in matched[:sample] if i in shown]}
