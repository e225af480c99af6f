"""Telemarketing as rules: the outcomes of a call and the next step each one sets (retry, call back, done, a stage
and consent change, Sales Ready), a lead's place in the queue, the lead's time zone and whether it is inside the
list's calling hours now.

Pure: standard library and phonenumbers; no database, no web. The moment comes in as an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from phonenumbers import timezone as phone_zones

# The outcomes an agent may choose, in the order of their keys on the calling screen (1-7).
OUTCOMES: tuple[str, ...] = ("no_answer", "busy", "call_back", "wrong_number", "not_interested", "qualified",
                             "do_not_call")
LABELS: dict[str, str] = {"no_answer": "No answer", "busy": "Busy", "call_back": "Call back",
                          "wrong_number": "Wrong number", "not_interested": "Not interested",
                          "qualified": "Qualified", "do_not_call": "Do not call"}
KEYS: dict[str, str] = {outcome: str(n) for n, outcome in enumerate(OUTCOMES, start=1)}
REACHED = frozenset({"call_back", "not_interested", "qualified", "do_not_call"})  # somebody answered
PHONE_PURPOSE = "phone"  # the consent a call needs; withdrawn by "not interested" and "do not call"

TIER_CALLBACK, TIER_RETRY = 0, 1
BAND_TIERS = {"hot": 2, "warm": 3, "cold": 4}
TIER_UNSCORED = 5
CALLBACK_GRACE = timedelta(minutes=30)  # after this, another agent may take someone's overdue call-back
BUSY_RETRY = timedelta(minutes=30)
MAX_NOTE = 5000
DAYS = "1234567"


@dataclass(frozen=True)
class Place:
    """Where an entry stands in the queue: tier, rank (lower first) and the time it may be called from."""

    tier: int
    rank: int
    due_at: datetime | None = None


def fresh_place(band: str | None, score: int | None) -> Place:
    """A lead just added: hot before warm before cold before unscored, the highest score first within its band."""
    return Place(BAND_TIERS.get(band or "", TIER_UNSCORED), -int(score or 0))


def due_place(tier: int, due_at: datetime) -> Place:
    """A call-back or a retry: ranked by the minute it falls due (the earliest first)."""
    return Place(tier, int(due_at.timestamp() // 60), due_at)


@dataclass(frozen=True)
class Plan:
    """What a list sets for its calls (CallPlan's fields the rules read)."""

    retry_minutes: int = 120
    max_attempts: int = 5


@dataclass(frozen=True)
class Next:
    """What an outcome does to the entry and the lead, with the reason in words."""

    done: bool
    reason: str
    place: Place | None = None  # where the entry waits again (not done)
    callback_user: bool = False  # the call-back is the agent's own
    stage: str | None = None  # the stage the lead moves to, where the stage machine allows
    disqualify_reason: str | None = None
    withdraw_phone: bool = False  # the lead's consent to be called is withdrawn
    everywhere: bool = False  # done on every list, not only this one
    sales_ready: bool = False  # the Sales Ready rule decides, and routing routes


def problems(outcome: str, *, callback_at: datetime | None, moment: datetime, note: str = "") -> list[tuple[str, str]]:
    """What stops this outcome being recorded, as (field, reason)."""
    found: list[tuple[str, str]] = []
    if outcome not in OUTCOMES:
        return [("outcome", f"must be one of {', '.join(OUTCOMES)}")]
    if outcome == "call_back":
        if callback_at is None:
            found.append(("callback_at", "a call-back needs its time"))
        elif callback_at.tzinfo is None:
            found.append(("callback_at", "give a time zone (e.g. 2026-12-07T09:00:00+02:00)"))
        elif callback_at <= moment:
            found.append(("callback_at", "must be in the future"))
        elif callback_at > moment + timedelta(days=366):
            found.append(("callback_at", "more than a year ahead"))
    if len(note or "") > MAX_NOTE:
        found.append(("note", f"at most {MAX_NOTE} characters"))
    return found


def decide(outcome: str, *, attempts: int, plan: Plan, moment: datetime, callback_at: datetime | None = None
           ) -> Next:
    """The next step an outcome sets. `attempts` counts this call. No answer or busy: tried again later (busy in
    half an hour, no answer after the list's retry time) until the list's attempts are used up; a call-back: the
    agent's own, at its time; a wrong number: done; not interested: done on every list, phone consent withdrawn,
    on to nurture; qualified: done, the Sales Ready rule decides; do not call: done on every list, phone consent
    withdrawn, disqualified."""
    label = LABELS[outcome]
    if outcome in ("no_answer", "busy"):
        if attempts >= plan.max_attempts:
            return Next(True, f"{label}: {attempts} attempts, the list's most; done")
        wait = BUSY_RETRY if outcome == "busy" else timedelta(minutes=plan.retry_minutes)
        return Next(False, f"{label}: tried again in {_minutes(wait)} (attempt {attempts} of {plan.max_attempts})",
                    place=due_place(TIER_RETRY, moment + wait))
    if outcome == "call_back":
        assert callback_at is not None
        return Next(False, "Call back: back on the agent's list at the time agreed",
                    place=due_place(TIER_CALLBACK, callback_at), callback_user=True)
    if outcome == "wrong_number":
        return Next(True, "Wrong number: done; correct the number to call again")
    if outcome == "not_interested":
        return Next(True, "Not interested: off every list, no more calls (phone consent withdrawn); on to nurture",
                    stage="nurture", withdraw_phone=True, everywhere=True)
    if outcome == "qualified":
        return Next(True, "Qualified: the Sales Ready rule decides, and routing hands the lead to sales",
                    sales_ready=True)
    return Next(True, "Do not call: off every list, phone consent withdrawn, disqualified", stage="disqualified",
                disqualify_reason="other", withdraw_phone=True, everywhere=True)


def _minutes(wait: timedelta) -> str:
    minutes = int(wait.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"


# --- time zones and calling hours -------------------------------------------------------------------------------

def known_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_of(phone: str | None, country: str | None, *, default: str) -> str:
    """The lead's time zone: the one its number belongs to (phonenumbers knows the area codes of countries with
    several), else its country's when all of the country sits in one, else the list's default. Zones that keep
    the same clock all year (Helsinki and Mariehamn) count as one."""
    zones = _zones_from_phone(phone) or _zones_from_country(country)
    return zones[0] if zones else default


_SAME_CLOCK_ON = (datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12))


def _one_clock(zones) -> list[str]:
    known = [z for z in zones if z != phone_zones.UNKNOWN_TIMEZONE and known_zone(z)]
    if not known:
        return []
    offsets = {tuple(day.replace(tzinfo=ZoneInfo(z)).utcoffset() for day in _SAME_CLOCK_ON) for z in known}
    return known[:1] if len(offsets) == 1 else []


def _zones_from_phone(phone: str | None) -> list[str]:
    if not phone:
        return []
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return []
    return _one_clock(phone_zones.time_zones_for_number(number))


def _zones_from_country(country: str | None) -> list[str]:
    if not country or len(country) != 2:
        return []
    code = phonenumbers.country_code_for_region(country.upper())
    return _one_clock(phone_zones.TIMEZONE_DATA.get(str(code), ())) if code else []


def hours_problems(hours_from: int, hours_to: int, days: str, zone: str) -> list[tuple[str, str]]:
    found = []
    if not 0 <= hours_from < 24 * 60:
        found.append(("hours_from", "minutes after midnight, 0-1439"))
    if not 0 < hours_to <= 24 * 60:
        found.append(("hours_to", "minutes after midnight, 1-1440"))
    elif hours_to <= hours_from:
        found.append(("hours_to", "must be after hours_from"))
    if not days or any(d not in DAYS for d in days) or len(set(days)) != len(days):
        found.append(("days", "ISO weekdays as digits, 1 (Monday) to 7 (Sunday), e.g. 12345"))
    if not known_zone(zone):
        found.append(("default_zone", "not a time zone (e.g. Europe/Helsinki)"))
    return found


def in_hours(zone: str, moment: datetime, *, hours_from: int, hours_to: int, days: str) -> bool:
    local = moment.astimezone(ZoneInfo(zone))
    minute = local.hour * 60 + local.minute
    return str(local.isoweekday()) in days and hours_from <= minute < hours_to


def open_zones(zones: list[str], moment: datetime, *, hours_from: int, hours_to: int, days: str) -> list[str]:
    """The zones among `zones` where it is calling time now."""
    return sorted(z for z in set(zones) if known_zone(z)
                  and in_hours(z, moment, hours_from=hours_from, hours_to=hours_to, days=days))


def next_opening(zone: str, moment: datetime, *, hours_from: int, hours_to: int, days: str) -> datetime | None:
    """When calling time next begins in this zone (None: it never does)."""
    local = moment.astimezone(ZoneInfo(zone))
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if str(day.isoweekday()) not in days:
            continue
        start = datetime(day.year, day.month, day.day, hours_from // 60, hours_from % 60, tzinfo=ZoneInfo(zone))
        if start > local or (offset == 0 and in_hours(zone, moment, hours_from=hours_from, hours_to=hours_to,
                                                       days=days)):
            return start if start > local else moment
    return None


def all_zones() -> list[str]:
    return sorted(available_timezones())


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hhmm(text: str) -> int | None:
    try:
        hours, minutes = text.strip().split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        return None
    return value if 0 <= value <= 24 * 60 and 0 <= int(minutes) < 60 else None
