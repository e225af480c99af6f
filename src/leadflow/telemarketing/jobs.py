"""The telemarketing stage's worker handlers: a list filled from its source a chunk at a time; after a merge, the
survivor put on the lists the merged lead waited on."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow import events
from leadflow.stage import batch
from leadflow.telemarketing import service


def build(session: Session, payload: dict) -> None:
    if payload.get("rerank"):
        service.rerank_step(payload, session=session)
    else:
        service.build_step(payload, session=session)


def merged(session: Session, payload: dict) -> None:
    if payload.get("survivor_id") and payload.get("merged_id"):
        service.survivor_joins(int(payload["survivor_id"]), int(payload["merged_id"]), session=session)


@batch
def segment_entered(session: Session, payloads: list[dict]) -> None:
    """Leads that came into a segment join the live lists it feeds."""
    service.segment_entered([(p.get("segment_id"), p.get("lead_id")) for p in payloads], session=session)


HANDLERS: dict = {events.CALL_LIST_BUILD: build, events.LEADS_MERGED: merged, events.SEGMENT_ENTERED: segment_entered}
