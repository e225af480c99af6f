"""Named reporting periods (this month, last month, this quarter, the last 12 months, this year, custom dates) as
[start, end) in UTC, read from what a person chose; the scorecard, the dashboards and the reports share them.

Pure: standard library only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from leadflow.errors import Invalid

PERIODS = ("this_month", "last_month", "quarter", "last_12_months", "this_year", "custom")


def _day(field_name: str, text: str | None) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid.one(field_name, f"{text[:40]!r} is not a date (YYYY-MM-DD)") from None


def period(name: str | None, start_text: str | None, end_text: str | None, *,
           today: date) -> tuple[datetime, datetime, str]:
    """[start, end) in UTC: this month (the default), last month, this quarter, the last 12 months (this one
    included), this year, or custom dates (the end day
    included: `to` 2026-03-31 counts up to 2026-04-01 00:00). Empty dates count as none."""
    start, end = _day("from", start_text), _day("to", end_text)
    if name == "custom" and start is None and end is None:
        raise Invalid.one("from", "a custom period needs both from and to (dates)")
    if name in (None, "", "custom") and (start is not None or end is not None):
        name = "custom"
    if start is not None or end is not None:
        name = "custom"
    name = name or "this_month"
    if name not in PERIODS:
        raise Invalid.one("period", f"one of {', '.join(PERIODS)}")
    if name == "custom":
        if start is None or end is None:
            raise Invalid.one("from" if start is None else "to", "a custom period needs both from and to (dates)")
        if end < start:
            raise Invalid.one("to", "the end of the period comes before its start")
        if (end - start).days > 3660:
            raise Invalid.one("to", "a period of at most ten years")
        first, after = start, end + timedelta(days=1)
    elif name == "this_month":
        first = today.replace(day=1)
        after = next_month(first)
    elif name == "last_month":
        after = today.replace(day=1)
        first = (after - timedelta(days=1)).replace(day=1)
    elif name == "last_12_months":
        after = next_month(today.replace(day=1))
        first = date(after.year - 1, after.month, 1)
    elif name == "this_year":
        first, after = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    else:
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        after = next_month(next_month(next_month(first)))
    return (datetime.combine(first, time(), tzinfo=UTC), datetime.combine(after, time(), tzinfo=UTC), name)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
