"""The outbox keeps what makes retries safe and lets the rest go: done rows older than the kept days are deleted by
the worker's daily prune, keyless ones and periodic ones keyed by a past time slot; a keyed message of any other topic
stays (its key is the memory that makes a second publish add nothing), and nothing pending is touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from leadflow import clock, events, outbox, worker
from leadflow.outbox import OutboxMessage

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _message(session, topic: str, *, key: str | None, done_days_ago: float | None) -> int:
    outbox.publish(session, topic, {"probe": True}, key=key, available_at=NOW + timedelta(days=365))
    message_id = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    if done_days_ago is not None:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(done_at=NOW - timedelta(days=done_days_ago)))
    return message_id


def test_the_daily_prune_deletes_old_done_rows_and_keeps_keys_and_pending_work(factory, session):
    clock.set_clock(lambda: NOW)
    try:
        old_event = _message(session, events.LEAD_UPDATED, key=None, done_days_ago=30)
        recent_event = _message(session, events.LEAD_UPDATED, key=None, done_days_ago=2)
        old_tick = _message(session, events.ANALYTICS_TICK, key="analytics.tick:probe", done_days_ago=30)
        old_email = _message(session, events.EMAIL_SEND, key="email:probe-1", done_days_ago=30)
        pending = _message(session, events.LEAD_UPDATED, key=None, done_days_ago=None)
        session.execute(update(OutboxMessage).where(OutboxMessage.topic == events.OUTBOX_PRUNE)
                        .values(done_at=NOW))  # whatever the app's start booked: this test books its own run
        outbox.publish(session, events.OUTBOX_PRUNE, {"at": NOW.isoformat()}, key="outbox.prune:probe",
                       available_at=NOW)
        session.commit()

        worker.drain(factory)

        left = set(session.scalars(select(OutboxMessage.id)))
        assert old_event not in left and old_tick not in left
        assert {recent_event, old_email, pending} <= left
        booked = session.scalars(select(OutboxMessage.available_at).where(
            OutboxMessage.topic == events.OUTBOX_PRUNE, OutboxMessage.done_at.is_(None))).all()
        assert [at.astimezone(UTC) for at in booked] == [datetime(2026, 12, 7, 2, 30, tzinfo=UTC)]
    finally:
        clock.set_clock(None)


def test_a_backlog_larger_than_a_chunk_goes_in_several_transactions(factory, session, monkeypatch):
    monkeypatch.setattr(outbox, "PRUNE_CHUNK", 3)
    clock.set_clock(lambda: NOW)
    try:
        for _ in range(8):
            _message(session, events.LEAD_UPDATED, key=None, done_days_ago=20)
        outbox.publish(session, events.OUTBOX_PRUNE, {"at": NOW.isoformat()}, key="outbox.prune:probe2",
                       available_at=NOW)
        session.commit()
        worker.drain(factory)
        assert not session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.topic == events.LEAD_UPDATED, OutboxMessage.done_at.is_not(None))).all()
    finally:
        clock.set_clock(None)
