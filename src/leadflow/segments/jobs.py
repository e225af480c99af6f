"""Segments' worker handlers: a change to leads' data checks them against every segment (a batch per transaction);
segment.build works out one segment's members a chunk at a time; a rescore checks the segments reading scores."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow import events
from leadflow.segments import members, service
from leadflow.stage import batch

# The topics whose payload names the lead whose data changed ({lead_id, ...}).
LEAD_TOPICS = (events.LEAD_CAPTURED, events.LEAD_RECAPTURED, events.LEAD_UPDATED, events.LEAD_STAGE_CHANGED,
               events.LEAD_ASSIGNED)
# A merge: the merged lead's rows were deleted with it, the survivor has both leads' data now; an unmerge: both again.
PAIR_TOPICS = (events.LEADS_MERGED, events.LEADS_UNMERGED)


@batch
def lead_changed(session: Session, payloads: list[dict]) -> None:
    members.evaluate([p.get("lead_id") for p in payloads], session=session)


@batch
def pair_changed(session: Session, payloads: list[dict]) -> None:
    members.evaluate([i for p in payloads for i in (p.get("survivor_id"), p.get("merged_id"))], session=session)


def build(session: Session, payload: dict) -> None:
    members.build_step(payload, session=session)


def rescored(session: Session, payload: dict) -> None:
    service.rescored(payload.get("run_id"), session=session)


HANDLERS: dict = {**{topic: lead_changed for topic in LEAD_TOPICS}, **{topic: pair_changed for topic in PAIR_TOPICS},
                  events.SEGMENT_BUILD: build, events.SCORING_RESCORED: rescored}
