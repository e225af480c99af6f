"""Segment membership kept live: the leads a change names are checked against every segment (one load of their
contexts per batch, each condition compiled once), and a segment saved with a new condition has its members worked
out again a chunk per transaction (segment.build). Each membership row added or removed publishes segment.entered or
segment.left, once: rows are added with insert-ignore on their key and removed with RETURNING, so two workers
checking the same lead at once neither duplicate nor lose a row, and only the one that changed it tells."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import CursorResult, bindparam, delete, null, select, text, update
from sqlalchemy.orm import Session

from leadflow import outbox
from leadflow.clock import now
from leadflow.conditions.syntax import RuleError
from leadflow.db import begin_write, lock_number
from leadflow.events import SEGMENT_BUILD, SEGMENT_ENTERED, SEGMENT_LEFT
from leadflow.leads.models import Lead
from leadflow.qualification.service import LEAD_CONTEXT_FIELDS
from leadflow.segments import contexts as segment_contexts
from leadflow.segments import definition
from leadflow.segments.models import Segment, SegmentMember

log = logging.getLogger(__name__)

CHUNK = 1000  # leads a rebuild step checks (one transaction), and leads a live check loads at once
MEMBERS = SegmentMember.__table__


@dataclass(frozen=True)
class Live:
    """A segment as the checks run it."""

    id: int
    version: int
    condition: definition.Compiled


@dataclass
class Changes:
    entered: list[tuple[int, int]]
    left: list[tuple[int, int]]
    last: int | None = None  # a rebuild step's last lead id (None: the rebuild is done)


def lock_leads(lead_ids: list[int], *, session: Session) -> None:
    """Serialize the checks of these leads (live and rebuild) until the transaction ends, so the last check of a lead
    reads its latest data and writes last. PostgreSQL: one advisory lock per lead, taken in sorted order in one
    statement; SQLite: the transaction's write lock does it."""
    if session.get_bind().dialect.name != "postgresql":
        begin_write(session)
        return
    keys = sorted({lock_number(f"segments:lead:{lead_id}") for lead_id in lead_ids})
    session.execute(text("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k "
                         "ORDER BY 1) AS keys"), {"keys": keys})


def live_segments(*, session: Session, ids: list[int] | None = None) -> list[Live]:
    query = select(Segment.id, Segment.version, Segment.condition).order_by(Segment.id)
    if ids is not None:
        query = query.where(Segment.id.in_(ids))
    found = []
    for row in session.execute(query):
        try:
            found.append(Live(row.id, row.version, definition.compiled(row.condition)))
        except RuleError as error:  # a field the catalogue no longer has: its members are left as they are
            log.warning("segment %s's condition no longer parses: %s", row.id, error)
    return found


# What a lead's context is made of (qualification's and routing's contexts read these names of a lead or a row).
_READ = ("id", *LEAD_CONTEXT_FIELDS, "score", "grade", "band", "stage", "predicted_probability", "custom_fields",
         "company_id", "postal_code", "campaign_id", "last_campaign_id", "queue", "sales_ready_at")


def lead_rows(lead_ids: list[int], names: set[str], *, session: Session) -> list:
    """The leads (not merged away) as rows of just what their contexts read: the JSON of their touches and interests
    only when a condition reads them (decoding JSON was most of the time a check of a million leads took)."""
    columns = [getattr(Lead, name) for name in _READ]
    columns.append(Lead.interests if any(n.startswith("interests.") for n in names) else null().label("interests"))
    touches = bool({"source", "medium"} & names)
    columns += [Lead.first_touch if touches else null().label("first_touch"),
                Lead.last_touch if touches else null().label("last_touch")]
    return list(session.execute(select(*columns).where(Lead.id.in_(lead_ids), Lead.merged_into_id.is_(None))))


def contexts(lead_ids: list[int], names: set[str], *, session: Session) -> dict[int, dict]:
    """Each lead's context in the segment scope (routing's, plus its survey answers), for the names given."""
    rows = lead_rows(lead_ids, names, session=session)
    return segment_contexts.lead_contexts(rows, names, session=session) if rows else {}


def _matches(segments: list[Live], lead_ids: list[int], *, session: Session) -> set[tuple[int, int]]:
    """(segment id, lead id) for every segment each lead (not merged away) matches now."""
    if not segments:
        return set()
    names = set().union(*(s.condition.names for s in segments))
    found = set()
    for lead_id, context in contexts(lead_ids, names, session=session).items():
        found.update((s.id, lead_id) for s in segments if s.condition.check(context))
    return found


def evaluate(lead_ids, *, session: Session) -> Changes:
    """Check these leads against every segment and bring their membership up to date (live: a lead's data changed)."""
    ids = sorted({int(i) for i in lead_ids if i is not None})
    changes = Changes([], [])
    if not ids:
        return changes
    lock_leads(ids, session=session)
    segments = live_segments(session=session)  # read after the locks: a condition saved meanwhile is seen
    if not segments:
        return changes
    segment_ids = [s.id for s in segments]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        want = _matches(segments, chunk, session=session)
        have = {(row.segment_id, row.lead_id) for row in session.execute(
            select(SegmentMember.segment_id, SegmentMember.lead_id).where(
                SegmentMember.lead_id.in_(chunk), SegmentMember.segment_id.in_(segment_ids)))}
        done = apply(want - have, have - want, session=session)
        changes.entered += done.entered
        changes.left += done.left
    return changes


def apply(enter: set[tuple[int, int]], leave: set[tuple[int, int]], *, session: Session) -> Changes:
    """Add and remove membership rows; only the rows this transaction changed count, are told and move the counts."""
    moment = now()
    entered: list[tuple[int, int]] = []
    if enter:
        entered = [tuple(r) for r in session.execute(
            _insert_ignore(session).returning(MEMBERS.c.segment_id, MEMBERS.c.lead_id),
            [{"segment_id": s, "lead_id": lead, "entered_at": moment} for s, lead in sorted(enter)])]
    left: list[tuple[int, int]] = []
    by_segment: dict[int, list[int]] = {}
    for segment_id, lead_id in sorted(leave):
        by_segment.setdefault(segment_id, []).append(lead_id)
    for segment_id, lead_ids in by_segment.items():
        result: CursorResult = session.execute(delete(MEMBERS).where(
            MEMBERS.c.segment_id == segment_id, MEMBERS.c.lead_id.in_(lead_ids)).returning(MEMBERS.c.lead_id))
        left += [(segment_id, lead_id) for (lead_id,) in result]
    delta = Counter(s for s, _ in entered)
    delta.subtract(Counter(s for s, _ in left))
    counted = [{"sid": s, "d": d} for s, d in sorted(delta.items()) if d]
    if counted:
        session.execute(update(Segment.__table__).where(Segment.__table__.c.id == bindparam("sid")).values(
            member_count=Segment.__table__.c.member_count + bindparam("d")), counted)
    outbox.publish_many(session, [{"topic": SEGMENT_ENTERED, "payload": {"segment_id": s, "lead_id": lead}}
                                  for s, lead in sorted(entered)]
                        + [{"topic": SEGMENT_LEFT, "payload": {"segment_id": s, "lead_id": lead}}
                           for s, lead in sorted(left)])
    return Changes(sorted(entered), sorted(left))


def _insert_ignore(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(MEMBERS).on_conflict_do_nothing(index_elements=["segment_id", "lead_id"])


# --- rebuilding a segment's members a chunk at a time -------------------------------------------------------------

def queue_build(segment: Segment, *, session: Session, run: str = "saved") -> None:
    """Work out the segment's members again from the first lead (after its condition changed, a rescore, or by
    hand); `run` names the pass, so each pass's steps are keyed apart and a retried step queues nothing twice."""
    payload = {"segment_id": segment.id, "version": segment.version, "run": run, "after": 0}
    outbox.publish_once(session, SEGMENT_BUILD, payload, key=build_key(payload))


def build_key(payload: dict) -> str:
    return f"{SEGMENT_BUILD}:{payload['segment_id']}:{payload['version']}:{payload['run']}:{payload['after']}"[:300]


def build_step(payload: dict, *, session: Session, chunk: int | None = None,
               queue_next: bool = True) -> Changes | None:
    """One step of a rebuild: the next `chunk` leads after `after` checked against the segment, their membership
    brought up to date, the next step queued (unless `queue_next` is false: the caller walks on) or the segment
    marked built. None when the pass is stale: the
    segment was deleted or its condition changed since (a newer pass does the work)."""
    segment_id, version, after = int(payload["segment_id"]), int(payload["version"]), int(payload.get("after") or 0)
    begin_write(session)
    current = session.execute(select(Segment.version).where(Segment.id == segment_id)).scalar_one_or_none()
    if current != version:
        return None
    ids = list(session.scalars(select(Lead.id).where(Lead.id > after).order_by(Lead.id).limit(chunk or CHUNK)))
    if not ids:
        session.execute(update(Segment).where(Segment.id == segment_id, Segment.version == version)
                        .values(built_at=now()))
        return Changes([], [])
    lock_leads(ids, session=session)
    segments = live_segments(session=session, ids=[segment_id])
    if not segments or segments[0].version != version:
        return None
    want = _matches(segments, ids, session=session)
    have = {(segment_id, lead_id) for lead_id in session.scalars(select(SegmentMember.lead_id).where(
        SegmentMember.segment_id == segment_id, SegmentMember.lead_id > after, SegmentMember.lead_id <= ids[-1]))}
    changes = apply(want - have, have - want, session=session)
    changes.last = ids[-1]
    if queue_next:
        following = {**payload, "after": ids[-1]}
        outbox.publish_once(session, SEGMENT_BUILD, following, key=build_key(following))
    return changes
