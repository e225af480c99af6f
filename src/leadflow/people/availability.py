"""When a person works: their time zone, working hours per weekday, out-of-office periods; checked and answered here.

Pure: standard library only (zoneinfo for time zones); the moment comes in as an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                         strict=True))
MAX_PERIODS_A_DAY = 6
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Availability:
    """A person's time zone (IANA), working hours ({"mon": ["08:00-16:00"], ...}, None when not said: any time) and
    their absences not yet ended, as (start, end) pairs of aware UTC datetimes, soonest first."""

    timezone: str = "UTC"
    working_hours: dict | None = None
    absences: tuple[tuple[datetime, datetime], ...] = field(default=())

    def away(self, moment: datetime) -> bool:
        return any(start <= moment < end for start, end in self.absences)

    def working(self, moment: datetime) -> bool:
        """Within their working hours at this moment (in their time zone), and not away."""
        return not self.away(moment) and within_hours(self.working_hours, self.timezone, moment)


@cache
def timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def timezone_problem(name: str) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "choose a time zone, e.g. Europe/Paris"
    if name not in timezones() and name != "UTC":
        return f"'{name[:64]}' is not a known time zone (IANA names such as Europe/Paris or America/New_York)"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"'{name[:64]}' is not a known time zone"
    return None


def _minutes(hours: str, minutes: str) -> int | None:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def parse_period(text: str) -> tuple[int, int] | str:
    """"08:00-16:00" -> (480, 960) minutes from midnight; or the reason it is not a period."""
    matched = _PERIOD.match(text) if isinstance(text, str) else None
    if matched is None:
        return f"'{str(text)[:40]}' is not a period like 08:00-16:00"
    start, end = _minutes(*matched.group(1, 2)), _minutes(*matched.group(3, 4))
    if start is None or end is None:
        return f"'{text.strip()[:40]}' has a time that does not exist (hours 00-24, minutes 00-59)"
    if end <= start:
        return f"'{text.strip()[:40]}' ends before it starts"
    return start, end


def _text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def normalize_hours(value) -> tuple[dict | None, list[tuple[str, str]]]:
    """Working hours as given (a dict of weekday -> list of "HH:MM-HH:MM", or None) -> (the normalized dict, problems
    as (field, reason)); a weekday left out or with no period is a day off, and no period at all is None (any time).
    Periods of a day may not overlap."""
    if value is None:
        return None, []
    if not isinstance(value, dict):
        return None, [("working_hours", 'must be an object like {"mon": ["08:00-16:00"]}')]
    problems: list[tuple[str, str]] = []
    hours: dict[str, list[str]] = {}
    for day, periods in value.items():
        where = f"working_hours.{str(day)[:12]}"
        if day not in WEEKDAYS:
            problems.append((where, f"is not a weekday ({', '.join(WEEKDAYS)})"))
            continue
        if isinstance(periods, str):
            periods = [p for p in periods.split(",") if p.strip()]
        if not isinstance(periods, list) or len(periods) > MAX_PERIODS_A_DAY:
            problems.append((where, f"must be a list of at most {MAX_PERIODS_A_DAY} periods like 08:00-16:00"))
            continue
        parsed = []
        for period in periods:
            result = parse_period(period)
            if isinstance(result, str):
                problems.append((where, result))
            else:
                parsed.append(result)
        parsed.sort()
        if any(later[0] < earlier[1] for earlier, later in pairwise(parsed)):
            problems.append((where, "has periods that overlap"))
        if parsed:
            hours[day] = [f"{_text(start)}-{_text(end)}" for start, end in parsed]
    if problems or not hours:
        return None, problems  # no period on any day: not said, available at any time (never: a day off each day)
    return {day: hours[day] for day in WEEKDAYS if day in hours}, problems


def within_hours(hours: dict | None, timezone: str, moment: datetime) -> bool:
    """Whether the aware `moment` falls in the working hours, read in the person's time zone; no hours: always."""
    if hours is None:
        return True
    try:
        local = moment.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        local = moment
    minute = local.hour * 60 + local.minute
    for period in hours.get(WEEKDAYS[local.weekday()], ()):
        parsed = parse_period(period)
        if not isinstance(parsed, str) and parsed[0] <= minute < parsed[1]:
            return True
    return False


def absence_problem(starts_at: datetime | None, ends_at: datetime | None) -> tuple[str, str] | None:
    if starts_at is None:
        return "starts_at", "required"
    if ends_at is None:
        return "ends_at", "required"
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        return ("starts_at" if starts_at.tzinfo is None else "ends_at"), "needs a time zone (e.g. Z or +02:00)"
    if ends_at <= starts_at:
        return "ends_at", "must be after the start"
    return None
