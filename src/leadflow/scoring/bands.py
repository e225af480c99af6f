"""Bands (hot, warm, cold) from the score and grades (A to D) from the fit points, by configurable thresholds.

Pure: standard library only.
"""

from __future__ import annotations

from itertools import pairwise

BANDS = ("hot", "warm", "cold")
GRADES = ("A", "B", "C", "D")
DEFAULT_BANDS = {"hot": 60, "warm": 30}
DEFAULT_GRADES = {"A": 40, "B": 25, "C": 10}


def band_of(score: float, thresholds: dict[str, float]) -> str:
    """hot at or above the hot threshold, warm at or above the warm one, else cold."""
    if score >= thresholds.get("hot", DEFAULT_BANDS["hot"]):
        return "hot"
    if score >= thresholds.get("warm", DEFAULT_BANDS["warm"]):
        return "warm"
    return "cold"


def grade_of(fit_points: float, thresholds: dict[str, float]) -> str:
    """A, B or C at or above their fit thresholds, else D."""
    for grade in ("A", "B", "C"):
        if fit_points >= thresholds.get(grade, DEFAULT_GRADES[grade]):
            return grade
    return "D"


def check_thresholds(bands: dict, grades: dict) -> list[tuple[str, str]]:
    """Problems with the thresholds as (path, reason): numbers, in decreasing order."""
    problems: list[tuple[str, str]] = []
    for path, table, order in (("bands", bands, ("hot", "warm")), ("grades", grades, ("A", "B", "C"))):
        if not isinstance(table, dict):
            problems.append((path, "must be an object"))
            continue
        for key in table:
            if key not in order:
                problems.append((f"{path}.{key}", f"unknown; use {', '.join(order)}"))
        values = []
        for key in order:
            value = table.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append((f"{path}.{key}", "must be a number"))
            else:
                values.append((key, value))
        for (hi_key, hi), (lo_key, lo) in pairwise(values):
            if hi <= lo:
                problems.append((f"{path}.{hi_key}", f"must be above {path}.{lo_key} ({lo})"))
    return problems
