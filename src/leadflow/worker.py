"""The worker: claims outbox rows (SKIP LOCKED on PostgreSQL), runs their handlers, retries with backoff."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from leadflow import jobs
from leadflow.clock import now
from leadflow.outbox import OutboxMessage, claim

log = logging.getLogger("leadflow.worker")
MAX_ATTEMPTS = 8


def run_once(factory: sessionmaker[Session], *, limit: int = 10) -> int:
    """Claim and run one batch; returns how many messages it handled."""
    registry = jobs.handlers()
    with factory() as session, session.begin():
        claimed = [(m.id, m.topic, m.payload, m.attempts) for m in claim(session, limit=limit)]
    for message_id, topic, payload, attempts in claimed:
        handler = registry.get(topic)
        try:
            if handler is None:  # a typo or a topic of a newer version: kept with its error, never dropped
                raise LookupError(f"no handler for the topic {topic!r} (see leadflow.jobs)")
            with factory() as session, session.begin():
                handler(session, payload)
            with factory() as session, session.begin():
                message = session.get(OutboxMessage, message_id)
                message.done_at, message.locked_until = now(), None
        except Exception as exc:  # a failing handler must not stop the worker; the message is retried
            log.exception("job %s (%s) failed", message_id, topic, extra={"job": topic})
            with factory() as session, session.begin():
                message = session.get(OutboxMessage, message_id)
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                message.locked_until = None
                if attempts >= MAX_ATTEMPTS:
                    message.done_at = now()
                else:
                    message.available_at = now() + timedelta(seconds=min(3600, 2 ** attempts))
    return len(claimed)


def run_forever(factory: sessionmaker[Session], stop: threading.Event, *, idle_seconds: float = 1.0) -> None:
    log.info("worker started")
    try:
        with factory() as session, session.begin():
            for ensure in jobs.schedules():
                ensure(session)
    except Exception:  # a schedule that cannot be set now is set at the next start; the worker still runs
        log.exception("could not set the periodic jobs")
    while not stop.is_set():
        try:
            handled = run_once(factory)
        except Exception:
            log.exception("worker loop error; retrying")
            handled = 0
        if not handled:
            stop.wait(idle_seconds)
    log.info("worker stopped")


def start_in_thread(factory: sessionmaker[Session]) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(factory, stop), name="leadflow-worker", daemon=True)
    thread.start()
    return thread, stop


def drain(factory: sessionmaker[Session], *, max_rounds: int = 1000) -> int:
    """Run until nothing is due (tests and `leadflow worker --once`)."""
    total = 0
    for _ in range(max_rounds):
        handled = run_once(factory)
        total += handled
        if not handled:
            break
        time.sleep(0)
    return total
