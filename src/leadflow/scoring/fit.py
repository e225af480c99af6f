"""Fit scoring: declared fields or BANT answers changed, so fit points and grade are worked out again while the
behaviour points stay."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.scoring import rules
from leadflow.scoring.fields import current_bant, declared_fields
from leadflow.scoring.history import rescore_leads
from leadflow.scoring.models import LeadScore
from leadflow.scoring.outcomes import outcome_of, row_values, set_row, state_of, write_leads
from leadflow.scoring.rule_sets import active_rule_set


def rescore_fit(lead_ids: list[int] | set[int], bant: dict[int, dict[str, str]] | None = None,
                *, session: Session) -> set[int]:
    """Declared fields or BANT answers changed: recompute fit points and grade, keep behaviour. Returns the ids
    whose score, grade or band changed."""
    ids = sorted(set(lead_ids))
    if not ids:
        return set()
    rule_set_id, compiled = active_rule_set(session=session)
    rows = {row.lead_id: row for row in session.scalars(select(LeadScore).where(LeadScore.lead_id.in_(ids)))}
    redo = [lead_id for lead_id in ids if lead_id not in rows or rows[lead_id].rule_set_id != rule_set_id]
    changed = rescore_leads(redo, session=session, bant=bant) if redo else set()
    keep = [lead_id for lead_id in ids if lead_id not in set(redo)]
    if bant is not None:
        bant = {**current_bant([i for i in keep if i not in bant], session=session), **bant}
    declared = declared_fields(keep, bant, session=session)
    at = clock.now().timestamp()
    moment = clock.now()
    outcomes = []
    for lead_id in keep:
        if lead_id not in declared:
            continue
        row = rows[lead_id]
        before = (row.score, row.grade, row.band)
        fit = rules.evaluate_fit(compiled, declared[lead_id])
        outcome = outcome_of(compiled, lead_id, fit, state_of(row), at)
        set_row(row, row_values(rule_set_id, outcome, moment))
        outcomes.append(outcome)
        if before != (outcome.score, outcome.fit.grade, outcome.band):
            changed.add(lead_id)
    write_leads(outcomes, session=session)
    session.flush()
    return changed
