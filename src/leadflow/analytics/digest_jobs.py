"""The worker's daily ROI check (`analytics.check`, 07:00 UTC) and weekly digest (`analytics.digest`, Mondays
06:00 UTC): each books its next run first (in a transaction of its own, so a failing run never ends the chain),
then does its work in the job's transaction."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadflow import clock, db, events
from leadflow.analytics import alerts, digest

log = logging.getLogger(__name__)


def _at(payload: dict) -> datetime:
    try:
        return clock.as_utc(datetime.fromisoformat(str(payload.get("at"))))
    except ValueError:
        return clock.now()


def _book(session: Session, schedule, payload: dict) -> None:
    with db.sessions_like(session)() as own:
        schedule(session=own, moment=max(clock.now(), _at(payload)))
        own.commit()


def check(session: Session, payload: dict) -> None:
    _book(session, alerts.schedule, payload)
    done = alerts.check(session=session)
    if done.raised:
        log.info("ROI check: %s alerts raised, %s notifications", len(done.raised), done.notified)


def weekly_digest(session: Session, payload: dict) -> None:
    """The digest of the week that ended before this run's slot."""
    _book(session, digest.schedule, payload)
    week = digest.last_week(_at(payload).date() if payload.get("at") else clock.now().date())
    done = digest.send(week, session=session)
    log.info("weekly digest of %s: %s made, %s emailed, %s sent before", week, done.sent, done.emailed,
             done.skipped)


def ensure_scheduled(session: Session) -> None:
    """The worker calls this as it starts: the slot just passed (unless it was booked), else the next one."""
    moment = clock.now()
    if not alerts.schedule(session=session, moment=moment - timedelta(days=1)):
        alerts.schedule(session=session, moment=moment)
    if not digest.schedule(session=session, moment=moment - timedelta(days=7)):
        digest.schedule(session=session, moment=moment)


HANDLERS: dict = {events.ANALYTICS_CHECK: check, events.ANALYTICS_DIGEST: weekly_digest}
SCHEDULES: list = [ensure_scheduled]
