"""A compiled rule set: fit rules on the lead's declared fields, behaviour rules on events, each holding its
condition compiled onto the condition core (`leadflow.conditions`) once.

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

OPERATORS = ("equals", "not_equals", "in", "not_in", "contains", "like", "words", "gte", "lte", "known")
PERIODS = ("day", "week", "month", "ever")
EXPLANATION_SIZE = 10


@dataclass(frozen=True)
class Condition:
    """How a rule's condition was written, for showing it: `op` with its operand (a data rule), or op "when" with
    the text of a condition."""

    op: str
    operand: object


@dataclass(frozen=True)
class FitRule:
    id: str
    label: str
    field: str  # the field a data rule tests; for a `when` rule, the fields it reads, comma-separated
    condition: Condition
    points: float
    group: str | None = None  # within a group only the first rule that matches counts
    test: Callable[[Mapping], bool] = field(default=lambda declared: False, compare=False, repr=False)
    reads: tuple[str, ...] = ()  # the keys of the declared fields the test reads

    def matches(self, declared: Mapping) -> bool:
        return self.test(declared)


@dataclass(frozen=True)
class BehaviourRule:
    id: str
    label: str
    types: tuple[str, ...]  # ("*",): any type
    where: tuple[tuple[str, Condition], ...]  # empty: the rule reads no property of the event
    points: float
    cap: float | None = None  # most points (in absolute value) per period
    period: str = "ever"
    product: str | None = None  # points also count as interest in this product family
    test: Callable[[Mapping], bool] | None = field(default=None, compare=False, repr=False)

    def matches(self, properties: Mapping) -> bool:
        return self.test is None or self.test(properties)


@dataclass(frozen=True)
class RuleSet:
    name: str
    half_life_days: float | None
    bands: dict[str, float]
    grades: dict[str, float]
    fit: tuple[FitRule, ...]
    behaviour: tuple[BehaviourRule, ...]
    explanation_size: int = EXPLANATION_SIZE
    by_type: dict[str, tuple[BehaviourRule, ...]] = field(default_factory=dict)

    def rules_for(self, event_type: str) -> tuple[BehaviourRule, ...]:
        found = self.by_type.get(event_type)
        if found is None:
            return self.by_type.get("*", ())
        return found

    @property
    def products(self) -> list[str]:
        return sorted({r.product for r in self.behaviour if r.product})
