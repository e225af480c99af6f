"""Pipeline's worker handler and schedule: the daily snapshot of the weighted pipeline (`pipeline.snapshot`,
self-booking: each run books the next day's first, so a failing run never ends the chain)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from leadflow import clock, db, events
from leadflow.pipeline import snapshots

log = logging.getLogger(__name__)


def snapshot(session: Session, payload: dict) -> None:
    """pipeline.snapshot: book tomorrow's (in a transaction of its own), then take today's (UTC). A run late past
    midnight takes the day it runs on; the same day again replaces that day's rows."""
    today = clock.now().date()
    with db.sessions_like(session)() as own:
        snapshots.schedule(session=own, day=today + timedelta(days=1))
        own.commit()
    taken = snapshots.take(session=session)
    log.info("forecast snapshot of %s: %s rows (%s to %s)", taken.day, taken.rows, *taken.months)


def ensure_scheduled(session: Session) -> None:
    """The worker calls this as it starts: today's snapshot now unless it was taken or booked, else tomorrow's."""
    moment = clock.now()
    today = moment.date()
    if snapshots.taken_on(today, session=session) or not snapshots.schedule(session=session, day=today, at=moment):
        snapshots.schedule(session=session, day=today + timedelta(days=1))


HANDLERS: dict = {events.PIPELINE_SNAPSHOT: snapshot}
SCHEDULES: list = [ensure_scheduled]
