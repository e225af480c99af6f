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


@batch
def captured(session: Session, payloads: list[dict]) -> None:
    triggers.hear(events.LEAD_CAPTURED, payloads, session=session)
    triggers.enter(events.LEAD_CAPTURED, payloads, session=session)


@batch
def recaptured(session: Session, payloads: list[dict]) -> None:
    triggers.hear(events.LEAD_RECAPTURED, payloads, session=session)
    triggers.enter(events.LEAD_RECAPTURED, payloads, session=session)


@batch
def updated(session: Session, payloads: list[dict]) -> None:
    triggers.lead_changed(payloads, session=session)
    triggers.enter(events.LEAD_UPDATED, payloads, session=session)


@batch
def stage_changed(session: Session, payloads: list[dict]) -> None:
    triggers.lead_changed(payloads, session=session)
    triggers.enter(events.LEAD_STAGE_CHANGED, payloads, session=session)


@batch
def segment_entered(session: Session, payloads: list[dict]) -> None:
    triggers.enter(events.SEGMENT_ENTERED, payloads, session=session)


@batch
def survey_submitted(session: Session, payloads: list[dict]) -> None:
    triggers.hear(events.SURVEY_SUBMITTED, payloads, session=session)
    triggers.enter(events.SURVEY_SUBMITTED, payloads, session=session)


@batch
def contact_logged(session: Session, payloads: list[dict]) -> None:
    triggers.hear(events.CONTACT_LOGGED, payloads, session=session)
    triggers.enter(events.CONTACT_LOGGED, payloads, session=session)


@batch
def email_delivered(session: Session, payloads: list[dict]) -> None:
    triggers.hear(events.EMAIL_DELIVERED, payloads, session=session)


@batch
def email_bounced(session: Session, payloads: list[dict]) -> None:
    triggers.hear(events.EMAIL_BOUNCED, payloads, session=session)


@batch
def email_opened(session: Session, payloads: list[dict]) -> None:
    triggers.hear(events.EMAIL_OPENED, payloads, session=session)


@batch
def email_clicked(session: Session, payloads: list[dict]) -> None:
    triggers.hear(events.EMAIL_CLICKED, payloads, session=session)


def ensure_scheduled(session: Session) -> None:
    """The worker calls this as it starts: a tick now (this slot's, unless it ran already), else the next."""
    moment = clock.now()
    if not engine.schedule_tick(session=session, moment=moment - timedelta(seconds=engine.TICK_SECONDS)):
        engine.schedule_tick(session=session, moment=moment)


HANDLERS: dict = {
    events.JOURNEY_TICK: tick, events.JOURNEY_PASS: run_pass, events.JOURNEY_ENROL: enrol,
    events.LEAD_CAPTURED: captured, events.LEAD_RECAPTURED: recaptured, events.LEAD_UPDATED: updated,
    events.LEAD_STAGE_CHANGED: stage_changed, events.SEGMENT_ENTERED: segment_entered,
    events.SURVEY_SUBMITTED: survey_submitted, events.CONTACT_LOGGED: contact_logged,
    events.EMAIL_DELIVERED: email_delivered, events.EMAIL_BOUNCED: email_bounced,
    events.EMAIL_OPENED: email_opened, events.EMAIL_CLICKED: email_clicked,
}
SCHEDULES: list = [ensure_scheduled]
