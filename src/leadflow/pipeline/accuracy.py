"""How right the forecast was: for each past month, what the weighted pipeline said before the month began against
what was won in it, per currency (never added across currencies), with the error, MAPE and bias.

Pure: standard library only; it never touches the database or the web (the figures come in as arguments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

MAX_MONTHS = 36  # how far back one may ask
MAX_LEAD_DAYS = 366  # "as of N days before the month"
HORIZON_MONTHS = 12  # a snapshot covers its own month and the next twelve
NO_FORECAST = "no forecast was recorded before this month"
CENT, TENTH = Decimal("0.01"), Decimal("0.1")


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def add_months(month: str, count: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def covered_months(day: date) -> list[str]:
    """The close months a snapshot taken on `day` covers: its month and the next HORIZON_MONTHS."""
    first = month_key(day)
    return [add_months(first, i) for i in range(HORIZON_MONTHS + 1)]


def past_months(today: date, count: int) -> list[str]:
    """The last `count` full months before today's, oldest first."""
    current = month_key(today)
    return [add_months(current, -i) for i in range(count, 0, -1)]


def cutoff(month: str, lead_days: int = 0) -> date:
    """The latest day a snapshot may be taken on to count as the month's forecast: its first day, less lead days."""
    return month_start(month) - timedelta(days=lead_days)


def whole(text: object) -> int | object:
    """A whole number given as text (a query parameter, a form field), or the text itself when it is not one."""
    if isinstance(text, str) and text.strip().isdecimal() and len(text.strip()) < 10:
        return int(text.strip())
    return text


def check_months(value: object) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_MONTHS:
        return f"a whole number from 1 to {MAX_MONTHS}"
    return None


def check_lead_days(value: object) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_LEAD_DAYS:
        return f"a whole number from 0 to {MAX_LEAD_DAYS}"
    return None


@dataclass(frozen=True)
class Line:
    """One month, group (an owner id, or None when not grouped) and currency: the forecast (None: none recorded),
    what was won, the difference (actual - forecast) and the error in percent ((actual - forecast) / forecast;
    None when there is no forecast or it was zero)."""

    month: str
    group: object
    currency: str
    forecast: Decimal | None
    actual: Decimal
    difference: Decimal | None
    error: Decimal | None
    ratio: Decimal | None = field(default=None, repr=False, compare=False)  # the unrounded error, for MAPE and bias


@dataclass(frozen=True)
class Month:
    month: str
    snapshot_on: date | None  # the day of the snapshot used; None: no forecast was recorded before the month
    lines: list[Line]
    note: str | None = None


@dataclass(frozen=True)
class Summary:
    """Over the months with a forecast above zero in this currency (and group): the mean absolute error (MAPE) and
    the mean signed error (bias: above zero, more was won than forecast), in percent."""

    group: object
    currency: str
    months: int
    mape: Decimal | None
    bias: Decimal | None
    forecast: Decimal
    actual: Decimal


@dataclass(frozen=True)
class Accuracy:
    months: list[Month]
    summaries: list[Summary]


def _percent(ratio: Decimal) -> Decimal:
    return (ratio * 100).quantize(TENTH, rounding=ROUND_HALF_UP)


def line(month: str, group: object, currency: str, forecast: Decimal | None, actual: Decimal) -> Line:
    actual = actual.quantize(CENT, rounding=ROUND_HALF_UP)
    if forecast is None:
        return Line(month, group, currency, None, actual, None, None)
    forecast = forecast.quantize(CENT, rounding=ROUND_HALF_UP)
    ratio = (actual - forecast) / forecast if forecast else None
    return Line(month, group, currency, forecast, actual, actual - forecast,
                _percent(ratio) if ratio is not None else None, ratio)


def measure(months: list[str], snapshot_on: dict[str, date | None], forecasts: dict[tuple, Decimal],
            actuals: dict[tuple, Decimal]) -> Accuracy:
    """`forecasts` and `actuals` map (month, group, currency) to an amount; `snapshot_on` each month to the day of
    the snapshot used (None: none before the month). A month with a snapshot and no figure in a currency forecast
    zero there; without a snapshot, nothing was forecast (not zero)."""
    found: list[Month] = []
    per_key: dict[tuple, list[Line]] = {}
    for month in months:
        taken = snapshot_on.get(month)
        keys = {(g, c) for (m, g, c) in actuals if m == month}
        if taken is not None:
            keys |= {(g, c) for (m, g, c) in forecasts if m == month}
        lines = []
        for group, currency in sorted(keys, key=lambda k: (k[0] is None, str(k[0]), k[1])):
            actual = actuals.get((month, group, currency), Decimal("0"))
            forecast = forecasts.get((month, group, currency), Decimal("0")) if taken is not None else None
            made = line(month, group, currency, forecast, actual)
            lines.append(made)
            if made.ratio is not None:
                per_key.setdefault((group, currency), []).append(made)
        note = NO_FORECAST if taken is None else (None if lines else "nothing was forecast and nothing won")
        found.append(Month(month, taken, lines, note))
    summaries = []
    for (group, currency), lines in sorted(per_key.items(), key=lambda i: (i[0][0] is None, str(i[0][0]), i[0][1])):
        count = len(lines)
        summaries.append(Summary(group, currency, count,
                                 _percent(sum((abs(x.ratio) for x in lines), Decimal("0")) / count),
                                 _percent(sum((x.ratio for x in lines), Decimal("0")) / count),
                                 sum((x.forecast for x in lines), Decimal("0")),
                                 sum((x.actual for x in lines), Decimal("0"))))
    return Accuracy(found, summaries)
