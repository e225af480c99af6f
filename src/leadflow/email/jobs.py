"""Email's worker handlers: the sender's pass (`email.pass`, self-booking every TICK_SECONDS; when a chunk comes
back full it books extra passes so other workers share the work), opens and clicks from tracking set on their
message, the bounce mailbox read (`email.bounces`, when a mailbox is set)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from leadflow import clock, db, events, outbox
from leadflow.email import sender
from leadflow.email.models import EmailMessage
from leadflow.settings import get_settings
from leadflow.stage import batch

log = logging.getLogger(__name__)
TICK_SECONDS = 5
MAX_CHUNKS = 40  # a pass sends at most this many chunks; the next pass goes on
HELPERS = 3  # extra passes booked when a chunk comes back full
BOUNCE_SECONDS = 300


def _slot(moment: datetime, seconds: int) -> int:
    return (int(moment.timestamp()) // seconds + 1) * seconds


def schedule_pass(*, session: Session, moment: datetime | None = None) -> bool:
    slot = _slot(moment or clock.now(), TICK_SECONDS)
    return outbox.publish_once(session, events.EMAIL_PASS, {"at": slot}, key=f"{events.EMAIL_PASS}:{slot}",
                               available_at=datetime.fromtimestamp(slot, UTC))


def run_pass(session: Session, payload: dict) -> None:
    """email.pass: the next pass booked first (its own transaction: a failing pass never ends the chain; helper
    passes book nothing), then the due messages a chunk per transaction."""
    factory = db.sessions_like(session)
    if not payload.get("helper"):
        with factory() as own:
            schedule_pass(session=own)
            own.commit()
    settings = get_settings()

    def more_due() -> None:
        with factory() as own:
            slot = _slot(clock.now(), TICK_SECONDS)
            outbox.publish_many(own, [{"topic": events.EMAIL_PASS, "payload": {"at": slot, "helper": True},
                                       "key": f"{events.EMAIL_PASS}:{slot}:helper:{i}"} for i in range(HELPERS)],
                                skip_existing=True)
            own.commit()

    sent = sender.run_pass(factory, settings, max_chunks=MAX_CHUNKS,
                           on_full=None if payload.get("helper") else more_due)
    if sent:
        log.info("email pass: %s messages sent", sent)


@batch
def opened(session: Session, payloads: list[dict]) -> None:
    _mark(session, payloads, "opened_at")


@batch
def clicked(session: Session, payloads: list[dict]) -> None:
    _mark(session, payloads, "clicked_at")


def _mark(session: Session, payloads: list[dict], column: str) -> None:
    """The first open (click) of each message; later ones leave the time as it was."""
    moment = clock.now()
    ids = set()
    for payload in payloads:
        try:
            ids.add(int(payload.get("message_id")))
        except (TypeError, ValueError):
            continue
    if ids:
        field = getattr(EmailMessage, column)
        session.execute(update(EmailMessage).where(EmailMessage.id.in_(ids), field.is_(None))
                        .values({column: moment}).execution_options(synchronize_session=False))
        if column == "clicked_at":  # a click is an open too (images off)
            session.execute(update(EmailMessage).where(EmailMessage.id.in_(ids), EmailMessage.opened_at.is_(None))
                            .values(opened_at=moment).execution_options(synchronize_session=False))


def read_mailbox(session: Session, payload: dict) -> None:
    """email.bounces: the bounce mailbox read (when one is set), then the next read booked."""
    from leadflow.email import mailbox

    factory = db.sessions_like(session)
    with factory() as own:
        booked = mailbox.schedule(session=own, seconds=BOUNCE_SECONDS)
        own.commit()
    if booked is None:
        return
    mailbox.read(factory, get_settings())


def ensure_scheduled(session: Session) -> None:
    moment = clock.now()
    if not schedule_pass(session=session, moment=moment - timedelta(seconds=TICK_SECONDS)):
        schedule_pass(session=session, moment=moment)
    from leadflow.email import mailbox

    mailbox.schedule(session=session, seconds=BOUNCE_SECONDS, now_too=True)


HANDLERS: dict = {events.EMAIL_PASS: run_pass, events.EMAIL_OPENED: opened, events.EMAIL_CLICKED: clicked,
                  events.EMAIL_BOUNCES: read_mailbox}
SCHEDULES: list = [ensure_scheduled]
