"""The cost of not following up (the seeds' money table): what a group's handed-over leads bring at a given
follow-up rate, from the observed win rate among followed-up leads and the average order value.

Pure: standard library only (Decimal arithmetic); never touches the database or the web.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATES = (Decimal("0.25"), Decimal("0.50"), Decimal("0.75"), Decimal("1"))


@dataclass(frozen=True)
class MoneyRow:
    rate: Decimal  # the share followed up, 0..1
    revenue: Decimal  # N x rate x w x v
    actual: bool = False  # the group's own rate


@dataclass(frozen=True)
class MoneyTable:
    handed_over: int  # N
    followed_up: int
    won_followed_up: int  # won among the followed-up leads
    win_rate: Decimal  # w: won among the followed-up leads
    order_value: Decimal  # v: the average order value, in `currency`
    currency: str | None
    value_per_followed_up_lead: Decimal  # w x v
    actual_rate: Decimal
    rows: tuple[MoneyRow, ...]
    left_on_the_table: Decimal  # N x (1 - actual rate) x w x v
    reason: str | None = None  # why the table is empty (nothing followed up, nothing won)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


def table(*, handed_over: int, followed_up: int, won_followed_up: int, order_value: Decimal | None,
          currency: str | None, rates: tuple[Decimal, ...] = RATES) -> MoneyTable:
    """The revenue at 25/50/75/100 % followed up and at the group's own rate, and what the leads not followed up
    would have been worth: for 100 leads at EUR 4,500 per followed-up lead, 112,500 / 225,000 / 337,500 / 450,000."""
    if handed_over < 0 or followed_up < 0 or won_followed_up < 0:
        raise ValueError("counts are never negative")
    if followed_up > handed_over or won_followed_up > followed_up:
        raise ValueError("followed up <= handed over and won <= followed up")
    w = rate(won_followed_up, followed_up)
    v = order_value if order_value is not None else Decimal(0)
    each = w * v
    actual = rate(followed_up, handed_over)
    n = Decimal(handed_over)
    rows = [MoneyRow(r, _money(n * r * each)) for r in rates if r != actual]
    rows.append(MoneyRow(actual, _money(n * actual * each), actual=True))
    rows.sort(key=lambda row: (row.rate, row.actual))
    reason = None
    if not handed_over:
        reason = "no leads handed over in the period"
    elif not followed_up:
        reason = "no lead followed up: no observed win rate"
    elif not won_followed_up or order_value is None:
        reason = "no followed-up lead won yet: no observed order value"
    return MoneyTable(handed_over=handed_over, followed_up=followed_up, won_followed_up=won_followed_up,
                      win_rate=w, order_value=_money(v), currency=currency, value_per_followed_up_lead=_money(each),
                      actual_rate=actual, rows=tuple(rows),
                      left_on_the_table=_money(n * (Decimal(1) - actual) * each), reason=reason)
