"""Attribution, pure: which touches of a lead earn the credit for its conversion (becoming an SQL, its revenue),
under four models side by side. The touches are the lead's captures and tracked campaign visits up to the moment of
conversion, oldest first.

- first_touch: all to the first touch; last_touch: all to the last one before the conversion;
- linear: equal shares;
- position (U-shaped): 40 % to the first, 40 % to the last, 20 % shared by those between (one touch: all of it;
  two: half each).

Each model's weights sum to exactly one (the last touch's share takes the rounding). Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

MODELS = ("first_touch", "last_touch", "linear", "position")
MODEL_LABELS = {"first_touch": "First touch", "last_touch": "Last touch", "linear": "Linear",
                "position": "Position-based (40/20/40)"}
PLACES = Decimal("0.0000000001")


@dataclass(frozen=True)
class Touch:
    at: datetime
    kind: str  # capture, visit
    campaign_id: int | None
    source: str | None
    medium: str | None
    channel: str | None


def weights(model: str, n: int) -> list[Decimal]:
    """The share of each of n touches (oldest first) under the model; they sum to one."""
    if n <= 0:
        return []
    if model == "first_touch":
        raw = [Decimal(1)] + [Decimal(0)] * (n - 1)
    elif model == "last_touch":
        raw = [Decimal(0)] * (n - 1) + [Decimal(1)]
    elif model == "linear":
        raw = [Decimal(1) / n] * n
    elif model == "position":
        if n == 1:
            raw = [Decimal(1)]
        elif n == 2:
            raw = [Decimal("0.5"), Decimal("0.5")]
        else:
            middle = Decimal("0.2") / (n - 2)
            raw = [Decimal("0.4")] + [middle] * (n - 2) + [Decimal("0.4")]
    else:
        raise ValueError(f"unknown attribution model {model!r}")
    shares = [w.quantize(PLACES, rounding=ROUND_HALF_UP) for w in raw[:-1]]
    return shares + [Decimal(1) - sum(shares, Decimal(0))]


def before(touches: Sequence[Touch], moment: datetime) -> list[Touch]:
    """The touches that could have led to a conversion at `moment`: at or before it, oldest first (a tie keeps the
    given order)."""
    return sorted((t for t in touches if t.at <= moment), key=lambda t: t.at)


def credits(touches: Sequence[Touch], moment: datetime) -> dict[str, list[tuple[Touch, Decimal]]]:
    """Per model, each touch before the conversion with its weight; no touches, no credit (the lead is counted as
    'unattributed' by whoever sums them)."""
    ordered = before(touches, moment)
    return {model: list(zip(ordered, weights(model, len(ordered)))) for model in MODELS} if ordered else {}
