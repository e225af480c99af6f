"""Worker handlers of scoring: rescore runs after an activation and the nightly decay refresh of the stored scores
(fit rescoring when declared fields change or leads merge is qualification's: it applies the Sales Ready rule
after)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from leadflow import clock, db
from leadflow.scoring import service as scoring_service
from leadflow.scoring.models import ScoringRun

log = logging.getLogger(__name__)


def run_rescore(session: Session, payload: dict) -> None:
    """scoring.rescore: work through every lead in chunks, committing each (resumes after last_lead_id)."""
    factory = db.sessions_like(session)
    while True:
        with factory() as own:
            run = own.get(ScoringRun, payload["run_id"])
            if run is None or run.status in ("done", "failed", "superseded"):
                return
            try:
                more = scoring_service.run_step(run, session=own)
            except Exception as exc:
                own.rollback()
                run = own.get(ScoringRun, payload["run_id"])
                run.status, run.error, run.finished_at = "failed", f"{type(exc).__name__}: {exc}"[:2000], clock.now()
                own.commit()
                raise
            own.commit()
        if not more:
            return


def refresh(session: Session, payload: dict) -> None:
    """scoring.refresh (nightly): stored scores follow their decay, so the inbox does not show yesterday's bands."""
    factory = db.sessions_like(session)
    after, total = 0, 0
    while True:
        with factory() as own:
            after, changed = scoring_service.refresh_decay(session=own, after=after)
            own.commit()
        total += changed
        if not after:
            break
    with factory() as own:
        scoring_service.schedule_refresh(session=own)
        own.commit()
    log.info("decay refresh changed %s stored scores", total)


def ensure_scheduled(session: Session) -> None:
    """The worker calls this as it starts: the next nightly refresh is queued unless it already is."""
    scoring_service.schedule_refresh(session=session)
