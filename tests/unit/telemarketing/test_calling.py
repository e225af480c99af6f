"""The calling rules: what each outcome sets next, a lead's place in the queue, its time zone from its number or
country, and calling hours across daylight saving time and weekends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadflow.telemarketing import calling
from leadflow.telemarketing.calling import Place, Plan, decide, fresh_place, problems

MOMENT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PLAN = Plan(retry_minutes=120, max_attempts=3)
OFFICE = {"hours_from": 9 * 60, "hours_to": 18 * 60, "days": "12345"}
HELSINKI = ZoneInfo("Europe/Helsinki")


# --- outcomes --------------------------------------------------------------------------------------------------

def test_no_answer_is_tried_again_after_the_lists_retry_time_until_its_attempts_are_used_up():
    step = decide("no_answer", attempts=1, plan=PLAN, moment=MOMENT)
    assert not step.done and step.place == Place(calling.TIER_RETRY, int((MOMENT + timedelta(hours=2)).timestamp()
                                                                          // 60), MOMENT + timedelta(hours=2))
    assert "attempt 1 of 3" in step.reason and "2 h" in step.reason
    assert not decide("no_answer", attempts=2, plan=PLAN, moment=MOMENT).done
    last = decide("no_answer", attempts=3, plan=PLAN, moment=MOMENT)
    assert last.done and last.place is None and "3 attempts" in last.reason
    assert (last.stage, last.withdraw_phone, last.everywhere) == (None, False, False)


def test_busy_is_tried_again_sooner_than_no_answer():
    busy = decide("busy", attempts=1, plan=PLAN, moment=MOMENT)
    assert busy.place.due_at == MOMENT + calling.BUSY_RETRY < MOMENT + timedelta(minutes=PLAN.retry_minutes)
    assert "30 min" in busy.reason
    assert decide("busy", attempts=3, plan=PLAN, moment=MOMENT).done


def test_a_call_back_waits_at_its_time_first_in_the_queue_for_the_agent_who_agreed_it():
    at = MOMENT + timedelta(days=1, minutes=7)
    step = decide("call_back", attempts=1, plan=PLAN, moment=MOMENT, callback_at=at)
    assert not step.done and step.callback_user
    assert step.place == Place(calling.TIER_CALLBACK, int(at.timestamp() // 60), at)
    assert step.place.tier < calling.TIER_RETRY < min(calling.BAND_TIERS.values())


def test_a_call_back_does_not_count_against_the_attempts():
    assert not decide("call_back", attempts=9, plan=PLAN, moment=MOMENT, callback_at=MOMENT + timedelta(hours=1)).done


@pytest.mark.parametrize(("outcome", "stage", "withdraw", "everywhere", "sales_ready"), [
    ("wrong_number", None, False, False, False),
    ("not_interested", "nurture", True, True, False),
    ("qualified", None, False, False, True),
    ("do_not_call", "disqualified", True, True, False),
])
def test_outcomes_that_end_the_lead_on_the_list_set_its_stage_and_consent(outcome, stage, withdraw, everywhere,
                                                                          sales_ready):
    step = decide(outcome, attempts=1, plan=PLAN, moment=MOMENT)
    assert step.done and step.place is None
    assert (step.stage, step.withdraw_phone, step.everywhere, step.sales_ready) == (stage, withdraw, everywhere,
                                                                                  sales_ready)
    assert step.reason.startswith(calling.LABELS[outcome])


def test_do_not_call_gives_a_disqualify_reason_the_stage_machine_accepts():
    assert decide("do_not_call", attempts=1, plan=PLAN, moment=MOMENT).disqualify_reason == "other"


def test_every_outcome_has_a_label_and_a_key_and_reached_means_somebody_answered():
    assert set(calling.LABELS) == set(calling.OUTCOMES) == set(calling.KEYS)
    assert sorted(calling.KEYS.values()) == [str(n) for n in range(1, 8)]
    assert calling.REACHED == {"call_back", "not_interested", "qualified", "do_not_call"}


# --- problems -----------------------------------------------------------------------------------------------------

def test_an_unknown_outcome_is_named():
    assert [f for f, _ in problems("hung_up", callback_at=None, moment=MOMENT)] == ["outcome"]


@pytest.mark.parametrize(("callback_at", "says"), [
    (None, "needs its time"),
    (datetime(2027, 3, 2, 9, 0), "time zone"),
    (MOMENT, "future"),
    (MOMENT - timedelta(minutes=1), "future"),
    (MOMENT + timedelta(days=367), "year"),
])
def test_a_call_back_needs_a_time_with_its_zone_in_the_coming_year(callback_at, says):
    ((field, reason),) = problems("call_back", callback_at=callback_at, moment=MOMENT)
    assert field == "callback_at" and says in reason


def test_a_good_call_back_and_a_note_within_its_length_pass():
    assert problems("call_back", callback_at=MOMENT + timedelta(days=2), moment=MOMENT, note="x" * 5000) == []
    assert problems("no_answer", callback_at=None, moment=MOMENT) == []
    assert [f for f, _ in problems("no_answer", callback_at=None, moment=MOMENT, note="x" * 5001)] == ["note"]


# --- the queue ---------------------------------------------------------------------------------------------------

def test_fresh_leads_queue_hot_before_warm_before_cold_before_unscored_the_highest_score_first():
    leads = {"cold 90": ("cold", 90), "hot 70": ("hot", 70), "warm 50": ("warm", 50), "none": (None, None),
             "hot 95": ("hot", 95), "warm 65": ("warm", 65), "odd band": ("tepid", 99)}
    order = sorted(leads, key=lambda name: (fresh_place(*leads[name]).tier, fresh_place(*leads[name]).rank))
    assert order[:5] == ["hot 95", "hot 70", "warm 65", "warm 50", "cold 90"]
    assert set(order[5:]) == {"none", "odd band"}  # unknown bands wait with the unscored
    assert fresh_place(None, None) == Place(calling.TIER_UNSCORED, 0)


def test_due_call_backs_and_retries_come_before_any_fresh_lead():
    later = MOMENT + timedelta(days=30)
    assert calling.due_place(calling.TIER_CALLBACK, later).tier < calling.due_place(calling.TIER_RETRY, MOMENT).tier
    assert calling.due_place(calling.TIER_RETRY, later).tier < fresh_place("hot", 100).tier
    earlier, after = calling.due_place(calling.TIER_RETRY, MOMENT), calling.due_place(calling.TIER_RETRY, later)
    assert earlier.rank < after.rank


# --- time zones ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("phone", "country", "zone"), [
    ("+358 40 123 4567", None, "Europe/Helsinki"),  # Helsinki and Mariehamn keep one clock
    ("+358401234567", "US", "Europe/Helsinki"),  # the number wins over the country
    ("+1 212 555 0100", None, "America/New_York"),
    ("+1 415 555 0100", "US", "America/Los_Angeles"),
    (None, "DE", "Europe/Berlin"),  # a country with one clock
    (None, "fi", "Europe/Helsinki"),
    ("+49 30 1234567", None, "Europe/Berlin"),
])
def test_a_leads_zone_comes_from_its_number_else_its_country(phone, country, zone):
    assert calling.zone_of(phone, country, default="UTC") == zone


@pytest.mark.parametrize(("phone", "country"), [
    (None, None), ("not a number", None), ("040 123 4567", None),  # no country code: unknown
    (None, "US"), (None, "RU"),  # several clocks
    (None, "XX"), (None, "Finland"), ("+1 800 555 0100", None),  # toll-free: any US zone
])
def test_a_zone_nothing_tells_is_the_lists_default(phone, country):
    assert calling.zone_of(phone, country, default="Europe/Stockholm") == "Europe/Stockholm"


def test_known_zone():
    assert calling.known_zone("Europe/Helsinki") and not calling.known_zone("Mars/Olympus")
    assert not calling.known_zone("") and not calling.known_zone(None) and not calling.known_zone("../etc")


# --- calling hours ---------------------------------------------------------------------------------------------

def _local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def test_calling_hours_are_the_leads_local_hours_on_the_lists_days():
    monday_9 = _local("Europe/Helsinki", 2027, 3, 1, 9, 0)
    assert calling.in_hours("Europe/Helsinki", monday_9, **OFFICE)
    assert not calling.in_hours("Europe/Helsinki", monday_9 - timedelta(minutes=1), **OFFICE)
    assert not calling.in_hours("Europe/Helsinki", _local("Europe/Helsinki", 2027, 3, 1, 18, 0), **OFFICE)
    assert not calling.in_hours("America/New_York", monday_9, **OFFICE)  # 02:00 in New York
    assert not calling.in_hours("Europe/Helsinki", _local("Europe/Helsinki", 2027, 3, 6, 12, 0), **OFFICE)  # Sat
    assert calling.in_hours("Europe/Helsinki", _local("Europe/Helsinki", 2027, 3, 6, 12, 0),
                            **{**OFFICE, "days": "6"})


def test_calling_hours_follow_daylight_saving_time():
    # Helsinki moves from UTC+2 to UTC+3 on Sunday 28 March 2027: 06:30 UTC is 08:30 before and 09:30 after.
    before, after = datetime(2027, 3, 26, 6, 30, tzinfo=UTC), datetime(2027, 3, 29, 6, 30, tzinfo=UTC)
    assert not calling.in_hours("Europe/Helsinki", before, **OFFICE)
    assert calling.in_hours("Europe/Helsinki", after, **OFFICE)
    assert calling.in_hours("UTC", before, **OFFICE) is False and calling.in_hours("UTC", after, **OFFICE) is False


def test_open_zones_are_those_in_calling_hours_now_known_zones_only():
    moment = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # 10:00 Helsinki, 09:00 Berlin, 03:00 New York
    zones = ["America/New_York", "Europe/Berlin", "Europe/Helsinki", "Europe/Helsinki", "Nowhere/Else"]
    assert calling.open_zones(zones, moment, **OFFICE) == ["Europe/Berlin", "Europe/Helsinki"]
    assert calling.open_zones([], moment, **OFFICE) == []


def test_the_next_opening_inside_hours_is_now():
    moment = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    assert calling.next_opening("Europe/Helsinki", moment, **OFFICE) == moment


def test_the_next_opening_before_hours_is_today_at_the_start():
    moment = _local("Europe/Helsinki", 2027, 3, 2, 7, 15)
    assert calling.next_opening("Europe/Helsinki", moment, **OFFICE) == _local("Europe/Helsinki", 2027, 3, 2, 9, 0)


def test_the_next_opening_after_friday_hours_is_monday_across_the_clock_change():
    friday_evening = _local("Europe/Helsinki", 2027, 3, 26, 18, 30)
    opening = calling.next_opening("Europe/Helsinki", friday_evening, **OFFICE)
    assert opening == _local("Europe/Helsinki", 2027, 3, 29, 9, 0)
    assert opening.astimezone(UTC) == datetime(2027, 3, 29, 6, 0, tzinfo=UTC)  # UTC+3 by then


def test_the_next_opening_of_a_list_called_on_no_day_is_none():
    assert calling.next_opening("Europe/Helsinki", MOMENT, hours_from=540, hours_to=1080, days="") is None


def test_the_next_opening_of_a_day_called_once_a_week_is_a_week_on_when_todays_hours_are_over():
    monday_evening = _local("Europe/Helsinki", 2027, 3, 1, 19, 0)
    assert calling.next_opening("Europe/Helsinki", monday_evening, **{**OFFICE, "days": "1"}) == _local(
        "Europe/Helsinki", 2027, 3, 8, 9, 0)


@pytest.mark.parametrize(("hours_from", "hours_to", "days", "zone", "fields"), [
    (540, 1080, "12345", "Europe/Helsinki", []),
    (0, 1440, "1234567", "UTC", []),
    (-1, 1080, "12345", "UTC", ["hours_from"]),
    (540, 1441, "12345", "UTC", ["hours_to"]),
    (600, 540, "12345", "UTC", ["hours_to"]),
    (540, 540, "12345", "UTC", ["hours_to"]),
    (540, 1080, "", "UTC", ["days"]),
    (540, 1080, "1238", "UTC", ["days"]),
    (540, 1080, "112", "UTC", ["days"]),
    (540, 1080, "12345", "Mars/Olympus", ["default_zone"]),
])
def test_hours_problems_name_their_field(hours_from, hours_to, days, zone, fields):
    assert [f for f, _ in calling.hours_problems(hours_from, hours_to, days, zone)] == fields


@pytest.mark.parametrize(("text", "minutes"), [("09:00", 540), ("9:30", 570), ("24:00", 1440), ("00:00", 0),
                                               ("18:60", None), ("25:00", None), ("nine", None), ("9", None),
                                               ("-1:00", None)])
def test_hours_are_read_and_written_as_hh_mm(text, minutes):
    assert calling.parse_hhmm(text) == minutes
    if minutes is not None and minutes < 1440:
        assert calling.parse_hhmm(calling.hhmm(minutes)) == minutes
