"""Rules applied: fit points and grade from declared fields; behaviour events applied to a lead's state in constant
time (caps per period, decay, interests, the strongest contributions); the score and its explanation.

Pure: standard library only; no database, no clock (times are seconds since the epoch, given as arguments).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from leadflow.scoring import bands as bands_mod
from leadflow.scoring import decay
from leadflow.scoring.rules.model import BehaviourRule, RuleSet

# -- fit ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FitResult:
    points: float
    grade: str
    hits: tuple[tuple[str, str, float], ...]  # (rule id, label, points), in rule order


def evaluate_fit(rule_set: RuleSet, declared: dict[str, object]) -> FitResult:
    """Fit points and grade from a lead's declared fields (a flat dict: job_title, custom.x, bant.budget, ...)."""
    total = 0.0
    hits: list[tuple[str, str, float]] = []
    groups_done: set[str] = set()
    for rule in rule_set.fit:
        if rule.group and rule.group in groups_done:
            continue
        if rule.test(declared):
            total += rule.points
            hits.append((rule.id, rule.label, rule.points))
            if rule.group:
                groups_done.add(rule.group)
    return FitResult(total, bands_mod.grade_of(total, rule_set.grades), tuple(hits))


# -- behaviour ----------------------------------------------------------------------------------------------------

@dataclass
class BehaviourState:
    """Behaviour points and interests as of `as_of` (epoch seconds), the strongest contributions, cap counters."""

    points: float = 0.0
    as_of: float = 0.0
    interests: dict[str, float] = field(default_factory=dict)
    contributions: list = field(default_factory=list)  # (rule id, points, epoch seconds, event id, event type)
    counters: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreChange:
    rule_id: str
    points: float
    event_id: int | None


@lru_cache(maxsize=4096)
def _month_of_day(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).strftime("m%Y-%m")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def period_key(period: str, at: float) -> str:
    """The cap period an event falls in: "ever", or the UTC day, ISO week (from Monday) or month."""
    if period == "ever":
        return "ever"
    day = int(at // 86400)
    if period == "day":
        return f"d{day}"
    if period == "week":
        return f"w{(day + 3) // 7}"
    return _month_of_day(day)


_KEPT_PERIODS = 4


def apply_event(rule_set: RuleSet, state: BehaviourState, event_type: str, properties: dict, at: float,
                event_id: int | None = None) -> list[ScoreChange]:
    """Apply one event to the state in constant time: every matching behaviour rule, within its cap."""
    return apply_matched(rule_set, state, event_type, matching_rules(rule_set, event_type, properties), at, event_id)


def matching_rules(rule_set: RuleSet, event_type: str, properties: dict) -> tuple[BehaviourRule, ...]:
    """The behaviour rules an event matches, before caps (the same for every event with the same properties)."""
    return tuple(rule for rule in rule_set.rules_for(event_type) if not rule.where or rule.matches(properties))


def apply_matched(rule_set: RuleSet, state: BehaviourState, event_type: str, matched: tuple[BehaviourRule, ...],
                  at: float, event_id: int | None = None) -> list[ScoreChange]:
    """Apply the rules an event matched: caps per period, decay, interests, contributions."""
    changes: list[ScoreChange] = []
    half_life = rule_set.half_life_days
    for rule in matched:
        points = rule.points
        if rule.cap is not None:
            key = period_key(rule.period, at)
            counts = state.counters.setdefault(rule.id, {})
            already = counts.get(key, 0.0)
            room = rule.cap - abs(already)
            if room <= 0:
                continue
            points = max(-room, min(room, points))
            counts[key] = already + points
            if len(counts) > _KEPT_PERIODS:
                del counts[min(counts)]
        if not points:
            continue
        _add(state, points, at, half_life, rule.product)
        changes.append(ScoreChange(rule.id, points, event_id))
        state.contributions.append((rule.id, points, at, event_id, event_type))
    if len(state.contributions) > 2 * rule_set.explanation_size:
        trim(state, rule_set)
    return changes


def _add(state: BehaviourState, points: float, at: float, half_life: float | None, product: str | None) -> None:
    if at > state.as_of and state.interests and half_life:
        kept = decay.factor(at - state.as_of, half_life)
        state.interests = {family: value * kept for family, value in state.interests.items()}
    old_as_of = state.as_of
    state.points, state.as_of = decay.add(state.points, state.as_of, points, at, half_life)
    if product:
        own = points if at >= old_as_of else points * decay.factor(old_as_of - at, half_life)
        state.interests[product] = state.interests.get(product, 0.0) + own


def trim(state: BehaviourState, rule_set: RuleSet) -> None:
    """Keep the strongest contributions by their decayed value as of the state's time."""
    half_life, ref = rule_set.half_life_days, state.as_of
    state.contributions.sort(key=lambda c: -abs(c[1]) * decay.factor(ref - c[2], half_life))
    del state.contributions[rule_set.explanation_size:]


def behaviour_at(rule_set: RuleSet, state: BehaviourState, at: float) -> float:
    return decay.value_at(state.points, state.as_of, at, rule_set.half_life_days)


def interests_at(rule_set: RuleSet, state: BehaviourState, at: float) -> dict[str, float]:
    return {family: round(decay.value_at(value, state.as_of, at, rule_set.half_life_days), 1)
            for family, value in sorted(state.interests.items(), key=lambda kv: -kv[1])}


def total_score(fit_points: float, behaviour_points: float) -> int:
    """score = round(fit points + decayed behaviour points), never below zero."""
    return max(0, round(fit_points + behaviour_points))


def explain(rule_set: RuleSet, fit: FitResult, state: BehaviourState, at: float, size: int = 5) -> list[dict]:
    """The strongest reasons for a score as of `at`: fit rules hit and behaviour contributions with decayed points."""
    hits, contributions = fit.hits, state.contributions
    shown = [round(points, 1) for _, _, points in hits]
    half_life = rule_set.half_life_days
    if half_life:  # decay.value_at, inlined: the same arithmetic
        scale = half_life * decay.DAY
        shown += [round(c[1] * (math.pow(2.0, -(at - c[2]) / scale) if at - c[2] > 0 else 1.0), 1)
                  for c in contributions]
    else:
        shown += [round(c[1] * 1.0, 1) for c in contributions]
    # the strongest first (a stable sort: fit before behaviour, then in stored order); only those are formatted
    keys = [-abs(value) for value in shown]
    order = sorted(range(len(shown)), key=keys.__getitem__)[:size]
    labels = _labels(rule_set)
    reasons = []
    for i in order:
        if i < len(hits):
            rule_id, label, _ = hits[i]
            reasons.append({"kind": "fit", "rule": rule_id, "label": label, "points": shown[i]})
        else:
            rule_id, _, t, event_id, event_type = contributions[i - len(hits)]
            reasons.append({"kind": "behaviour", "rule": rule_id, "label": labels.get(rule_id, rule_id),
                            "points": shown[i], "event_id": event_id, "type": event_type,
                            "at": datetime.fromtimestamp(t, UTC).isoformat()})
    return reasons


_label_cache: dict[int, tuple[RuleSet, dict[str, str]]] = {}


def _labels(rule_set: RuleSet) -> dict[str, str]:
    """Behaviour rule labels by id, once per rule set object."""
    found = _label_cache.get(id(rule_set))
    if found is None or found[0] is not rule_set:
        if len(_label_cache) > 64:
            _label_cache.clear()
        found = _label_cache[id(rule_set)] = (rule_set, {rule.id: rule.label for rule in rule_set.behaviour})
    return found[1]
