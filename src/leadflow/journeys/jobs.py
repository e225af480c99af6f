"""Journeys' worker handlers and schedule: the tick (self-booking every engine.TICK_SECONDS) and the passes it
fans out, chunked enrolments, entry triggers, the events runs wait for, goals checked on a lead's change."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from leadflow import clock, db, events
from leadflow.journeys import engine, service, triggers
from leadflow.stage import batch

log = logging.getLogger(__name__)


def tick(session: Session, payload: dict) -> None:
    """journey.tick: the next tick is booked and extra passes published (when more than a chunk is due) in a
    transaction of their own, then this pass works the due rows a chunk per transaction."""
    factory = db.sessions_like(session)
    with factory() as own:
        engine.schedule_tick(session=own)
        engine.fan_out(session=own)
        own.commit()
    done = engine.run_pass(factory)
    if done:
        log.info("journeys pass: %s steps done", done)


def run_pass(session: Session, payload: dict) -> None:
    engine.run_pass(db.sessions_like(session))


def enrol(session: Session, payload: dict) -> None:
    service.enrol_step(int(payload["journey_id"]), str(payload["source"]), int(payload.get("after") or 0),
                       session=session)


def _listener(topic: str, *, hear: bool = False, goals: bool = False, enter: bool = False):
    """The handler of a topic journeys listen to: runs waiting for it hear it (their waits and branches read it),
    active runs' goals are checked again on the lead's change, and journeys whose entry names it take leads in."""
    @batch
    def listen(session: Session, payloads: list[dict]) -> None:
        if hear:
            triggers.hear(topic, payloads, session=session)
        if goals:
            triggers.lead_changed(payloads, session=session)
        if enter:
            triggers.enter(topic, payloads, session=session)

    listen.__name__ = f"journeys_{topic.replace('.', '_')}"
    return listen


LISTENERS = {
    events.LEAD_CAPTURED: _listener(events.LEAD_CAPTURED, hear=True, enter=True),
    events.LEAD_RECAPTURED: _listener(events.LEAD_RECAPTURED, hear=True, enter=True),
    events.LEAD_UPDATED: _listener(events.LEAD_UPDATED, goals=True, enter=True),
    events.LEAD_STAGE_CHANGED: _listener(events.LEAD_STAGE_CHANGED, goals=True, enter=True),
    events.SEGMENT_ENTERED: _listener(events.SEGMENT_ENTERED, enter=True),
    events.SURVEY_SUBMITTED: _listener(events.SURVEY_SUBMITTED, hear=True, enter=True),
    events.CONTACT_LOGGED: _listener(events.CONTACT_LOGGED, hear=True, enter=True),
    **{topic: _listener(topic, hear=True) for topic in (events.EMAIL_DELIVERED, events.EMAIL_BOUNCED,
                                                        events.EMAIL_OPENED, events.EMAIL_CLICKED)},
}


def ensure_scheduled(session: Session) -> None:
    """The worker calls this as it starts: a tick now (this slot's, unless it ran already), else the next."""
    moment = clock.now()
    if not engine.schedule_tick(session=session, moment=moment - timedelta(seconds=engine.TICK_SECONDS)):
        engine.schedule_tick(session=session, moment=moment)


HANDLERS: dict = {events.JOURNEY_TICK: tick, events.JOURNEY_PASS: run_pass, events.JOURNEY_ENROL: enrol,
                  **LISTENERS}
SCHEDULES: list = [ensure_scheduled]
