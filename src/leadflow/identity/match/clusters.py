"""Clusters of matched records that do not chain: two groups join only if no pair across them is known to be
different people.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from leadflow.identity.match.fields import MatchResult


@dataclass
class Clustering:
    clusters: list[list[object]]                              # each at least two ids: the records to merge
    review: list[tuple[object, object, MatchResult]]          # pairs for a person, across clusters
    refused: list[tuple[object, object, MatchResult]] = field(default_factory=list)  # merges the guard stopped


def cluster(scored: Sequence[tuple[object, object, MatchResult]], *,
            not_the_same: Iterable[tuple[object, object]] = ()) -> Clustering:
    """Connected components over the merge pairs, strongest first, with a guard against chaining: two groups join
    only if no pair across them is known to be different people — a pair scored distinct with a contradiction
    or a negative weight, or a pair a person marked "not the same". So A=B (same email) and B=C (same phone)
    do not put A with C when A and C have different first names and birth dates."""
    parent: dict[object, object] = {}
    members: dict[object, set] = {}
    apart: dict[object, set] = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in not_the_same:
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)
    for a, b, result in scored:
        if result.decision == "distinct":
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    refused = []
    merges = sorted((s for s in scored if s[2].decision == "merge"), key=lambda s: -s[2].weight)
    for a, b, result in merges:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        group_a = members.setdefault(ra, {a})
        group_b = members.setdefault(rb, {b})
        small, large_root = (group_a, rb) if len(group_a) <= len(group_b) else (group_b, ra)
        if any(root(other) == large_root for x in small for other in apart.get(x, ())):
            refused.append((a, b, result))
            continue
        parent[ra] = rb
        members[rb] = group_a | group_b
        members.pop(ra, None)
    clusters = [sorted(group, key=str) for r, group in members.items() if root(r) == r and len(group) > 1]
    review = [(a, b, result) for a, b, result in scored
              if result.decision == "review" and root(a) != root(b)]
    review += [(a, b, result) for a, b, result in refused if root(a) != root(b)]
    return Clustering(clusters=clusters, review=review, refused=refused)
