"""Reads of segments and their members, for this stage's pages and for the stages above (journeys' segment entries,
email's audiences): ascending lead ids a page at a time, membership of given leads, a select for IN-filters, and the
members a person may see (through leads' visibility)."""

from __future__ import annotations

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from leadflow.errors import NotFound
from leadflow.leads.models import Lead
from leadflow.leads.visibility import sees_all, visible_leads
from leadflow.people.service import Actor
from leadflow.segments.models import Segment, SegmentMember

MAX_LIMIT = 10_000


def get(segment_id: int, *, session: Session) -> Segment:
    segment = session.get(Segment, segment_id) if 0 < segment_id < 2 ** 63 else None
    if segment is None:
        raise NotFound("segment", segment_id)
    return segment


def member_ids(segment_id: int, *, session: Session, after: int = 0, limit: int = 1000) -> list[int]:
    """The segment's members' lead ids above `after`, ascending, at most `limit` (a page of a walk over them)."""
    return list(session.scalars(select(SegmentMember.lead_id).where(
        SegmentMember.segment_id == segment_id, SegmentMember.lead_id > after)
        .order_by(SegmentMember.lead_id).limit(max(1, min(limit, MAX_LIMIT)))))


def members_of(segment_id: int, lead_ids, *, session: Session) -> set[int]:
    """Which of these leads are in the segment now."""
    ids = sorted({int(i) for i in lead_ids if i is not None})
    found: set[int] = set()
    for start in range(0, len(ids), 1000):
        found.update(session.scalars(select(SegmentMember.lead_id).where(
            SegmentMember.segment_id == segment_id, SegmentMember.lead_id.in_(ids[start:start + 1000]))))
    return found


def member_select(segment_id: int) -> Select:
    """The members' lead ids as a select, for `Lead.id.in_(...)` filters (the inbox's segment filter)."""
    return select(SegmentMember.lead_id).where(SegmentMember.segment_id == segment_id)


def choices(*, session: Session) -> list[tuple[int, str]]:
    """(id, name) of every segment, by name: a menu of segments."""
    return [(row.id, row.name) for row in session.execute(select(Segment.id, Segment.name).order_by(Segment.name))]


def listing(actor: Actor, *, session: Session) -> list[tuple[Segment, int]]:
    """Every segment with its members' count as this person may count them: all of them for those who see every
    lead, else the members they can see."""
    segments = list(session.scalars(select(Segment).order_by(Segment.name)))
    if sees_all(actor) or not segments:
        return [(s, s.member_count) for s in segments]
    seen = visible_leads(actor).with_only_columns(Lead.id).subquery()
    counts = dict(session.execute(
        select(SegmentMember.segment_id, func.count()).join(seen, seen.c.id == SegmentMember.lead_id)
        .group_by(SegmentMember.segment_id)).all())
    return [(s, counts.get(s.id, 0)) for s in segments]


def visible_count(actor: Actor, segment: Segment, *, session: Session) -> int:
    if sees_all(actor):
        return segment.member_count
    seen = visible_leads(actor).with_only_columns(Lead.id).subquery()
    return session.scalar(select(func.count()).select_from(SegmentMember).join(seen, seen.c.id == SegmentMember.lead_id)
                          .where(SegmentMember.segment_id == segment.id)) or 0


def visible_members(actor: Actor, segment_id: int, *, session: Session, after: int = 0,
                    limit: int = 50) -> tuple[list[Lead], int | None]:
    """A page of the members this person sees, by lead id ascending, and the cursor of the next page (or None)."""
    query = visible_leads(actor).join(SegmentMember, and_(SegmentMember.lead_id == Lead.id,
                                                          SegmentMember.segment_id == segment_id))
    rows = list(session.scalars(query.where(Lead.id > after).order_by(Lead.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def segments_of(lead_id: int, *, session: Session) -> list[Segment]:
    """The segments a lead is in now, by name."""
    return list(session.scalars(select(Segment).join(SegmentMember, SegmentMember.segment_id == Segment.id)
                                .where(SegmentMember.lead_id == lead_id).order_by(Segment.name)))
