"""Reads with no decision: a lead's events, newest first, a page at a time (keyset); the scored event history other
stages read (scoring's replays and predictive features) without naming the events table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import Text, and_, case, cast, func, null, or_, select
from sqlalchemy.orm import Session

from leadflow.tracking.bulk import STREAM_BATCH, epoch_seconds
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


def lead_events(lead_id: int, *, session: Session, cursor: str | None = None, limit: int = 25
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


# --- what other stages read of the events (scoring: history replays, predictive features) ------------------------


def scored_history(lead_ids: list[int] | None = None, *, session: Session, low: int | None = None,
                   high: int | None = None, property_types: list[str] | None = None) -> Iterator[tuple]:
    """(lead_id, event id, type, epoch seconds, properties as JSON text) of the events that count for scoring (no
    `unscored` reason), ordered by lead, time and id: for a list of leads, or for every lead id in [low, high],
    streamed in batches (a server-side cursor on PostgreSQL). With `property_types`, properties come only for those
    types (None for the others: no rule reads them)."""
    table = Event.__table__
    properties = cast(table.c.properties, Text)
    if property_types is not None:
        properties = (case((table.c.type.in_(property_types), properties), else_=null()) if property_types
                      else null())
    query = select(table.c.lead_id, table.c.id, table.c.type, epoch_seconds(session=session), properties).where(
        table.c.unscored.is_(None))
    if lead_ids is not None:
        query = query.where(table.c.lead_id.in_(lead_ids))
    else:
        query = query.where(table.c.lead_id >= low, table.c.lead_id <= high)
    query = query.order_by(table.c.lead_id, table.c.occurred_at, table.c.id)
    result = session.execute(query, execution_options={"yield_per": STREAM_BATCH})
    for rows in result.partitions():
        yield from rows


def scored_events_since(lead_ids: list[int], earliest: datetime, *, session: Session) -> list[tuple]:
    """(lead_id, type, occurred_at) of these leads' scored events from `earliest` on, one statement per 5,000
    leads."""
    ids = list(lead_ids)
    rows: list[tuple] = []
    for start in range(0, len(ids), 5000):
        rows += [tuple(row) for row in session.execute(
            select(Event.lead_id, Event.type, Event.occurred_at)
            .where(Event.occurred_at >= earliest, Event.unscored.is_(None),
                   Event.lead_id.in_(ids[start:start + 5000])))]
    return rows


def recent_by_lead(lead_ids: list[int], *, session: Session, per_lead: int = 5) -> dict[int, list[tuple]]:
    """Each lead's latest events as (when, what happened in words), newest first: what an alert to a salesperson
    tells of the lead (visits, downloads, answers). One query for the whole list."""
    if not lead_ids:
        return {}
    ranked = select(Event.lead_id, Event.occurred_at, Event.type, Event.properties, func.row_number().over(
        partition_by=Event.lead_id, order_by=(Event.occurred_at.desc(), Event.id.desc())).label("n")).where(
        Event.lead_id.in_(lead_ids), Event.unscored.is_(None)).subquery()
    found: dict[int, list[tuple]] = {}
    rows = session.execute(select(ranked.c.lead_id, ranked.c.occurred_at, ranked.c.type, ranked.c.properties)
                           .where(ranked.c.n <= per_lead).order_by(ranked.c.lead_id, ranked.c.n))
    for lead_id, occurred_at, kind, properties in rows:
        found.setdefault(lead_id, []).append((occurred_at, describe(kind, properties or {})))
    return found


def describe(kind: str, properties: dict) -> str:
    """An event in a few words: its type and what it was about (a page, a file, a form, an answer)."""
    words = kind.replace("_", " ")
    about = next((str(properties[k]) for k in ("title", "name", "file", "form", "url", "subject", "answer")
                  if properties.get(k)), "")
    return f"{words}: {about[:120]}" if about else words


CAMPAIGN_KEYS = ("utm_campaign", "utm_source", "utm_medium", "gclid", "fbclid", "msclkid")


def campaign_visits(lead_ids: list[int], *, session: Session, until: datetime | None = None) -> list:
    """(lead_id, occurred_at, properties) of these leads' page views that came from a campaign (a UTM parameter or
    an ad click id in the view's properties): the visits attribution credits."""
    if not lead_ids:
        return []
    # Only the views with one of the keys leave the database (JSON paths on both databases).
    query = select(Event.lead_id, Event.occurred_at, Event.properties).where(
        Event.lead_id.in_(lead_ids), Event.type == "page_view",
        or_(*(Event.properties[key].as_string().is_not(None) for key in CAMPAIGN_KEYS)))
    if until is not None:
        query = query.where(Event.occurred_at <= until)
    return [row for row in session.execute(query)
            if isinstance(row.properties, dict) and any(row.properties.get(k) for k in CAMPAIGN_KEYS)]
