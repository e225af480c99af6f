"""The explicit registry of durable work: outbox topic -> handler(session, payload) in <stage>/jobs.py."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

Handler = Callable[[Session, dict], None]


def handlers() -> dict[str, Handler]:
    """Topics with no handler (events nobody subscribes to yet) are marked done as they are claimed."""
    from leadflow import events, mail
    from leadflow.capture import jobs as capture_jobs
    from leadflow.qualification import jobs as qualification_jobs
    from leadflow.scoring import jobs as scoring_jobs
    from leadflow.scoring import predict_jobs

    return {
        events.IMPORT_RUN: capture_jobs.run_import,
        events.CAPTURE_RETRY: capture_jobs.retry_pending,
        events.EMAIL_SEND: mail.deliver,
        events.SCORING_RESCORE: scoring_jobs.run_rescore,
        events.SCORING_REFRESH: scoring_jobs.refresh,
        # Fit rescoring (scoring.service) and then the Sales Ready rule: qualification sits above scoring.
        events.LEAD_UPDATED: qualification_jobs.lead_changed,
        events.LEAD_CAPTURED: qualification_jobs.lead_changed,
        events.LEADS_MERGED: qualification_jobs.leads_merged,
        events.PREDICT_TICK: predict_jobs.tick,
    }


def schedules() -> list[Callable[[Session], None]]:
    """Periodic work: each function publishes its first run when none is pending (the worker calls them as it
    starts); the handler then publishes the next run with `available_at` in the future."""
    from leadflow.capture import jobs as capture_jobs
    from leadflow.scoring import jobs as scoring_jobs
    from leadflow.scoring import predict_jobs

    return [capture_jobs.ensure_scheduled, predict_jobs.ensure_scheduled, scoring_jobs.ensure_scheduled]
