"""Follow-up due times (docs/followup.md): a number of hours counted on one of three clocks in the owner's time zone,
their working days or hours and public holidays; and the order of a follow-up's timers (remind, escalate, reassign).

Pure: standard library only (zoneinfo for time zones); the moment, the person's hours and their holidays come in as
arguments. It never touches the database, the clock or the web.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadflow import clock
from leadflow.people import availability

WORKING_DAYS, WORKING_HOURS, CALENDAR = "working_days", "working_hours", "calendar"
CLOCKS = (WORKING_DAYS, WORKING_HOURS, CALENDAR)
CLOCK_LABELS = {WORKING_DAYS: "Working days (all day, on the owner's working days)",
                WORKING_HOURS: "Working hours (only within the owner's working hours)",
                CALENDAR: "Calendar (every hour counts)"}
WEEKDAYS = availability.WEEKDAYS
# Someone who said nothing about their hours: Monday to Friday, 08:00-16:00 in their time zone.
DEFAULT_WORKING_HOURS = {day: ["08:00-16:00"] for day in WEEKDAYS[:5]}
MAX_DAYS = 3 * 366  # a clock with no working day in three years (every day a holiday): counted as calendar hours
STEPS = ("remind", "escalate", "reassign")

Holidays = Mapping[date, str] | Callable[[date], str | None] | set | frozenset | None


@dataclass(frozen=True)
class Due:
    """A due time (aware UTC) and why it is where it is: the clock and every day it skipped."""

    at: datetime
    clock: str
    reasons: tuple[str, ...] = ()


_zone = clock.zone


def holiday_name(holidays: Holidays, day: date) -> str | None:
    """The name of the public holiday on `day`, or None: from a mapping (the `holidays` package's calendars are one),
    a function, or a set of dates."""
    if holidays is None:
        return None
    if isinstance(holidays, Mapping):
        name = holidays.get(day)
        return str(name) if name else None
    if isinstance(holidays, set | frozenset):
        return "public holiday" if day in holidays else None
    name = holidays(day)
    return str(name) if name else None


def _periods(hours: Mapping, day: date) -> list[tuple[int, int]]:
    """The day's working periods as (start, end) minutes from midnight (people's one reading of "08:00-16:00");
    malformed periods are ignored."""
    found = (availability.parse_period(str(text)) for text in hours.get(WEEKDAYS[day.weekday()], ()) or ())
    return sorted(period for period in found if not isinstance(period, str))


def _local(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The wall time `minutes` after the local midnight of `day`, as aware UTC (24:00 is the next midnight)."""
    moment = datetime.combine(day, time(0), tzinfo=zone) + timedelta(days=minutes // (24 * 60))
    moment = moment.replace(hour=(minutes % (24 * 60)) // 60, minute=minutes % 60)
    return moment.astimezone(UTC)


def _day_off(day: date, hours: Mapping | None, holidays: Holidays) -> str | None:
    """Why the clock does not run on `day`, or None when it is a working day."""
    if hours is not None:
        if not hours.get(WEEKDAYS[day.weekday()]):
            return "no working hours"
    elif day.weekday() >= 5:
        return "weekend"
    name = holiday_name(holidays, day)
    return f"public holiday: {name}" if name else None


def _skipped(day: date, why: str) -> str:
    return f"skipped {day.strftime('%a')} {day.isoformat()} ({why})"


def due_at(handed_at: datetime, hours: float, *, clock: str = WORKING_DAYS, timezone: str | None = "UTC",
           working_hours: Mapping | None = None, holidays: Holidays = None) -> Due:
    """`hours` after `handed_at` on the clock:

    - `calendar`: elapsed hours, every hour counts (holidays and weekends too);
    - `working_days` (the default): the clock runs all day, but only on the owner's working days (days with working
      hours, or Monday to Friday when they set none), never on a public holiday; days are local days, so a day
      when summer time begins has 23 hours and the one it ends 25;
    - `working_hours`: the clock runs only within the owner's working hours (Monday to Friday 08:00-16:00 when they
      set none), never on a public holiday.
    """
    start = handed_at.astimezone(UTC)
    remaining = timedelta(hours=max(0.0, float(hours)))
    if clock == CALENDAR:
        return Due(start + remaining, CALENDAR, ())
    zone = _zone(timezone)
    if clock == WORKING_HOURS:
        return _count(start, remaining, zone, working_hours or DEFAULT_WORKING_HOURS, holidays, by_hours=True)
    return _count(start, remaining, zone, working_hours, holidays, by_hours=False)


def _count(start: datetime, remaining: timedelta, zone: ZoneInfo, hours: Mapping | None, holidays: Holidays,
           *, by_hours: bool) -> Due:
    clock = WORKING_HOURS if by_hours else WORKING_DAYS
    reasons: list[str] = []
    cursor = start
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        why = _day_off(day, hours if (hours is not None or by_hours) else None, holidays)
        if why is not None:
            reasons.append(_skipped(day, why))
        else:
            spans = ([(_local(day, a, zone), _local(day, b, zone)) for a, b in _periods(hours, day)] if by_hours
                     else [(_local(day, 0, zone), _local(day, 24 * 60, zone))])
            for begin, end in spans:
                begin = max(begin, cursor)
                if end <= begin:
                    continue
                if remaining <= end - begin:
                    at = begin + remaining
                    if remaining == timedelta(0) and begin > start:
                        at = begin  # nothing to count: due when the clock starts running again
                    return Due(at, clock, tuple(reasons))
                remaining -= end - begin
        day += timedelta(days=1)
    return Due(start + remaining, CALENDAR, (*reasons, "no working day found: counted as calendar hours"))


def next_working_start(moment: datetime, *, timezone: str | None = "UTC", working_hours: Mapping | None = None,
                       holidays: Holidays = None) -> datetime:
    """The start of the person's first working period on a working day after `moment`'s local day (the next working
    day's first period): days without hours and public holidays are skipped; no hours set: Monday to Friday from
    08:00 (DEFAULT_WORKING_HOURS). Aware UTC. No working day within three years: the next local midnight."""
    zone = _zone(timezone)
    hours = working_hours or DEFAULT_WORKING_HOURS
    day = moment.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        day += timedelta(days=1)
        periods = _periods(hours, day)
        if periods and _day_off(day, hours, holidays) is None:
            return _local(day, periods[0][0], zone)
    return _local(moment.astimezone(zone).date(), 24 * 60, zone)


@dataclass(frozen=True)
class Timers:
    """A follow-up's timers: when to remind the owner, the due time (escalate), when to reassign; None: no such
    step."""

    remind_at: datetime | None
    due_at: datetime
    reassign_at: datetime | None

    def at(self, step: str) -> datetime | None:
        return {"remind": self.remind_at, "escalate": self.due_at, "reassign": self.reassign_at}[step]

    def first(self) -> tuple[datetime | None, str | None]:
        return self.after(None)

    def after(self, step: str | None) -> tuple[datetime | None, str | None]:
        """The step following `step` (None: the first), with its time; (None, None) when there is none left."""
        following = STEPS if step is None else STEPS[STEPS.index(step) + 1:]
        for name in following:
            moment = self.at(name)
            if moment is not None:
                return moment, name
        return None, None


def timers(handed_at: datetime, due: datetime, *, remind_before_minutes: int | None,
           reassign_at: datetime | None) -> Timers:
    """The reminder `remind_before_minutes` (elapsed) before the due time, dropped when it would fall at or before the
    hand-over itself (the owner has just been told); the reassignment as given (the service counts its grace period
    on the policy's clock)."""
    remind = None
    if remind_before_minutes:
        candidate = due - timedelta(minutes=remind_before_minutes)
        remind = candidate if candidate > handed_at else None
    return Timers(remind, due, reassign_at)


def describe(delta: timedelta) -> str:
    """A short span for a badge: 45 min, 5 h, 2 d 3 h."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d {hours % 24} h" if hours % 24 else f"{hours // 24} d"
