"""Backtest figures: conversion rate per band, lift over the base rate, and AUC (Mann-Whitney) of scores against
the leads' real outcomes, for the current and a proposed rule set.

Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.scoring.bands import BANDS


@dataclass(frozen=True)
class BandFigures:
    band: str
    leads: int
    won: int
    rate: float
    lift: float


@dataclass(frozen=True)
class Figures:
    leads: int
    won: int
    base_rate: float
    auc: float | None
    bands: tuple[BandFigures, ...]


def auc(scores: list[float], outcomes: list[bool]) -> float | None:
    """Probability that a won lead outscores a lost one (ties count half); None without both kinds."""
    pairs = sorted(zip(scores, outcomes, strict=True), key=lambda p: p[0])
    positives = sum(1 for _, won in pairs if won)
    negatives = len(pairs) - positives
    if not positives or not negatives:
        return None
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mid_rank = (i + 1 + j) / 2  # ranks i+1..j share their mean
        rank_sum += mid_rank * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def figures(results: list[tuple[float, str, bool]]) -> Figures:
    """From (score, band, won) per lead."""
    total = len(results)
    won = sum(1 for _, _, w in results if w)
    base = won / total if total else 0.0
    per_band = []
    for band in BANDS:
        members = [w for _, b, w in results if b == band]
        band_won = sum(1 for w in members if w)
        rate = band_won / len(members) if members else 0.0
        per_band.append(BandFigures(band, len(members), band_won, rate, rate / base if base else 0.0))
    return Figures(total, won, base, auc([s for s, _, _ in results], [w for _, _, w in results]), tuple(per_band))
