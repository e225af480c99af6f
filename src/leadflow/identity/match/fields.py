"""The fields two records are compared on, their agreement levels and default weights, the thresholds, and a
match's result with its reasons.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field


MISSING = "missing"
# Each field's agreement levels, strongest first; "missing" (either side empty) is implicit and weighs 0.
FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("exact", "nickname", "close", "initial", "far"),
    "last_name": ("exact", "close", "far"),
    "email": ("exact", "role", "local", "alias", "close", "far"),
    "phone": ("exact", "close", "far"),
    "company": ("exact", "close", "partial", "far"),
    "address": ("exact", "close", "street", "far"),
    "postal_code": ("exact", "close", "far"),
    "city": ("exact", "close", "far"),
    "birth_date": ("exact", "close", "near", "far"),
}
# Shipped starting values: P(level | same person) and P(level | different people), per field.
DEFAULT_M = {
    "first_name": {"exact": 0.80, "nickname": 0.06, "close": 0.07, "initial": 0.04, "far": 0.03},
    "last_name": {"exact": 0.88, "close": 0.09, "far": 0.03},
    "email": {"exact": 0.75, "role": 0.02, "local": 0.05, "alias": 0.03, "close": 0.05, "far": 0.10},
    "phone": {"exact": 0.75, "close": 0.05, "far": 0.20},
    "company": {"exact": 0.75, "close": 0.12, "partial": 0.05, "far": 0.08},
    "address": {"exact": 0.70, "close": 0.10, "street": 0.10, "far": 0.10},
    "postal_code": {"exact": 0.85, "close": 0.05, "far": 0.10},
    "city": {"exact": 0.85, "close": 0.05, "far": 0.10},
    "birth_date": {"exact": 0.85, "close": 0.07, "near": 0.04, "far": 0.04},
}
DEFAULT_U = {
    "first_name": {"exact": 0.01, "nickname": 0.003, "close": 0.01, "initial": 0.03, "far": 0.947},
    "last_name": {"exact": 0.003, "close": 0.007, "far": 0.99},
    "email": {"exact": 0.0001, "role": 0.0005, "local": 0.0002, "alias": 0.001, "close": 0.0005, "far": 0.9977},
    "phone": {"exact": 0.0005, "close": 0.001, "far": 0.9985},
    "company": {"exact": 0.02, "close": 0.01, "partial": 0.03, "far": 0.94},
    "address": {"exact": 0.0005, "close": 0.0005, "street": 0.003, "far": 0.996},
    "postal_code": {"exact": 0.005, "close": 0.02, "far": 0.975},
    "city": {"exact": 0.05, "close": 0.01, "far": 0.94},
    "birth_date": {"exact": 0.0002, "close": 0.003, "near": 0.01, "far": 0.9868},
}
# Agreements that point at one person rather than a name, a household or a firm: a pair merges on its own only
# with at least one of them (a name in one city, however rare, goes to a person).
IDENTIFYING = {
    "email": frozenset({"exact", "local", "close"}), "phone": frozenset({"exact", "close"}),
    "address": frozenset({"exact", "close"}), "birth_date": frozenset({"exact", "close"}),
    "company": frozenset({"exact", "close"}),
}
AUTO_THRESHOLD = 0.99     # match probability at or above which two records merge without a person
REVIEW_THRESHOLD = 0.50   # between this and AUTO_THRESHOLD the pair goes to the review queue
_FLOOR = 1e-6


@dataclass(frozen=True)
class Comparison:
    """Per field an agreement level; contradictions are facts that two people differ (see `score`); adjustments
    are the extra log2 weight of an exact agreement on a rare value (or less for a common one; see Frequencies)."""

    levels: dict[str, str]
    notes: tuple[str, ...] = ()
    contradictions: tuple[str, ...] = ()
    adjustments: dict[str, float] = field(default_factory=dict)

    def pattern(self) -> tuple[str, ...]:
        return tuple(self.levels.get(name, MISSING) for name in FIELDS)


@dataclass(frozen=True)
class Reason:
    field: str
    level: str
    weight: float     # log2 Bayes factor this field's agreement level contributed

    def __str__(self) -> str:
        return f"{self.field} {self.level} ({self.weight:+.1f})"


@dataclass(frozen=True)
class MatchResult:
    weight: float                   # sum of the reasons' weights (log2 Bayes factor), before the prior
    probability: float              # P(same person | comparison), with the model's prior
    decision: str                   # "merge", "review" or "distinct"
    reasons: tuple[Reason, ...]     # strongest contribution first
    notes: tuple[str, ...] = ()     # e.g. "first and last name swapped"
    contradictions: tuple[str, ...] = ()

