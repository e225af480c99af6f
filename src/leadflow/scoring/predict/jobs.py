"""The predictive model's schedule: retrain when due (weekly by default), score new open leads in between."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadflow import db, events, outbox
from leadflow.clock import now
from leadflow.outbox import OutboxMessage
from leadflow.scoring.predict import service as predict_service
from leadflow.settings import get_settings

log = logging.getLogger("leadflow.scoring.predict")
SCORE_BATCH = 5000  # new leads scored per run; the rest wait for the next run


def tick(session: Session, payload: dict) -> None:
    """Retrain from won and lost leads when the active model is older than LEADFLOW_PREDICT_RETRAIN_DAYS (or there
    is none); otherwise score the open leads the active model has not scored yet. Then book the next run.

    Training and scoring run in sessions of their own (reads apart, short writes per chunk): minutes of learning
    never hold the write lock. This job's own transaction only books the next run.
    """
    from threadpoolctl import threadpool_limits

    from leadflow.scoring.predict import columns as predict_columns

    settings = get_settings()
    factory = db.sessions_like(session)
    with db.sessions_like(session, reads_only=True)() as reading:
        model = predict_service.active_model(session=reading)
    due = model is None or model.created_at <= now() - timedelta(days=settings.predict_retrain_days)
    if due:
        try:
            # One thread: the worker shares the machine with the web server (and spinning OpenMP threads on a
            # busy machine learn several times slower than one).
            with threadpool_limits(limits=1):
                stored = predict_service.train_from_database(factory, stale_days=settings.predict_stale_days)
            log.info("predictive model %s trained on %s leads, AUC %s", stored.id, stored.rows, stored.auc)
        except predict_columns.PredictError as exc:
            log.info("predictive model not retrained: %s", exc)
            if model is not None:
                predict_service.score_open_leads(factory, model, only_unscored=True, limit=SCORE_BATCH)
    else:
        predict_service.score_open_leads(factory, model, only_unscored=True, limit=SCORE_BATCH)
    outbox.publish(session, events.PREDICT_TICK, {},
                   available_at=now() + timedelta(minutes=max(1, settings.predict_score_minutes)))


def ensure_scheduled(session: Session) -> None:
    """Book the first run unless one is already waiting."""
    pending = session.scalar(select(OutboxMessage.id).where(OutboxMessage.topic == events.PREDICT_TICK,
                                                            OutboxMessage.done_at.is_(None)).limit(1))
    if pending is None:
        outbox.publish(session, events.PREDICT_TICK, {})


def run_soon(session: Session) -> None:
    """Bring the next run forward to now (many outcomes just arrived: a demo, an import of won and lost leads)."""
    moment = now()
    moved = session.execute(update(OutboxMessage).where(
        OutboxMessage.topic == events.PREDICT_TICK, OutboxMessage.done_at.is_(None),
        OutboxMessage.locked_until.is_(None) | (OutboxMessage.locked_until < moment)).values(available_at=moment))
    if not moved.rowcount:
        ensure_scheduled(session)
