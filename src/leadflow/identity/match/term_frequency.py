"""How common a value is: the term-frequency adjustment that weighs agreement on a rare value more.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from leadflow.identity.normalize import Prepared


TF_FIELDS = ("first_name", "last_name", "city", "postal_code", "company")
MAX_ADJUSTMENT = 5.0   # bits either way: a count from a small or skewed set is not the last word


def tf_value(field_name: str, p: Prepared) -> str:
    if field_name == "first_name":
        return p.first_tokens[0] if p.first_tokens and not p.first_is_initials else ""
    if field_name == "last_name":
        return p.last_core
    return getattr(p, field_name)


@dataclass(frozen=True)
class Frequencies:
    """How often each value of a TF field occurs: counts per value, the number of records with the field, and the
    chance that two such records agree by accident (the sum of squared shares). The batch run builds it with
    `frequencies(records)`; the database side can pass counts from its own tables."""

    counts: Mapping[str, Mapping[str, int]]
    totals: Mapping[str, int]
    collisions: Mapping[str, float]

    def adjustment(self, field_name: str, value: str) -> float:
        """log2(chance of an accidental agreement on any value / chance on this one), within ±MAX_ADJUSTMENT:
        two records that share a rare surname are more likely one person than two that share the commonest."""
        total = self.totals.get(field_name, 0)
        collision = self.collisions.get(field_name, 0.0)
        if not value or total < 2 or collision <= 0:
            return 0.0
        share = max(self.counts.get(field_name, {}).get(value, 0), 1) / total
        return max(-MAX_ADJUSTMENT, min(MAX_ADJUSTMENT, math.log2(collision / share)))


def frequencies(records: Iterable[Prepared]) -> Frequencies:
    counts: dict[str, Counter] = {f: Counter() for f in TF_FIELDS}
    for record in records:
        for f in TF_FIELDS:
            value = tf_value(f, record)
            if value:
                counts[f][value] += 1
    totals = {f: sum(c.values()) for f, c in counts.items()}
    collisions = {f: sum((n / totals[f]) ** 2 for n in c.values()) if totals[f] else 0.0 for f, c in counts.items()}
    return Frequencies({f: dict(c) for f, c in counts.items()}, totals, collisions)

