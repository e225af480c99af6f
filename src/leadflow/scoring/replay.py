"""Many leads' whole histories replayed fast (a full rescore, a backtest): the behaviour rules compiled once per
event type (which types need the event's properties at all, the rules as plain tuples), cap period keys once per
day, fit results once per distinct set of declared values, and each lead's state in local variables. The
arithmetic is `rules.apply_matched`'s step for step, so a replay reaches exactly the state live scoring reaches
from the same events in the same order.

Pure: standard library only; no database, no clock (times are seconds since the epoch, given as arguments).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator

from leadflow.scoring import decay, rules

_MEMO_LIMIT = 200_000
_KEPT_PERIODS = 4  # rules._KEPT_PERIODS: cap counters of the newest periods only

# A compiled rule as the replay applies it: (rule id, points, cap or None, period, product or None).
Plan = tuple[str, float, float | None, str, str | None]


class Replay:
    """A rule set compiled for replaying histories; keep one per rule set and reuse it across chunks."""

    def __init__(self, rule_set: rules.RuleSet):
        self.rule_set = rule_set
        wildcard = rule_set.by_type.get("*", ())
        self.all_types_need_properties = any(rule.where for rule in wildcard)
        self._needs = {t: any(rule.where for rule in rs) for t, rs in rule_set.by_type.items() if t != "*"}
        self._fixed: dict[str, tuple[Plan, ...]] = {}  # event type -> its rules, when properties do not matter
        self._memo: dict[tuple[str, str], tuple[Plan, ...]] = {}
        self._days: dict[int, dict[str, str]] = {}
        self._fit_fields = tuple(sorted({key for rule in rule_set.fit for key in rule.reads}))
        self._fits: dict[tuple, rules.FitResult] = {}

    def property_types(self) -> list[str] | None:
        """The event types whose properties a rule reads (None: every type's), so a reader fetches only those."""
        if self.all_types_need_properties:
            return None
        return sorted(t for t, needed in self._needs.items() if needed)

    def _plans(self, matched: tuple[rules.BehaviourRule, ...]) -> tuple[Plan, ...]:
        return tuple((r.id, r.points, r.cap, r.period, r.product) for r in matched)

    def _resolve(self, event_type: str, properties: object) -> tuple[Plan, ...]:
        needed = self._needs.get(event_type, self.all_types_need_properties)
        if not needed:
            plans = self._fixed[event_type] = self._plans(rules.matching_rules(self.rule_set, event_type, {}))
            return plans
        text = properties if isinstance(properties, str) or properties is None else json.dumps(properties,
                                                                                              sort_keys=True)
        key = (event_type, text)
        plans = self._memo.get(key)
        if plans is None:
            parsed = json.loads(text) if isinstance(properties, str) else properties
            plans = self._plans(rules.matching_rules(self.rule_set, event_type, parsed or {}))
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = plans
        return plans

    def _period_keys(self, at: float) -> dict[str, str]:
        day = int(at // 86400)
        keys = self._days.get(day)
        if keys is None:
            keys = self._days[day] = {period: rules.period_key(period, at) for period in rules.PERIODS}
        return keys

    def fit(self, declared: dict[str, object]) -> rules.FitResult:
        """rules.evaluate_fit, once per distinct combination of the values the fit rules read."""
        try:
            key = tuple(declared.get(name) for name in self._fit_fields)
            found = self._fits.get(key)
        except TypeError:  # a list or object in a custom field: not hashable, evaluate each time
            return rules.evaluate_fit(self.rule_set, declared)
        if found is None:
            found = rules.evaluate_fit(self.rule_set, declared)
            if len(self._fits) >= _MEMO_LIMIT:
                self._fits.clear()
            self._fits[key] = found
        return found

    def states(self, events: Iterable[tuple]) -> Iterator[tuple[int, rules.BehaviourState]]:
        """(lead id, behaviour state) per lead, from events (lead id, event id, type, epoch seconds, properties as
        JSON text, a dict or None when no rule of the type reads them) ordered by lead, time and event id."""
        rule_set = self.rule_set
        half_life = rule_set.half_life_days
        half_life_s = half_life * decay.DAY if half_life else None
        size = rule_set.explanation_size
        limit = 2 * size
        pow_ = math.pow
        factor = decay.factor
        fixed = self._fixed
        memo = self._memo
        resolve = self._resolve
        days = self._days
        period_keys = self._period_keys
        current = None
        points = as_of = 0.0
        interests: dict[str, float] = {}
        contributions: list = []
        counters: dict[str, dict[str, float]] = {}
        for lead_id, event_id, event_type, at, properties in events:
            if lead_id != current:
                if current is not None:
                    yield current, rules.BehaviourState(points, as_of, interests, contributions, counters)
                current = lead_id
                points = as_of = 0.0
                interests, contributions, counters = {}, [], {}
            plans = fixed.get(event_type)
            if plans is None:
                plans = memo.get((event_type, properties)) if isinstance(properties, str) else None
                if plans is None:
                    plans = resolve(event_type, properties)
            if not plans:
                continue
            keys = None
            for rule_id, amount, cap, period, product in plans:
                if cap is not None:
                    if keys is None:
                        keys = days.get(int(at // 86400)) or period_keys(at)
                    key = keys[period]
                    counts = counters.get(rule_id)
                    if counts is None:
                        counts = counters[rule_id] = {}
                    already = counts.get(key, 0.0)
                    room = cap - abs(already)
                    if room <= 0:
                        continue
                    if amount > room:  # max(-room, min(room, amount))
                        amount = room
                    elif amount < -room:
                        amount = -room
                    counts[key] = already + amount
                    if len(counts) > _KEPT_PERIODS:
                        del counts[min(counts)]
                if not amount:
                    continue
                # rules._add and decay.add, the same operations in the same order
                if at > as_of:
                    kept = pow_(2.0, -(at - as_of) / half_life_s) if half_life_s else 1.0
                    if interests and half_life_s:
                        interests = {family: value * kept for family, value in interests.items()}
                    points = points * kept + amount
                    as_of = at
                    own = amount
                elif at == as_of:
                    points = points * 1.0 + amount
                    own = amount
                else:
                    points = points + amount * factor(as_of - at, half_life)
                    own = amount * factor(as_of - at, half_life)
                if product:
                    interests[product] = interests.get(product, 0.0) + own
                contributions.append((rule_id, amount, at, event_id, event_type))
            if len(contributions) > limit:
                # rules.trim: every contribution is at or before as_of, so decay.factor is this pow (1.0 at 0)
                ref = as_of
                if half_life_s:
                    contributions.sort(key=lambda c: -abs(c[1]) * pow_(2.0, -(ref - c[2]) / half_life_s))
                else:
                    contributions.sort(key=lambda c: -abs(c[1]))
                del contributions[size:]
        if current is not None:
            yield current, rules.BehaviourState(points, as_of, interests, contributions, counters)
