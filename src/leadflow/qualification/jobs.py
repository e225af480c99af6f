"""Worker handlers of qualification: when a lead's declared fields change (an edit, a capture, a returning person's
capture, a merge), its fit is rescored and then the Sales Ready rule applied, in the worker's transaction; when the
rule or every score changes, the rule is applied again to every open lead, a chunk per transaction."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from leadflow.qualification import service as qualification_service
from leadflow.scoring import service as scoring_service

log = logging.getLogger(__name__)


def lead_changed(session: Session, payload: dict) -> None:
    """lead.updated / lead.captured / lead.recaptured: fit and grade may have changed, and the rule may read the
    fields themselves."""
    lead_id = payload.get("lead_id")
    if lead_id:
        scoring_service.rescore_fit([lead_id], session=session)
        qualification_service.evaluate({lead_id}, session=session)


def leads_merged(session: Session, payload: dict) -> None:
    """leads.merged: the survivor's fields changed and it may have gained history (and BANT answers)."""
    lead_id = payload.get("survivor_id")
    if lead_id:
        scoring_service.rescore_leads([lead_id], session=session)
        qualification_service.evaluate({lead_id}, session=session)


def leads_unmerged(session: Session, payload: dict) -> None:
    """leads.unmerged: the history the survivor had gained went back to the restored lead; both are scored again
    from what they hold now, and the Sales Ready rule applied."""
    lead_ids = [i for i in (payload.get("survivor_id"), payload.get("merged_id")) if i]
    if lead_ids:
        scoring_service.rescore_leads(lead_ids, session=session)
        qualification_service.evaluate(set(lead_ids), session=session)


def start_check(session: Session, payload: dict) -> None:
    """scoring.rescored: every lead has its score under the newly active rule set; the Sales Ready rule reads it."""
    qualification_service.queue_check(session=session, reason=f"rescore run {payload.get('run_id')} finished")


def check_chunk(session: Session, payload: dict) -> None:
    """sales_ready.check: one chunk of open leads; the step queues the next chunk in this transaction."""
    ready = qualification_service.check_step(session=session, run=str(payload.get("run") or "-"),
                                             after=int(payload.get("after") or 0),
                                             reason=str(payload.get("reason") or ""))
    if ready:
        log.info("%s lead(s) became Sales Ready (%s)", len(ready), payload.get("reason"))
