"""The scoring model as data: a rule set (fit rules on declared fields, behaviour rules on events, decay, bands,
grades) parsed and validated from JSON/YAML onto the condition core (`definition`), held as compiled dataclasses
(`model`), and applied (`evaluation`).

Pure: standard library only; no database, no clock (times are seconds since the epoch, given as arguments).
"""

from leadflow.conditions import fields as _catalogue
from leadflow.conditions.values import as_number as _as_number
from leadflow.conditions.values import fold
from leadflow.scoring.rules.definition import MAX_DEPTH, parse
from leadflow.scoring.rules.evaluation import (
    _KEPT_PERIODS,
    BehaviourState,
    FitResult,
    ScoreChange,
    _add,
    apply_event,
    apply_matched,
    behaviour_at,
    evaluate_fit,
    explain,
    interests_at,
    matching_rules,
    period_key,
    total_score,
    trim,
)
from leadflow.scoring.rules.model import (
    EXPLANATION_SIZE,
    OPERATORS,
    PERIODS,
    BehaviourRule,
    Condition,
    FitRule,
    RuleSet,
)

# The fields a fit rule can name (docs/conditions.md has them all, with the language).
LEAD_FIELDS = tuple(_catalogue.names(_catalogue.FIT))

__all__ = ["EXPLANATION_SIZE", "LEAD_FIELDS", "MAX_DEPTH", "OPERATORS", "PERIODS", "_KEPT_PERIODS", "BehaviourRule",
           "BehaviourState", "Condition", "FitResult", "FitRule", "RuleSet", "ScoreChange", "_add", "_as_number",
           "apply_event", "apply_matched", "behaviour_at", "evaluate_fit", "explain", "fold", "interests_at",
           "matching_rules", "parse", "period_key", "total_score", "trim"]
