"""Segments for tests: made through the API (the admin key), their members and messages read back."""

from __future__ import annotations

from sqlalchemy import select

from leadflow import worker
from leadflow.outbox import OutboxMessage
from leadflow.segments.models import SegmentMember


def segment(client, auth, condition: str, *, name: str | None = None, description: str | None = None) -> int:
    body = {"name": name or f"Segment {condition}"[:200], "condition": condition}
    if description is not None:
        body["description"] = description
    r = client.post("/api/v1/segments", headers=auth, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def stored_members(factory, segment_id: int) -> set[int]:
    with factory() as session:
        return set(session.scalars(select(SegmentMember.lead_id).where(SegmentMember.segment_id == segment_id)))


def api_members(client, headers, segment_id: int) -> set[int]:
    found, after = set(), 0
    while True:
        r = client.get(f"/api/v1/segments/{segment_id}/members", headers=headers, params={"after": after,
                                                                                          "limit": 500})
        assert r.status_code == 200, r.text
        found |= {item["id"] for item in r.json()["items"]}
        after = r.json()["next_after"]
        if after is None:
            return found


def told(factory, topic: str, segment_id: int | None = None) -> list[int]:
    """The lead ids of every message of `topic` (segment.entered, segment.left) for the segment, in order."""
    with factory() as session:
        payloads = session.scalars(select(OutboxMessage.payload).where(OutboxMessage.topic == topic)
                                   .order_by(OutboxMessage.id))
        return [p["lead_id"] for p in payloads if segment_id is None or p["segment_id"] == segment_id]


def drain(factory) -> None:
    worker.drain(factory)
    with factory() as session:
        failed = list(session.scalars(select(OutboxMessage.last_error).where(OutboxMessage.last_error.is_not(None))))
    assert failed == []
