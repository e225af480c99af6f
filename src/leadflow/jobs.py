"""The explicit registry of durable work: outbox topic -> handler(session, payload) in <stage>/jobs.py."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

Handler = Callable[[Session, dict], None]


def without_handler() -> dict[str, str]:
    """Topics published for subscribers still to come, with what will subscribe: the worker marks them done."""
    from leadflow import events

    return {
        events.LEAD_SALES_READY: "routing (assigning the lead to a salesperson) subscribes when it exists",
        events.LEAD_STAGE_CHANGED: "the pipeline and analytics stages subscribe when they exist",
    }


def handlers() -> dict[str, Handler]:
    """Every topic the worker may claim. A topic that is neither here nor in `without_handler` is an error (kept
    with its last_error and retried), never silently marked done."""
    from leadflow import events, mail
    from leadflow.capture import jobs as capture_jobs
    from leadflow.identity import jobs as identity_jobs
    from leadflow.qualification import jobs as qualification_jobs
    from leadflow.scoring import jobs as scoring_jobs
    from leadflow.scoring.predict import jobs as predict_jobs

    registry: dict[str, Handler] = {
        events.IMPORT_RUN: capture_jobs.run_import,
        events.CAPTURE_RETRY: capture_jobs.retry_pending,
        events.EMAIL_SEND: mail.deliver,
        events.SCORING_RESCORE: scoring_jobs.run_rescore,
        events.SCORING_REFRESH: scoring_jobs.refresh,
        # Fit rescoring (scoring.service) and then the Sales Ready rule: qualification sits above scoring.
        events.LEAD_UPDATED: _each(identity_jobs.lead_changed, qualification_jobs.lead_changed),
        events.LEAD_CAPTURED: qualification_jobs.lead_changed,
        events.LEAD_RECAPTURED: qualification_jobs.lead_changed,
        events.LEADS_MERGED: qualification_jobs.leads_merged,
        events.SCORING_RESCORED: qualification_jobs.start_check,
        events.SALES_READY_CHECK: qualification_jobs.check_chunk,
        events.PREDICT_TICK: predict_jobs.tick,
    }
    registry.update({topic: _nothing_to_do for topic in without_handler()})
    registry.update({old: registry[new] for old, new in events.RENAMED.items()})
    return registry


def _nothing_to_do(session: Session, payload: dict) -> None:
    """A topic declared in `without_handler`: nobody subscribes yet."""


def _each(*steps: Handler) -> Handler:
    """Several stages' handlers of one topic, in order, in the message's one transaction (each is idempotent: a
    retry runs them all again)."""

    def run(session: Session, payload: dict) -> None:
        for step in steps:
            step(session, payload)

    return run


def schedules() -> list[Callable[[Session], None]]:
    """Periodic work: each function publishes its first run when none is pending (the worker calls them as it
    starts); the handler then publishes the next run with `available_at` in the future."""
    from leadflow.capture import jobs as capture_jobs
    from leadflow.scoring import jobs as scoring_jobs
    from leadflow.scoring.predict import jobs as predict_jobs

    return [capture_jobs.ensure_scheduled, predict_jobs.ensure_scheduled, scoring_jobs.ensure_scheduled]
