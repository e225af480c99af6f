"""Durable work: outbox rows written in the caller's transaction, claimed by workers (SKIP LOCKED on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, Index, Integer, String, Text, delete, insert, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from leadflow import events
from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime, begin_write, insert_rows


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_done_at_available_at", "done_at", "available_at"),
        # A worker's claim of one topic's due messages (a batch): straight to them, past the other topics' pending.
        Index("ix_outbox_pending_topic", "topic", "available_at", "id",
              postgresql_where=text("done_at IS NULL"), sqlite_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    key: Mapped[str | None] = mapped_column(String(300), unique=True)  # a retry with the same key adds nothing
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


def publish(session: Session, topic: str, payload: dict, *, key: str | None = None,
            available_at: datetime | None = None) -> None:
    """Add a message in the caller's transaction; it is sent only if that transaction commits."""
    moment = now()
    session.execute(insert(OutboxMessage), [{"topic": topic, "payload": payload, "key": key, "attempts": 0,
                                             "available_at": available_at or moment, "created_at": moment}])


def publish_many(session: Session, messages: list[dict], *, skip_existing: bool = False) -> int:
    """publish for a batch (an import chunk's events): {topic, payload, key?, available_at?}, one executemany.
    skip_existing: a message whose key exists already (or is written concurrently) is skipped, not an error.
    Returns how many messages were added."""
    if not messages:
        return 0
    moment = now()
    rows = [{"topic": m["topic"], "payload": m["payload"], "key": m.get("key"), "attempts": 0,
             "available_at": m.get("available_at") or moment, "created_at": moment} for m in messages]
    return insert_rows(session, OutboxMessage.__table__, rows, skip_conflicts_on=["key"] if skip_existing else None)


def publish_once(session: Session, topic: str, payload: dict, *, key: str,
                 available_at: datetime | None = None) -> bool:
    """Publish unless a message with this key exists (a retried job step queues its next step once); in a savepoint,
    so a concurrent writer of the same key loses nothing else of the caller's transaction."""
    try:
        with session.begin_nested():
            publish(session, topic, payload, key=key, available_at=available_at)
    except IntegrityError:
        return False
    return True


def claim(session: Session, *, limit: int = 10, lease: timedelta = timedelta(minutes=5),
          topic: str | None = None) -> list[OutboxMessage]:
    """Claim due messages for this worker (of one topic, when given): SKIP LOCKED on PostgreSQL, the database's
    write lock on SQLite."""
    moment = now()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.done_at.is_(None), OutboxMessage.available_at <= moment)
        .where((OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < moment))
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
    )
    if topic is not None:
        query = query.where(OutboxMessage.topic == topic)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        begin_write(session)  # SQLite: the write lock first, so two workers cannot read the same due rows
    messages = list(session.scalars(query))
    for message in messages:
        message.locked_until = moment + lease
        message.attempts += 1
    session.flush()
    return messages


PRUNE_CHUNK = 10_000


def prune(session: Session, *, before: datetime, limit: int = PRUNE_CHUNK) -> int:
    """Delete up to `limit` done messages finished before `before`: those with no key, and the periodic ones whose
    key names a past time slot (events.SLOTTED). A keyed message of any other topic is kept, whatever its age: its
    key is the memory that makes a second publish of the same thing add nothing. Returns how many went."""
    ids = select(OutboxMessage.id).where(
        OutboxMessage.done_at.is_not(None), OutboxMessage.done_at < before,
        or_(OutboxMessage.key.is_(None), OutboxMessage.topic.in_(sorted(events.SLOTTED)))).limit(limit)
    found = list(session.scalars(ids))
    if found:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(found)))
    return len(found)


def schedule_prune(*, session: Session, moment: datetime | None = None) -> bool:
    """Book the next prune at 02:30 UTC (once per day whoever books it: the key)."""
    moment = moment or now()
    at = moment.replace(hour=2, minute=30, second=0, microsecond=0)
    if at <= moment:
        at += timedelta(days=1)
    return publish_once(session, events.OUTBOX_PRUNE, {"at": at.isoformat()},
                        key=f"{events.OUTBOX_PRUNE}:{at.date().isoformat()}", available_at=at)


def schedule_prune_first(session: Session) -> None:
    """The worker calls this as it starts: the next prune booked unless it is."""
    schedule_prune(session=session)
