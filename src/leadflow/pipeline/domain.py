"""The pipeline's rules: an opportunity's effective probability and where it came from, its weighted value, the
moves between stages with their reasons, quote status changes, and the checks on values, currencies and
probabilities.

Pure: standard library only; it never touches the database or the web.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

OUTCOMES = ("open", "won", "lost")
QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired")
# From each quote status, where it may go; a decided quote (accepted, rejected, expired) is final.
QUOTE_MOVES: dict[str, tuple[str, ...]] = {
    "draft": ("sent",),
    "sent": ("accepted", "rejected", "expired"),
    "accepted": (), "rejected": (), "expired": (),
}
MAX_VALUE = Decimal("9999999999999999.99")  # Numeric(18, 2)
CURRENCY = re.compile(r"^[A-Z]{3}$")
KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class StageInfo:
    """What the rules need of a configured stage."""

    key: str
    probability: int
    outcome: str = "open"  # open, won, lost
    active: bool = True


@dataclass(frozen=True)
class Probability:
    """The probability used for the weighted pipeline, 0-100, and where it came from: "won", "lost", "rep" (the
    rep's own) or "stage" (the stage's default)."""

    percent: int
    source: str

    @property
    def fraction(self) -> Decimal:
        return Decimal(self.percent) / Decimal(100)


def effective_probability(*, status: str, rep_probability: int | None, stage_probability: int) -> Probability:
    """Won is 1 and lost is 0 whatever anyone set; an open one uses the rep's own when they set one, else the
    stage's default. The model's predicted probability is never used here: it is shown beside this one."""
    if status == "won":
        return Probability(100, "won")
    if status == "lost":
        return Probability(0, "lost")
    if rep_probability is not None:
        return Probability(rep_probability, "rep")
    return Probability(stage_probability, "stage")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"


def weighted(value: Decimal, currency: str, probability: Probability) -> Money:
    """value x probability, to the cent (half up), in the opportunity's own currency."""
    return Money((value * probability.fraction).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"), currency)


@dataclass(frozen=True)
class StageMove:
    """A decided move between stages, or why it is refused (field and reason), and the status it leads to."""

    allowed: bool
    to_stage: str
    status: str = "open"
    field: str = "stage"
    problem: str | None = None


def check_stage_move(*, status: str, from_stage: str, to_stage: str, stages: dict[str, StageInfo],
                     reason: str | None = None, reasons: dict[str, tuple[str, ...]] | None = None) -> StageMove:
    """Open stages move freely among themselves. Won and lost need a reason from the managed list of that kind.
    A closed (won or lost) opportunity moves only by reopening it into an open stage; moving it to its own
    stage again is refused so a double click does nothing twice."""
    target = stages.get(to_stage)
    if target is None:
        return StageMove(False, to_stage, problem="must be one of " + ", ".join(stages))
    if not target.active:
        return StageMove(False, to_stage, problem=f"the stage {to_stage} is no longer used")
    if to_stage == from_stage and status == target.outcome:
        return StageMove(False, to_stage, problem=f"the opportunity is already at {to_stage}")
    if target.outcome in ("won", "lost"):
        if status != "open":
            return StageMove(False, to_stage, problem=f"the opportunity is {status}: reopen it first")
        known = (reasons or {}).get(target.outcome, ())
        listed = ", ".join(known) or "none set up"
        if not reason:
            return StageMove(False, to_stage, "open", "reason",
                             f"a reason is required to mark it {target.outcome}: {listed}")
        if reason not in known:
            return StageMove(False, to_stage, "open", "reason",
                             f"must be one of the {target.outcome} reasons: {listed}")
        return StageMove(True, to_stage, target.outcome)
    return StageMove(True, to_stage, "open")


def check_quote_move(from_status: str, to_status: str) -> str | None:
    """None when a quote may go from one status to the other, else the reason it may not."""
    if to_status not in QUOTE_STATUSES:
        return "must be one of " + ", ".join(QUOTE_STATUSES)
    if from_status == to_status:
        return f"the quote is already {to_status}"
    allowed = QUOTE_MOVES.get(from_status, ())
    if to_status not in allowed:
        return f"cannot go from {from_status} to {to_status}; allowed: " + (", ".join(allowed) or "none (decided)")
    return None


def quote_dates(to_status: str, *, today: date, sent_on: date | None, decided_on: date | None
                ) -> tuple[date | None, date | None]:
    """The sent and decided dates after a status change: sent today unless given; a decision dated today unless
    given (and a quote decided without being marked sent is taken as sent the same day)."""
    if to_status == "sent":
        return sent_on or today, None
    if to_status in ("accepted", "rejected", "expired"):
        decided = decided_on or today
        return sent_on or decided, decided
    return sent_on, decided_on


# --- values ---------------------------------------------------------------------------------------------------------

def parse_money(text: object, field: str = "value") -> tuple[Decimal | None, str | None]:
    """A non-negative amount with at most two decimals, or the reason it is not one."""
    if isinstance(text, bool) or text is None:
        return None, "a number (like 12500.00) is required"
    try:
        amount = text if isinstance(text, Decimal) else Decimal(str(text).strip().replace(" ", ""))
    except (InvalidOperation, ValueError):
        return None, "a number like 12500.00"
    if not amount.is_finite():
        return None, "a number like 12500.00"
    if amount < 0:
        return None, "must be 0 or more"
    if amount > MAX_VALUE:
        return None, "is too large"
    if amount != amount.quantize(Decimal("0.01"), rounding="ROUND_DOWN"):
        return None, "at most two decimals"
    return amount.quantize(Decimal("0.01")), None


def check_currency(code: object) -> tuple[str | None, str | None]:
    """An ISO 4217 code (three letters; taken in capitals), or the reason it is not one."""
    if not isinstance(code, str) or not CURRENCY.match(code.strip().upper()):
        return None, "a three-letter ISO 4217 code, like EUR or USD"
    return code.strip().upper(), None


def check_probability(value: object) -> tuple[int | None, str | None]:
    """A whole percent 0-100 (None: use the stage's default), or the reason it is not one."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, "a whole number from 0 to 100"
    try:
        number = int(str(value).strip().rstrip("%"))
    except ValueError:
        return None, "a whole number from 0 to 100"
    if not 0 <= number <= 100:
        return None, "a whole number from 0 to 100"
    return number, None


def check_key(key: object) -> str | None:
    """None when the text can be a managed list's key (lowercase letters, digits, underscores), else why not."""
    if not isinstance(key, str) or not KEY.match(key):
        return "lowercase letters, digits and underscores, at most 40"
    return None


def key_of(label: str) -> str:
    """A key made from a label ("Price too high" -> "price_too_high")."""
    return re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")[:40] or "item"


def folded_name(name: str) -> str:
    """The uniqueness key of a competitor's name: case, accents kept, spaces and punctuation around words ignored."""
    return " ".join(re.sub(r"[^\w]+", " ", name.casefold()).split())[:200]


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FIRST_YEAR, LAST_YEAR = 1900, 9998  # a month's bounds (its first day and the next month's) stay valid dates


def check_month(text: str) -> str | None:
    """The problem with a close month given as text (YYYY-MM, years 1900 to 9998), or None."""
    if not MONTH.match(text):
        return "a month like 2026-03"
    if not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        return f"a year from {FIRST_YEAR} to {LAST_YEAR}"
    return None


def close_month(day: date | None) -> str | None:
    return f"{day.year:04d}-{day.month:02d}" if day else None


@dataclass(frozen=True)
class ForecastRow:
    """One opportunity as the forecast sees it."""

    month: str | None
    owner: object
    team: object
    currency: str
    value: Decimal
    probability: Probability


@dataclass
class ForecastCell:
    count: int = 0
    value: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")
    won: Decimal = Decimal("0.00")


def forecast(rows: list[ForecastRow], group: str) -> dict[tuple, ForecastCell]:
    """Sums per (group value, currency): count, value, weighted value (won counts whole, lost nothing) and won
    value. Never summed across currencies: each currency is its own line."""
    if group not in ("month", "owner", "team"):
        raise ValueError(group)
    cells: dict[tuple, ForecastCell] = {}
    for row in rows:
        key = (getattr(row, group), row.currency)
        cell = cells.setdefault(key, ForecastCell())
        cell.count += 1
        cell.value += row.value
        cell.weighted += weighted(row.value, row.currency, row.probability).amount
        if row.probability.source == "won":
            cell.won += row.value
    return cells
