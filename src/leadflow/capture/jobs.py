"""Worker handlers of the capture stage: run an uploaded import; process again the captures a failure left pending."""

from __future__ import annotations

import logging

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import db, events, outbox
from leadflow.capture.imports import files
from leadflow.capture.imports import service as import_service
from leadflow.capture.intake import service as capture_service
from leadflow.capture.models import Import
from leadflow.clock import now
from leadflow.errors import Invalid
from leadflow.outbox import OutboxMessage

log = logging.getLogger(__name__)
RETRY_EVERY = timedelta(minutes=5)
PERIODIC_KEY = f"{events.CAPTURE_RETRY}:periodic:"


def retry_pending(session: Session, payload: dict) -> None:
    """capture.retry: process again every pending capture whose wait is over. A capture left pending books one run
    for itself (payload capture_id); the periodic run (payload periodic) catches any whose own run was lost."""
    outcomes = capture_service.retry_due(session=session)
    if outcomes:
        log.info("%s pending capture(s) processed again: %s", len(outcomes),
                 ", ".join(f"{o.capture.id} {o.outcome}" for o in outcomes))
    if payload.get("periodic"):
        _book_periodic(session, now() + RETRY_EVERY)


def ensure_scheduled(session: Session) -> None:
    """Book the first periodic run unless one is already waiting."""
    waiting = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.topic == events.CAPTURE_RETRY, OutboxMessage.done_at.is_(None),
        OutboxMessage.key.like(PERIODIC_KEY + "%")).limit(1))
    if waiting is None:
        _book_periodic(session, now())


def _book_periodic(session: Session, at) -> None:
    outbox.publish(session, events.CAPTURE_RETRY, {"periodic": True}, available_at=at,
                   key=f"{PERIODIC_KEY}{at.isoformat()}")


def run_import(session: Session, payload: dict) -> None:
    """import.run: read the uploaded file back from its pieces and import it, chunk by chunk.

    An import commits per chunk so it can resume; it runs in sessions of its own on the job's database, not in the
    job's single transaction. A failure marks the import failed with the error; starting it again resumes it.
    """
    import_id = payload["import_id"]
    factory = db.sessions_like(session)
    with factory() as own:
        claimed = import_service.claim(import_id, session=own)
        own.commit()
        record = own.get(Import, import_id)
        if not claimed:
            if record is not None and record.status == "running":
                raise import_service.Busy(f"import {import_id} is running in another worker")
            return
        size = record.size_bytes
    try:
        table = files.open_table(files.PieceReader(import_service.piece_reader(
            db.sessions_like(session, reads_only=True), import_id)))
    except Invalid as exc:
        with factory() as own:
            import_service.fail(import_id, str(exc), session=own)
            own.commit()
        return
    try:
        import_service.run(factory, import_id, table, default_country=payload.get("default_country"),
                           lease_key=payload.get("key"), workers=import_service.workers_for(size))
    except Exception:
        log.exception("import %s failed; it can be started again to resume", import_id)
