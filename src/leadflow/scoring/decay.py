"""Half-life decay of behaviour points, computed lazily: a state is (points, as_of) and is only ever moved forward
or added to, so one event costs the same whatever the lead's history.

Pure: standard library only; time comes in as arguments (seconds since the epoch or aware datetimes).

    value(t) = points * 2 ** (-(t - as_of) / half_life)

An event of p points at time t >= as_of: points = value(t) + p, as_of = t. An older event (t < as_of) keeps as_of and
adds p * 2 ** (-(as_of - t) / half_life), its own decay up to as_of. Without a half-life nothing decays.
"""

from __future__ import annotations

import math

DAY = 86400.0


def factor(elapsed_seconds: float, half_life_days: float | None) -> float:
    """How much of a point is left after `elapsed_seconds` (1.0 without decay)."""
    if not half_life_days or elapsed_seconds <= 0:
        return 1.0
    return math.pow(2.0, -elapsed_seconds / (half_life_days * DAY))


def value_at(points: float, as_of: float, at: float, half_life_days: float | None) -> float:
    """The decayed value at `at` of `points` stored as of `as_of` (never grows when `at` is earlier)."""
    return points * factor(at - as_of, half_life_days)


def add(points: float, as_of: float, amount: float, at: float, half_life_days: float | None) -> tuple[float, float]:
    """Add `amount` points earned at `at` to the state (points, as_of); returns the new state."""
    if at >= as_of:
        return points * factor(at - as_of, half_life_days) + amount, at
    return points + amount * factor(as_of - at, half_life_days), as_of
