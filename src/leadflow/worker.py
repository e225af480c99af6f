"""The worker: claims outbox rows (SKIP LOCKED on PostgreSQL), runs their handlers, retries with backoff."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from leadflow import jobs
from leadflow.clock import now
from leadflow.outbox import OutboxMessage, claim

log = logging.getLogger("leadflow.worker")
MAX_ATTEMPTS = 8
RECORD_RETRY_S = (1, 2, 5, 10, 20, 30, 60)  # well within the 5-minute lease


class LeaseLost(RuntimeError):
    """The message was claimed again (its lease ran out): this run's work is rolled back and the other one counts."""


BATCH = 500  # messages of a batch-taking topic (jobs.batch) one transaction handles


def run_once(factory: sessionmaker[Session], *, limit: int = 10) -> int:
    """Claim and run one batch; returns how many messages it handled.

    A handler runs in one write transaction that also marks its message done, so a committed job is done exactly
    once. A failure is recorded (last error, backoff, lease released) in a transaction of its own, retried until it
    is, so a failed job never waits for its lease to run out. A topic whose handler takes a batch (jobs.batch) has
    up to BATCH of its due messages claimed and run together; if that transaction fails, each runs alone.
    """
    registry = jobs.handlers()
    with factory() as session, session.begin():
        claimed = [(m.id, m.topic, m.payload, m.attempts) for m in claim(session, limit=limit)]
        batched = {topic for _, topic, _, _ in claimed if jobs.takes_batch(registry.get(topic))}
        for topic in sorted(batched):
            size = getattr(registry[topic], "batch_size", None) or BATCH
            more = size - sum(1 for _, t, _, _ in claimed if t == topic)
            if more > 0:
                claimed += [(m.id, m.topic, m.payload, m.attempts)
                            for m in claim(session, limit=more, topic=topic)]
    groups: dict[str, list[tuple[int, str, dict, int]]] = {}
    for message in claimed:
        if message[1] in batched:
            groups.setdefault(message[1], []).append(message)
        else:
            _run_one(factory, registry, *message)
    for topic, messages in groups.items():
        handler = registry[topic]
        if len(messages) == 1:
            _run_one(factory, registry, *messages[0])
        elif not _run_batch(factory, handler, topic, messages):
            for message in messages:
                if getattr(handler, "sends", False):  # it may have sent some: never again now, retried later
                    _record_failure(factory, message[0], message[3], "its batch failed (see the log); retried")
                else:
                    _run_one(factory, registry, *message)
    return len(claimed)


def _run_one(factory: sessionmaker[Session], registry: dict, message_id: int, topic: str, payload: dict,
             attempts: int) -> None:
    handler = registry.get(topic)
    try:
        if handler is None:  # a typo or a topic of a newer version: kept with its error, never dropped
            raise LookupError(f"no handler for the topic {topic!r} (see leadflow.jobs)")
        with factory() as session, session.begin():
            failed = jobs.run_batch(handler, session, [payload])
            if failed:
                raise RuntimeError(failed[0])
            if not _finish(session, message_id, attempts):
                raise LeaseLost(f"job {message_id} was claimed again while it ran")
    except LeaseLost:
        log.warning("job %s (%s) outlived its lease; its later claim runs it", message_id, topic,
                    extra={"job": topic})
    except Exception as exc:  # a failing handler must not stop the worker; the message is retried
        log.exception("job %s (%s) failed", message_id, topic, extra={"job": topic})
        _record_failure(factory, message_id, attempts, f"{type(exc).__name__}: {exc}"[:2000])


def _run_batch(factory: sessionmaker[Session], handler, topic: str, messages: list) -> bool:
    """Run a batch in one transaction that marks its messages done; False (nothing kept) if it failed or lost a
    lease, and the caller runs each message alone. A handler that did part of its work outside the database (emails
    sent) returns {index: error} for the messages that failed: those alone are retried, the others are done."""
    try:
        with factory() as session, session.begin():
            failed = handler(session, [payload for _, _, payload, _ in messages]) or {}
            for index, (message_id, _, _, attempts) in enumerate(messages):
                if index not in failed and not _finish(session, message_id, attempts):
                    raise LeaseLost(f"job {message_id} was claimed again while it ran")
    except Exception:  # one bad message must not hold up the others: each runs alone next
        log.warning("a batch of %s %s jobs failed; running each alone", len(messages), topic, exc_info=True,
                    extra={"job": topic})
        return False
    for index, error in failed.items():
        message_id, _, _, attempts = messages[index]
        log.warning("job %s (%s) failed: %s", message_id, topic, error, extra={"job": topic})
        _record_failure(factory, message_id, attempts, error[:2000])
    return True


def _mine(message_id: int, attempts: int):
    """This claim of the message, while it still holds it (a later claim counts one attempt more)."""
    return update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.attempts == attempts,
                                       OutboxMessage.done_at.is_(None))


def _finish(session: Session, message_id: int, attempts: int) -> bool:
    result = session.execute(_mine(message_id, attempts).values(done_at=now(), locked_until=None))
    return result.rowcount == 1


def _record_failure(factory: sessionmaker[Session], message_id: int, attempts: int, error: str) -> None:
    """The error, the next try after a backoff (or given up after MAX_ATTEMPTS), the lease released."""
    moment = now()
    values = {"last_error": error, "locked_until": None}
    if attempts >= MAX_ATTEMPTS:
        values["done_at"] = moment
    else:
        values["available_at"] = moment + timedelta(seconds=min(3600, 2 ** attempts))
    for wait in RECORD_RETRY_S:
        try:
            with factory() as session, session.begin():
                session.execute(_mine(message_id, attempts).values(**values))
            return
        except Exception:  # the database is busy or unreachable: try again; the lease still holds the job
            log.warning("could not record the failure of job %s yet; retrying in %s s", message_id, wait,
                        exc_info=True)
            time.sleep(wait)
    log.error("gave up recording the failure of job %s; it runs again when its lease ends", message_id)


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
