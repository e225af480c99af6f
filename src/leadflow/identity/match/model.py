"""The Fellegi–Sunter model: log2 Bayes factors per agreement level, a score with its reasons, estimated by
expectation–maximisation.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from leadflow.identity.match.fields import (
    _FLOOR,
    AUTO_THRESHOLD,
    DEFAULT_M,
    DEFAULT_U,
    FIELDS,
    IDENTIFYING,
    MISSING,
    REVIEW_THRESHOLD,
    Comparison,
    MatchResult,
    Reason,
)


@dataclass
class Model:
    """m[field][level] = P(level | same person), u[field][level] = P(level | different people); prior = share of
    candidate pairs that are the same person. Thresholds are match probabilities."""

    m: dict[str, dict[str, float]] = field(default_factory=lambda: {f: dict(v) for f, v in DEFAULT_M.items()})
    u: dict[str, dict[str, float]] = field(default_factory=lambda: {f: dict(v) for f, v in DEFAULT_U.items()})
    prior: float = 0.05
    auto_threshold: float = AUTO_THRESHOLD
    review_threshold: float = REVIEW_THRESHOLD

    def weight(self, field_name: str, level: str) -> float:
        if level == MISSING:
            return 0.0
        m = max(self.m[field_name].get(level, _FLOOR), _FLOOR)
        u = max(self.u[field_name].get(level, _FLOOR), _FLOOR)
        return math.log2(m / u)

    def weights(self) -> dict[str, dict[str, float]]:
        return {f: {level: round(self.weight(f, level), 3) for level in levels} for f, levels in FIELDS.items()}

    def probability(self, weight: float) -> float:
        prior = min(max(self.prior, _FLOOR), 1 - _FLOOR)
        logit = weight + math.log2(prior / (1 - prior))
        if logit > 60:
            return 1.0
        if logit < -60:
            return 0.0
        return 1.0 / (1.0 + 2.0 ** -logit)

    def _weights(self) -> dict[tuple[str, str], float]:
        """Every (field, level) weight, computed once per model (a model is not changed after it is made)."""
        table = self.__dict__.get("_weight_table")
        if table is None:
            table = {(f, level): self.weight(f, level) for f, levels in FIELDS.items() for level in levels}
            self.__dict__["_weight_table"] = table
        return table

    def score(self, comparison: Comparison, *, explain: bool = True) -> MatchResult:
        """A contradiction (a first name, birth date, Jr/Sr or a personal email that differs) keeps a pair from
        merging on its own however much else agrees: twins and a father and son share a household's address,
        phone and last name, which independent field weights would otherwise count many times over. With two
        contradictions the pair is distinct. Without an IDENTIFYING agreement it goes to review at most.

        With `explain=False` a distinct pair comes back without its reasons (batch runs score millions)."""
        table = self._weights()
        adjustments = comparison.adjustments
        levels = comparison.levels
        weight = 0.0
        for f, level in levels.items():
            if level != MISSING:
                weight += round(table[f, level] + adjustments.get(f, 0.0), 2)
        probability = self.probability(weight)
        identifying = any(levels.get(f) in allowed for f, allowed in IDENTIFYING.items())
        decision = self.decide(probability, len(comparison.contradictions), identifying=identifying)
        if decision == "distinct" and not explain:
            return MatchResult(round(weight, 3), probability, decision, ())
        reasons = sorted(
            (Reason(f, level, round(table[f, level] + adjustments.get(f, 0.0), 2))
             for f, level in levels.items() if level != MISSING),
            key=lambda r: -abs(r.weight),
        )
        return MatchResult(round(weight, 3), probability, decision, tuple(reasons), comparison.notes,
                           comparison.contradictions)

    def decide(self, probability: float, contradictions: int = 0, *, identifying: bool = True) -> str:
        if contradictions >= 2:
            return "distinct"
        if probability >= self.auto_threshold and not contradictions and identifying:
            return "merge"
        if probability >= self.review_threshold:
            return "review"
        return "distinct"

    def to_dict(self) -> dict:
        return {"m": self.m, "u": self.u, "prior": self.prior, "auto_threshold": self.auto_threshold,
                "review_threshold": self.review_threshold}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> Model:
        """Fields or levels the data leaves out keep their shipped defaults; unknown ones are an error."""
        model = cls()
        for part in ("m", "u"):
            for f, levels in (data.get(part) or {}).items():
                if f not in FIELDS:
                    raise ValueError(f"unknown field {f!r} in {part}")
                for level, value in levels.items():
                    if level not in FIELDS[f]:
                        raise ValueError(f"unknown level {level!r} of {f}")
                    if not 0 < float(value) <= 1:
                        raise ValueError(f"{part}[{f}][{level}] must be in (0, 1]")
                    getattr(model, part)[f][level] = float(value)
        for name in ("prior", "auto_threshold", "review_threshold"):
            if name in data:
                value = float(data[name])
                if not 0 < value < 1:
                    raise ValueError(f"{name} must be between 0 and 1")
                setattr(model, name, value)
        if model.review_threshold > model.auto_threshold:
            raise ValueError("review_threshold must not exceed auto_threshold")
        return model

    @classmethod
    def from_json(cls, text: str) -> Model:
        return cls.from_dict(json.loads(text))


def estimate(comparisons: Iterable[Comparison], *, start: Model | None = None,
             random_comparisons: Iterable[Comparison] | None = None,
             iterations: int = 50, tolerance: float = 1e-5, pseudo: float = 1.0) -> Model:
    """Expectation–maximisation of m, u and the prior over candidate pairs (unsupervised, as splink does).

    Both m and u are estimated on the candidate pairs themselves, because those are the pairs that get scored:
    non-matches among them agree on a blocking key far more often than random pairs do. With random_comparisons
    (pairs drawn at random), u starts from their level shares instead of the shipped defaults. The start model's
    values also act as a weak prior (pseudo-counts), so a level no pair shows keeps a sensible value.
    """
    model = start or Model()
    names = list(FIELDS)
    patterns = Counter(c.pattern() for c in comparisons)
    if not patterns:
        return Model.from_dict(model.to_dict())
    m = {f: dict(model.m[f]) for f in names}
    u = {f: dict(model.u[f]) for f in names}
    if random_comparisons is not None:
        counts = Counter(c.pattern() for c in random_comparisons)
        if counts:
            u = _level_shares(counts, names, u, pseudo=1.0)
    prior = model.prior
    items = list(patterns.items())
    total = sum(patterns.values())
    for _ in range(iterations):
        match_counts = Counter()
        nonmatch_counts = Counter()
        expected_matches = 0.0
        for pattern, count in items:
            lm = math.log(prior)
            lu = math.log(1 - prior)
            for f, level in zip(names, pattern):
                if level == MISSING:
                    continue
                lm += math.log(max(m[f][level], _FLOOR))
                lu += math.log(max(u[f][level], _FLOOR))
            top = max(lm, lu)
            p = math.exp(lm - top) / (math.exp(lm - top) + math.exp(lu - top))
            expected_matches += p * count
            match_counts[pattern] += p * count
            nonmatch_counts[pattern] += (1 - p) * count
        new_m = _level_shares(match_counts, names, model.m, pseudo=pseudo)
        new_u = _level_shares(nonmatch_counts, names, model.u, pseudo=pseudo)
        _keep_order(new_m, new_u)
        new_prior = min(max(expected_matches / total, 1e-4), 0.9999)
        change = max(abs(new_m[f][lv] - m[f][lv]) for f in names for lv in FIELDS[f])
        change = max(change, abs(new_prior - prior))
        m, u, prior = new_m, new_u, new_prior
        if change < tolerance:
            break
    return Model(m=m, u=u, prior=prior, auto_threshold=model.auto_threshold,
                 review_threshold=model.review_threshold)


def _level_shares(counts: Counter, names: list[str], start: dict[str, dict[str, float]],
                  pseudo: float) -> dict[str, dict[str, float]]:
    """Per field, the share of each level among pairs where the field is present, with start as pseudo-counts."""
    result = {}
    for index, f in enumerate(names):
        tally = {level: pseudo * start[f].get(level, _FLOOR) for level in FIELDS[f]}
        for pattern, count in counts.items():
            level = pattern[index]
            if level != MISSING:
                tally[level] += count
        total = sum(tally.values())
        result[f] = {level: max(value / total, _FLOOR) for level, value in tally.items()}
    return result


def _keep_order(m: dict[str, dict[str, float]], u: dict[str, dict[str, float]]) -> None:
    """An exact agreement never weighs less than a partial one, and a disagreement never more: EM on a few thousand
    pairs with many gaps otherwise finds, say, a birth date one digit off worth more than the same birth date.
    Levels out of order are pooled (isotonic regression of m/u weighted by u, for a top and a bottom element), so
    the m of the pooled levels keeps its sum."""
    for f, levels in FIELDS.items():
        for end, outranks in ((levels[0], lambda x, y: x > y), (levels[-1], lambda x, y: x < y)):
            pooled = {end}
            while True:
                ratio = sum(m[f][lv] for lv in pooled) / sum(u[f][lv] for lv in pooled)
                more = {lv for lv in levels if lv not in pooled and outranks(m[f][lv] / u[f][lv], ratio)}
                if not more:
                    break
                pooled |= more
            if len(pooled) > 1:
                for lv in pooled:
                    m[f][lv] = max(u[f][lv] * ratio, _FLOOR)


