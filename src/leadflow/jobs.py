"""The explicit registry of durable work: outbox topic -> handler(session, payload) in <stage>/jobs.py."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

Handler = Callable[[Session, dict], None]


def handlers() -> dict[str, Handler]:
    """Topics with no handler (events nobody subscribes to yet) are marked done as they are claimed."""
    from leadflow import events, mail
    from leadflow.capture import jobs as capture_jobs

    return {
        events.IMPORT_RUN: capture_jobs.run_import,
        events.EMAIL_SEND: mail.deliver,
    }
