"""Reads with no decision: a lead's events, newest first, a page at a time (keyset)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from leadflow.tracking.models import Event

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_of(event: Event) -> str:
    micros = (event.occurred_at.astimezone(UTC) - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{event.id}"


def _uncursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    stamp, _, event_id = cursor.partition(".")
    if not stamp.lstrip("-").isdecimal() or not event_id.isdecimal():
        return None
    try:
        return EPOCH + timedelta(microseconds=int(stamp)), int(event_id)
    except OverflowError:
        return None


def lead_events(session: Session, lead_id: int, *, cursor: str | None = None, limit: int = 25
                ) -> tuple[list[Event], str | None]:
    """One page of the lead's events and the cursor of the next page (None at the end)."""
    query = select(Event).where(Event.lead_id == lead_id)
    after = _uncursor(cursor)
    if after is not None:
        moment, event_id = after
        query = query.where(or_(Event.occurred_at < moment, and_(Event.occurred_at == moment, Event.id < event_id)))
    rows = list(session.scalars(query.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, cursor_of(rows[-1]) if more and rows else None
