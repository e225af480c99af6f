"""The pure availability rules: time zones, working hours (normalized, every problem with its field), absences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow.people import availability
from leadflow.people.availability import Availability


def test_known_time_zones_pass_unknown_ones_say_why():
    assert availability.timezone_problem("Europe/Paris") is None and availability.timezone_problem("UTC") is None
    assert "not a known time zone" in availability.timezone_problem("Mars/Olympus_Mons")
    assert availability.timezone_problem("") is not None


def test_working_hours_are_normalized_and_sorted_by_weekday():
    hours, problems = availability.normalize_hours({"fri": "9:00-12:00", "mon": ["13:00-17:00", "08:00-12:00"],
                                                    "sun": []})
    assert problems == [] and hours == {"mon": ["08:00-12:00", "13:00-17:00"], "fri": ["09:00-12:00"]}
    assert availability.normalize_hours(None) == (None, []) == availability.normalize_hours({"sat": []})


def test_bad_working_hours_name_their_weekday():
    _, problems = availability.normalize_hours({"mon": ["25:00-26:00"], "tue": ["17:00-09:00"], "xyz": [],
                                                "wed": ["09:00-12:00", "11:00-14:00"], "thu": ["nine to five"]})
    assert [field for field, _ in problems] == ["working_hours.mon", "working_hours.tue", "working_hours.xyz",
                                                "working_hours.wed", "working_hours.thu"]
    assert availability.normalize_hours(["mon"])[1][0][0] == "working_hours"
    assert availability.parse_period("00:00-24:00") == (0, 1440)


def test_working_is_read_in_the_persons_time_zone_and_an_absence_overrides_it():
    monday_noon_utc = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    new_york = Availability("America/New_York", {"mon": ["08:00-16:00"]})
    assert not new_york.working(monday_noon_utc)  # 07:00 in New York
    assert new_york.working(monday_noon_utc + timedelta(hours=3))  # 10:00
    tokyo = Availability("Asia/Tokyo", {"mon": ["08:00-16:00"]})
    assert not tokyo.working(monday_noon_utc)  # 21:00 in Tokyo
    away = Availability("UTC", None, ((monday_noon_utc - timedelta(hours=1), monday_noon_utc + timedelta(hours=1)),))
    assert away.away(monday_noon_utc) and not away.working(monday_noon_utc)
    assert Availability().working(monday_noon_utc)


def test_an_absence_ends_after_it_starts_and_has_a_time_zone():
    start = datetime(2026, 12, 24, tzinfo=UTC)
    assert availability.absence_problem(start, start + timedelta(days=2)) is None
    assert availability.absence_problem(start, start) == ("ends_at", "must be after the start")
    assert availability.absence_problem(start.replace(tzinfo=None), start)[0] == "starts_at"
