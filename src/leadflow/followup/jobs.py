"""Follow-up's worker handlers and schedules: a hand-over opens a follow-up, a lead leaving sales or merged away
closes its own, and the periodic pass (`followup.tick`, every TICK_SECONDS, self-booking) reminds, escalates and
reassigns the follow-ups whose timer is due."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from leadflow import clock, db, events
from leadflow.followup import recycling, service
from leadflow.stage import batch

log = logging.getLogger(__name__)


@batch
def assigned(session: Session, payloads: list[dict]) -> None:
    service.handed_over(payloads, session=session)


@batch
def stage_changed(session: Session, payloads: list[dict]) -> None:
    service.stage_changed(payloads, session=session)


@batch
def merged(session: Session, payloads: list[dict]) -> None:
    service.leads_left([p["merged_id"] for p in payloads if p.get("merged_id") is not None], session=session,
                       reason="merged")


def tick(session: Session, payload: dict) -> None:
    """followup.tick: the next pass is booked first (in a transaction of its own, so a failing pass never ends the
    chain), then every due timer is stepped a chunk per transaction."""
    factory = db.sessions_like(session)
    with factory() as own:
        service.schedule_tick(session=own)
        own.commit()
    done = service.run_pass(factory)
    if done.reminded or done.escalated or done.reassigned:
        log.info("follow-up pass: %s reminded, %s escalated, %s reassigned", done.reminded, done.escalated,
                 done.reassigned)


def ensure_scheduled(session: Session) -> None:
    """The worker calls this as it starts: a pass now (this time slot's, unless it ran already), else the next."""
    moment = clock.now()
    if not service.schedule_tick(session=session, moment=moment - timedelta(seconds=service.TICK_SECONDS)):
        service.schedule_tick(session=session, moment=moment)


@batch
def revisit(session: Session, payloads: list[dict]) -> None:
    """A recycled lead's revisit day came: back to the inbox, with a task and a notice for its former owner."""
    recycling.revisit([int(p["recycle_id"]) for p in payloads], session=session)


HANDLERS: dict = {events.LEAD_ASSIGNED: assigned, events.LEAD_STAGE_CHANGED: stage_changed,
                  events.LEADS_MERGED: merged, events.FOLLOWUP_TICK: tick, events.LEAD_REVISIT: revisit}
SCHEDULES: list = [ensure_scheduled]
