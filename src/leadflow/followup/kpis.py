"""The scorecard's figures against their norms: which fall short, and why, in words.

Pure: standard library only; never touches the database or the web. The norms' values come in as data (defaults
below, overridden by what the admin saved).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class NormSpec:
    key: str
    label: str
    direction: str  # ">=": at least, "<=": at most
    unit: str  # "%", "hours", "days", "money"
    default: Decimal | None  # None: no norm until one is set
    default_currency: str | None = None


SPECS: dict[str, NormSpec] = {s.key: s for s in (
    NormSpec("followed_up_pct", "Followed up", ">=", "%", Decimal("80")),
    NormSpec("overdue_pct", "Overdue", "<=", "%", Decimal("10")),
    NormSpec("first_contact_hours", "Median time to first contact", "<=", "hours", None),
    NormSpec("quote_pct", "Quote made", ">=", "%", Decimal("80")),
    NormSpec("won_pct", "Won", ">=", "%", Decimal("25")),
    NormSpec("average_order", "Average order value", ">=", "money", Decimal("15000"), "EUR"),
    NormSpec("sales_cycle_days", "Sales cycle (median)", "<=", "days", None),
)}


@dataclass(frozen=True)
class Norm:
    key: str
    value: Decimal
    currency: str | None = None


@dataclass(frozen=True)
class Check:
    key: str
    value: Decimal | None
    norm: Norm | None
    short: bool  # falls short of its norm
    reason: str


def defaults() -> dict[str, Norm]:
    return {s.key: Norm(s.key, s.default, s.default_currency) for s in SPECS.values() if s.default is not None}


def parse_norm(key: str, value: str, currency: str | None = None) -> tuple[Norm | None, list[tuple[str, str]]]:
    """A norm from text ("80", "15000 EUR" or value + currency), or the problems (field, reason)."""
    spec = SPECS.get(key)
    if spec is None:
        return None, [("key", f"unknown norm {key!r}; one of {', '.join(SPECS)}")]
    text = value.strip()
    if spec.unit == "money":
        parts = text.split()
        if len(parts) == 2:
            text, currency = parts[0], parts[1]
        currency = (currency or spec.default_currency or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            return None, [("currency", "a three-letter currency code (EUR)")]
    elif currency:
        return None, [("currency", f"{key} is not money: it has no currency")]
    try:
        number = Decimal(text.replace(",", "").rstrip("%").strip())
    except InvalidOperation:
        return None, [("value", f"{value!r} is not a number")]
    if not number.is_finite() or number < 0:
        return None, [("value", "a number of at least 0")]
    if spec.unit == "%" and number > 100:
        return None, [("value", "a percentage from 0 to 100")]
    if number >= Decimal("1e16"):
        return None, [("value", "too large")]
    if number != number.quantize(Decimal("0.01")):
        return None, [("value", "at most two decimals")]
    return Norm(key, number.quantize(Decimal("0.01")), currency if spec.unit == "money" else None), []


def _shown(value: Decimal, spec: NormSpec, currency: str | None) -> str:
    if spec.unit == "%":
        return f"{value:.1f} %"
    if spec.unit == "money":
        return f"{currency} {value:,.2f}"
    return f"{value:.1f} {spec.unit}"


def check(key: str, value: Decimal | None, norm: Norm | None, *, currency: str | None = None) -> Check:
    """One figure against its norm. No value (no leads, nothing won) or no norm: not flagged, and the reason says so;
    money is compared only in the norm's currency."""
    spec = SPECS[key]
    if norm is None:
        return Check(key, value, None, False, "no norm set")
    if value is None:
        return Check(key, None, norm, False, "no figure for the period")
    if spec.unit == "money" and currency != norm.currency:
        return Check(key, value, norm, False, f"the norm is in {norm.currency}; this figure is in {currency}")
    short = value < norm.value if spec.direction == ">=" else value > norm.value
    want = "at least" if spec.direction == ">=" else "at most"
    goal = _shown(norm.value, spec, norm.currency)
    got = _shown(value, spec, currency)
    if short:
        return Check(key, value, norm, True, f"{spec.label}: {got}, below the norm of {want} {goal}"
                     if spec.direction == ">=" else f"{spec.label}: {got}, above the norm of {want} {goal}")
    return Check(key, value, norm, False, f"{spec.label}: {got}, meets {want} {goal}")
