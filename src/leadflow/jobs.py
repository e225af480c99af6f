"""The registry of durable work: outbox topic -> handler(session, payload), assembled from the stages' declarations
(each stage's `stage.py`: the topics it handles, those it publishes with no handler yet, its schedules)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlalchemy.orm import Session

from leadflow.stage import batch, takes_batch  # noqa: F401  (what a stage marks its batch handlers with)

Handler = Callable[[Session, dict], None]


def run_batch(handler: Callable, session: Session, payloads: list[dict]) -> dict[int, str]:
    """Run any handler over a list of payloads (one by one unless it takes a batch); {index: error} of the payloads
    a batch handler could not do (work outside the database, such as emails)."""
    if takes_batch(handler):
        return handler(session, payloads) or {}
    for payload in payloads:
        handler(session, payload)
    return {}


def without_handler() -> dict[str, str]:
    """Topics published for subscribers still to come, with what will subscribe: the worker marks them done."""
    from leadflow import stages

    return stages.without_handler()


@cache
def handlers() -> dict[str, Handler]:
    """Every topic the worker may claim (built once per process: the worker asks on every poll). A topic that is neither here nor in `without_handler` is an error (kept
    with its last_error and retried), never silently marked done. Several stages' handlers of one topic run bottom
    stage first (identity's, then qualification's, for lead.updated)."""
    from leadflow import events, mail, stages

    stages.wire()
    registry: dict[str, Handler] = {topic: steps[0] if len(steps) == 1 else _each(*steps)
                                    for topic, steps in stages.handlers().items()}
    registry[events.EMAIL_SEND] = mail.deliver  # the platform's own: outgoing email is no stage's
    registry[events.OUTBOX_PRUNE] = prune_outbox  # the platform's own table
    registry.update({topic: _nothing_to_do for topic in without_handler()})
    registry.update({old: registry[new] for old, new in events.RENAMED.items()})
    return registry


def _nothing_to_do(session: Session, payload: dict) -> None:
    """A topic declared in `without_handler`: nobody subscribes yet."""


def _each(*steps: Callable) -> Callable:
    """Several stages' handlers of one topic, in order, in the message's one transaction (each is idempotent: a
    retry runs them all again). If any of them takes a batch, so does the whole: each step gets the list."""
    if any(takes_batch(step) for step in steps):
        def run_all(session: Session, payloads: list[dict]) -> None:
            for step in steps:
                if run_batch(step, session, payloads):  # steps of a shared topic work in the database only
                    raise RuntimeError(f"{step.__name__} could not do part of its batch")

        return batch(run_all)

    def run(session: Session, payload: dict) -> None:
        for step in steps:
            step(session, payload)

    return run


def schedules() -> list[Callable[[Session], None]]:
    """Periodic work: each function publishes its first run when none is pending (the worker calls them as it
    starts); the handler then publishes the next run with `available_at` in the future."""
    from leadflow import outbox, stages

    return [*stages.schedules(), outbox.schedule_prune_first]


def prune_outbox(session: Session, payload: dict) -> None:
    """outbox.prune: the next day's run booked first, then done rows older than `outbox_keep_days` deleted a chunk
    per transaction (so a large backlog never holds the write lock for long)."""
    from datetime import timedelta

    from leadflow import clock, db, outbox
    from leadflow.settings import get_settings

    factory = db.sessions_like(session)
    with factory() as own:
        outbox.schedule_prune(session=own)
        own.commit()
    before = clock.now() - timedelta(days=get_settings().outbox_keep_days)
    while True:
        with factory() as own, own.begin():
            if outbox.prune(own, before=before) < outbox.PRUNE_CHUNK:
                break
