"""Follow-up due times on a simulated clock: weekends, public holidays, time zones, summer time, working hours."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadflow.followup import sla

HEL = ZoneInfo("Europe/Helsinki")
NY = ZoneInfo("America/New_York")
FI_HOLIDAYS = {date(2026, 12, 6): "Independence Day", date(2026, 12, 24): "Christmas Eve",
               date(2026, 12, 25): "Christmas Day", date(2026, 12, 26): "Second Day of Christmas",
               date(2027, 1, 1): "New Year's Day"}


def at(zone, *parts) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def local(due: sla.Due, zone) -> datetime:
    return due.at.astimezone(zone).replace(tzinfo=None)


def test_working_days_a_friday_afternoon_is_due_on_monday_afternoon():
    due = sla.due_at(at(HEL, 2026, 11, 20, 17, 0), 24, timezone="Europe/Helsinki")
    assert local(due, HEL) == datetime(2026, 11, 23, 17, 0)
    assert due.clock == "working_days"
    assert due.reasons == ("skipped Sat 2026-11-21 (weekend)", "skipped Sun 2026-11-22 (weekend)")


def test_working_days_a_weekday_is_due_the_next_day_at_the_same_time():
    due = sla.due_at(at(HEL, 2026, 11, 17, 9, 30), 24, timezone="Europe/Helsinki")
    assert local(due, HEL) == datetime(2026, 11, 18, 9, 30)
    assert due.reasons == ()


def test_working_days_a_lead_handed_over_at_the_weekend_starts_counting_on_monday():
    due = sla.due_at(at(HEL, 2026, 11, 21, 13, 0), 24, timezone="Europe/Helsinki")
    assert local(due, HEL) == datetime(2026, 11, 24, 0, 0)
    assert len(due.reasons) == 2


def test_working_days_skip_a_public_holiday_on_a_weekday():
    # Independence Day 2027 is a Monday: a Friday hand-over is due on Tuesday.
    holidays = {date(2027, 12, 6): "Independence Day"}
    due = sla.due_at(at(HEL, 2027, 12, 3, 10, 0), 24, timezone="Europe/Helsinki", holidays=holidays)
    assert local(due, HEL) == datetime(2027, 12, 7, 10, 0)
    assert due.reasons[-1] == "skipped Mon 2027-12-06 (public holiday: Independence Day)"


def test_working_days_over_christmas():
    # Wednesday 23 December 2026, 15:00 + 24 h: Christmas Eve to Boxing Day and the weekend are skipped.
    due = sla.due_at(at(HEL, 2026, 12, 23, 15, 0), 24, timezone="Europe/Helsinki", holidays=FI_HOLIDAYS)
    assert local(due, HEL) == datetime(2026, 12, 28, 15, 0)
    assert [r[12:22] for r in due.reasons] == ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27"]


def test_holidays_as_a_function_or_a_set():
    moment = at(HEL, 2027, 12, 3, 10, 0)
    by_function = sla.due_at(moment, 24, timezone="Europe/Helsinki",
                             holidays=lambda d: "Independence Day" if d == date(2027, 12, 6) else None)
    by_set = sla.due_at(moment, 24, timezone="Europe/Helsinki", holidays={date(2027, 12, 6)})
    assert by_function.at == by_set.at == at(HEL, 2027, 12, 7, 10, 0)
    assert by_set.reasons[-1].endswith("(public holiday: public holiday)")


def test_the_same_hand_over_in_another_time_zone_falls_on_another_day():
    # Friday 23:00 UTC is Saturday 01:00 in Helsinki but Friday 18:00 in New York.
    moment = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    helsinki = sla.due_at(moment, 8, timezone="Europe/Helsinki")
    new_york = sla.due_at(moment, 8, timezone="America/New_York")
    assert local(helsinki, HEL) == datetime(2026, 11, 23, 8, 0)
    assert local(new_york, NY) == datetime(2026, 11, 23, 2, 0)  # 6 h left of Friday, 2 h of Monday


def test_an_unknown_time_zone_counts_in_utc():
    moment = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    assert sla.due_at(moment, 24, timezone="Mars/Olympus").at == moment + timedelta(hours=24)


def test_working_days_the_day_summer_time_begins_has_23_hours():
    # Helsinki moves to summer time on Sunday 29 March 2026; a Sunday-working owner's clock loses an hour that day.
    hours = {day: ["09:00-17:00"] for day in sla.WEEKDAYS}
    due = sla.due_at(at(HEL, 2026, 3, 28, 12, 0), 24, timezone="Europe/Helsinki", working_hours=hours)
    assert due.at - at(HEL, 2026, 3, 28, 12, 0) == timedelta(hours=24)
    assert local(due, HEL) == datetime(2026, 3, 29, 13, 0)  # the same 24 hours end at 13:00 on the wall


def test_working_days_the_day_summer_time_ends_has_25_hours():
    hours = {day: ["09:00-17:00"] for day in sla.WEEKDAYS}
    due = sla.due_at(at(HEL, 2026, 10, 24, 12, 0), 24, timezone="Europe/Helsinki", working_hours=hours)
    assert local(due, HEL) == datetime(2026, 10, 25, 11, 0)


def test_working_days_across_a_summer_time_weekend_counts_real_hours():
    # Friday 27 March 2026 20:00 + 8 h: 4 h of Friday, then Monday 04:00 (the 23-hour Sunday is skipped anyway).
    due = sla.due_at(at(HEL, 2026, 3, 27, 20, 0), 8, timezone="Europe/Helsinki")
    assert local(due, HEL) == datetime(2026, 3, 30, 4, 0)


def test_working_days_follow_the_owners_own_working_days():
    # Someone working Tuesday to Saturday: a Saturday hand-over runs on Saturday, skips Sunday and Monday.
    hours = {day: ["10:00-18:00"] for day in ("tue", "wed", "thu", "fri", "sat")}
    due = sla.due_at(at(HEL, 2026, 11, 21, 12, 0), 24, timezone="Europe/Helsinki", working_hours=hours)
    assert local(due, HEL) == datetime(2026, 11, 24, 12, 0)
    assert [r.split(" (")[1] for r in due.reasons] == ["no working hours)", "no working hours)"]


def test_working_hours_count_only_within_the_hours_and_across_days():
    hours = {day: ["08:00-12:00", "13:00-17:00"] for day in sla.WEEKDAYS[:5]}
    # Thursday 15:00 + 10 working hours: 2 h Thursday, 8 h Friday -> Friday 17:00.
    due = sla.due_at(at(HEL, 2026, 11, 19, 15, 0), 10, clock="working_hours", timezone="Europe/Helsinki",
                     working_hours=hours)
    assert local(due, HEL) == datetime(2026, 11, 20, 17, 0)
    # + 11 hours: on to Monday 09:00 (lunch counted out).
    due = sla.due_at(at(HEL, 2026, 11, 19, 15, 0), 11, clock="working_hours", timezone="Europe/Helsinki",
                     working_hours=hours)
    assert local(due, HEL) == datetime(2026, 11, 23, 9, 0)


def test_working_hours_default_to_weekdays_eight_to_four():
    # Handed over Friday 18:00: nothing counts until Monday 08:00; 24 working hours = three 8-hour days.
    due = sla.due_at(at(HEL, 2026, 11, 20, 18, 0), 24, clock="working_hours", timezone="Europe/Helsinki")
    assert local(due, HEL) == datetime(2026, 11, 25, 16, 0)


def test_working_hours_skip_holidays():
    due = sla.due_at(at(HEL, 2026, 12, 4, 15, 0), 2, clock="working_hours", timezone="Europe/Helsinki",
                     holidays={date(2026, 12, 7): "a made-up holiday"})
    assert local(due, HEL) == datetime(2026, 12, 8, 9, 0)


def test_working_hours_before_the_day_begins_start_at_the_first_period():
    due = sla.due_at(at(HEL, 2026, 11, 17, 6, 0), 1, clock="working_hours", timezone="Europe/Helsinki")
    assert local(due, HEL) == datetime(2026, 11, 17, 9, 0)


def test_calendar_hours_count_every_hour():
    moment = at(HEL, 2026, 12, 5, 10, 0)
    due = sla.due_at(moment, 24, clock="calendar", timezone="Europe/Helsinki", holidays=FI_HOLIDAYS)
    assert due.at == moment + timedelta(hours=24)
    assert due.reasons == ()


def test_calendar_hours_across_summer_time_are_elapsed_hours():
    moment = at(HEL, 2026, 3, 28, 12, 0)
    due = sla.due_at(moment, 24, clock="calendar", timezone="Europe/Helsinki")
    assert local(due, HEL) == datetime(2026, 3, 29, 13, 0)


def test_no_working_day_ever_falls_back_to_calendar_hours():
    moment = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    due = sla.due_at(moment, 5, timezone="UTC", holidays=lambda d: "always")
    assert due.at == moment + timedelta(hours=5)
    assert due.clock == "calendar"
    assert due.reasons[-1] == "no working day found: counted as calendar hours"


@pytest.mark.parametrize("hours", [0, 1, 7, 24, 48, 100])
def test_more_hours_are_never_due_earlier(hours):
    moment = at(HEL, 2026, 12, 23, 15, 0)
    for clock in sla.CLOCKS:
        shorter = sla.due_at(moment, hours, clock=clock, timezone="Europe/Helsinki", holidays=FI_HOLIDAYS)
        longer = sla.due_at(moment, hours + 1, clock=clock, timezone="Europe/Helsinki", holidays=FI_HOLIDAYS)
        assert moment <= shorter.at < longer.at


def test_timers_follow_each_other_and_skip_a_reminder_before_the_hand_over():
    handed = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    due = handed + timedelta(hours=24)
    full = sla.timers(handed, due, remind_before_minutes=120, reassign_at=due + timedelta(hours=4))
    assert full.first() == (due - timedelta(hours=2), "remind")
    assert full.after("remind") == (due, "escalate")
    assert full.after("escalate") == (due + timedelta(hours=4), "reassign")
    assert full.after("reassign") == (None, None)
    short = sla.timers(handed, handed + timedelta(hours=1), remind_before_minutes=120, reassign_at=None)
    assert short.first() == (handed + timedelta(hours=1), "escalate")
    assert short.after("escalate") == (None, None)


def test_describe_spans():
    assert sla.describe(timedelta(minutes=45)) == "45 min"
    assert sla.describe(timedelta(hours=5, minutes=59)) == "5 h"
    assert sla.describe(timedelta(hours=51)) == "2 d 3 h"
    assert sla.describe(timedelta(seconds=-5)) == "0 min"


# --- the next working day's start (a contact's "try again") ----------------------------------------------------------

def test_next_working_start_is_the_next_working_days_first_period_in_the_persons_zone():
    # Wednesday noon in Helsinki: Thursday 08:00 (default hours, Monday to Friday 08:00-16:00)
    assert sla.next_working_start(at(HEL, 2026, 12, 2, 12, 0), timezone="Europe/Helsinki") == at(HEL, 2026, 12, 3, 8, 0)
    # Friday evening: Monday; early on a working day it is still the next day, not the same one
    assert sla.next_working_start(at(HEL, 2026, 12, 4, 19, 0), timezone="Europe/Helsinki") == at(HEL, 2026, 12, 7, 8, 0)
    assert sla.next_working_start(at(HEL, 2026, 12, 7, 6, 0), timezone="Europe/Helsinki") == at(HEL, 2026, 12, 8, 8, 0)


def test_next_working_start_skips_public_holidays_and_days_without_hours():
    assert sla.next_working_start(at(HEL, 2026, 12, 23, 10, 0), timezone="Europe/Helsinki",
                                  holidays=FI_HOLIDAYS) == at(HEL, 2026, 12, 28, 8, 0)
    hours = {"tue": ["13:00-17:00", "07:30-11:00"], "thu": ["09:15-12:00"]}
    # Monday: Tuesday's first period (07:30, whatever the order they were written in)
    assert sla.next_working_start(at(NY, 2026, 12, 7, 9, 0), timezone="America/New_York",
                                  working_hours=hours) == at(NY, 2026, 12, 8, 7, 30)
    # Tuesday: Wednesday has no hours, so Thursday 09:15
    assert sla.next_working_start(at(NY, 2026, 12, 8, 9, 0), timezone="America/New_York",
                                  working_hours=hours) == at(NY, 2026, 12, 10, 9, 15)


def test_next_working_start_ignores_malformed_periods_and_never_loops_forever():
    hours = {"mon": ["nonsense"], "tue": ["10:00-12:00"]}
    assert sla.next_working_start(at(HEL, 2026, 12, 6, 12, 0), timezone="Europe/Helsinki",
                                  working_hours=hours) == at(HEL, 2026, 12, 8, 10, 0)
    every_day = lambda day: "holiday"  # noqa: E731
    moment = at(HEL, 2026, 12, 6, 12, 0)
    assert sla.next_working_start(moment, timezone="Europe/Helsinki", holidays=every_day) == at(HEL, 2026, 12, 7, 0, 0)
