"""Why a lead has its score: the fit rules hit, the strongest behaviour contributions decayed to now, interests,
and the thresholds of bands and grades."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import clock
from leadflow.errors import NotFound
from leadflow.scoring import bands, rules
from leadflow.scoring.history import score_chunk
from leadflow.scoring.models import LeadScore, RuleSet
from leadflow.scoring.outcomes import fit_hits, state_of
from leadflow.scoring.rule_sets import active_rule_set


def explanation(lead_id: int, *, session: Session) -> dict:
    """A lead's score in full: fit rules hit, the strongest behaviour contributions decayed to now, interests, and
    the thresholds of bands and grades (the lead must already be visible to the caller)."""
    rule_set_id, compiled = active_rule_set(session=session)
    row = session.get(LeadScore, lead_id)
    if row is None or row.rule_set_id != rule_set_id:
        # Not scored under the active rules yet (the worker is on it): worked out from the history here and written
        # by nobody, so a page that only reads never collides with the writer.
        _, outcomes = score_chunk(compiled, [lead_id], session=session)
        if not outcomes:
            raise NotFound("lead", lead_id)
        state, fit = outcomes[0].state, outcomes[0].fit
    else:
        state, fit = state_of(row), rules.FitResult(float(row.fit), row.grade, fit_hits(row))
    at = clock.now().timestamp()
    behaviour = rules.behaviour_at(compiled, state, at)
    score = rules.total_score(fit.points, behaviour)
    reasons = rules.explain(compiled, fit, state, at, size=compiled.explanation_size + len(fit.hits))
    version = session.scalar(select(RuleSet.version).where(RuleSet.id == rule_set_id))
    return {
        "lead_id": lead_id, "score": score, "grade": fit.grade, "band": bands.band_of(score, compiled.bands),
        "fit_points": fit.points, "behaviour_points": round(behaviour, 1),
        "fit": [r for r in reasons if r["kind"] == "fit"],
        "behaviour": [r for r in reasons if r["kind"] == "behaviour"],
        "interests": rules.interests_at(compiled, state, at),
        "bands": compiled.bands, "grades": compiled.grades, "half_life_days": compiled.half_life_days,
        "rule_set": {"id": rule_set_id, "version": version, "name": compiled.name},
        "formula": "score = round(fit points + behaviour points decayed to now), never below zero",
    }
