"""Worker handlers of qualification: when a lead's declared fields change (an edit, a capture, a merge), its fit is
rescored and then the Sales Ready rule applied, in the worker's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow.qualification import service as qualification_service
from leadflow.scoring import service as scoring_service


def lead_changed(session: Session, payload: dict) -> None:
    """lead.updated / lead.captured: fit and grade may have changed, and the rule may read the fields themselves."""
    lead_id = payload.get("lead_id")
    if lead_id:
        scoring_service.rescore_fit(session, [lead_id])
        qualification_service.evaluate(session, {lead_id})


def leads_merged(session: Session, payload: dict) -> None:
    """leads.merged: the survivor's fields changed and it may have gained history (and BANT answers)."""
    lead_id = payload.get("survivor_id")
    if lead_id:
        scoring_service.rescore_leads(session, [lead_id])
        qualification_service.evaluate(session, {lead_id})
