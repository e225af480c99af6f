"""Our guards over pairs another scorer (Splink) found: a match probability becomes a decision only after
`match.compare` has looked for contradictions (another first name, birth date, mobile, personal email, Jr/Sr) and
for an identifying agreement, exactly as for pairs our own model scores; and clusters do not chain strangers.

Pure: no database, no DuckDB, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import combinations

from leadflow.identity.match import IDENTIFYING as MATCH_IDENTIFYING
from leadflow.identity.match import MatchResult, Model, Reason, compare
from leadflow.identity.normalize import Prepared

MAX_COMPONENT = 200   # leads in one tentative cluster whose pairs are all checked against each other
# Our identifying agreements, and for a pair the trained model is sure of: the street without a house number on one
# side, or the same postal code. Splink's probability already weighs how common the name is (term frequencies)
# and how large a postal area is, so a sure name at one street or postal code is a person, not only a name in a
# town; name-and-address lists give nothing more identifying (issue 9: 0.881 -> 0.909 recall at 0.998 precision).
IDENTIFYING = {**MATCH_IDENTIFYING, "address": MATCH_IDENTIFYING["address"] | {"street"},
               "postal_code": frozenset({"exact"})}


def judge(low: int, high: int, probability: float, weight: float, levels: Mapping[str, str],
          level_weights: Mapping[str, Mapping[str, float]], prepared: Mapping[int, Prepared],
          model: Model) -> MatchResult:
    """The decision for one scored pair: `model.decide` with the scorer's probability and OUR comparison's
    contradictions and identifying agreements; the reasons are the scorer's own level weights."""
    a, b = prepared[low], prepared[high]
    comparison = compare(a, b)
    contradictions = comparison.contradictions
    identifying = any(comparison.levels.get(f) in allowed for f, allowed in IDENTIFYING.items())
    decision = model.decide(probability, len(contradictions), identifying=identifying)
    reasons = sorted((Reason(f, level, level_weights.get(f, {}).get(level, 0.0))
                      for f, level in levels.items() if level != "missing"), key=lambda r: -abs(r.weight))
    return MatchResult(round(weight, 3), probability, decision, tuple(reasons), comparison.notes, contradictions)


_APART = MatchResult(weight=0.0, probability=0.0, decision="distinct", reasons=())


def apart_within(scored: Iterable[tuple[int, int, MatchResult]], prepared: Mapping[int, Prepared]
                 ) -> list[tuple[int, int, MatchResult]]:
    """Pairs inside each group the merge pairs would join that our comparison finds a contradiction in: handed to
    `match.cluster` as distinct, so A=B and B=C do not put A with C when A and C are two people (a scorer that
    never compared A with C, or compared them without our guards, cannot say so)."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, result in scored:
        if result.decision == "merge":
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    apart = []
    for members in groups.values():
        if len(members) < 3:
            continue
        for a, b in combinations(sorted(members)[:MAX_COMPONENT], 2):
            if compare(prepared[a], prepared[b]).contradictions or (
                    bool(prepared[a].generation) != bool(prepared[b].generation)):
                apart.append((a, b, _APART))
    return apart
