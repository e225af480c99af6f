"""The outcomes of a contact and the next step each sets (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from leadflow.followup import outcomes

FRIDAY_EVENING = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)  # a Friday


def test_no_answer_on_a_friday_calls_again_on_monday_morning_in_the_persons_time_zone():
    step = outcomes.next_step("call", "no_answer", moment=FRIDAY_EVENING, timezone="Europe/Helsinki")
    assert (step.task_kind, step.title) == ("call", "Call again")
    assert step.due_at == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 08:00 in Helsinki (sla's default hours)
    assert "next working day" in step.reason


def test_the_next_working_day_follows_the_persons_working_hours():
    hours = {"sat": ["10:30-14:00"]}
    step = outcomes.next_step("call", "busy", moment=FRIDAY_EVENING, timezone="UTC", working_hours=hours)
    assert step.due_at == datetime(2026, 12, 5, 10, 30, tzinfo=UTC)


def test_no_answer_before_christmas_calls_again_after_the_holidays():
    holidays = {date(2026, 12, 24): "Christmas Eve", date(2026, 12, 25): "Christmas Day",
                date(2026, 12, 26): "Second Day of Christmas"}
    step = outcomes.next_step("call", "no_answer", moment=datetime(2026, 12, 23, 12, 0, tzinfo=UTC),
                              timezone="Europe/Helsinki", holidays=holidays)
    assert step.due_at == datetime(2026, 12, 28, 6, 0, tzinfo=UTC)  # Monday 08:00 in Helsinki


def test_a_call_back_and_a_meeting_are_tasks_at_their_times():
    at = FRIDAY_EVENING + timedelta(days=3)
    back = outcomes.next_step("email", "call_back", moment=FRIDAY_EVENING, at=at)
    assert (back.task_kind, back.due_at) == ("call", at)
    visit = outcomes.next_step("visit", "meeting_booked", moment=FRIDAY_EVENING, at=at)
    meeting = outcomes.next_step("call", "meeting_booked", moment=FRIDAY_EVENING, at=at)
    assert (visit.task_kind, meeting.task_kind) == ("visit", "meeting")


def test_a_quote_request_is_sent_within_a_day_and_not_interested_suggests_recycling():
    quote = outcomes.next_step("meeting", "quote_requested", moment=FRIDAY_EVENING)
    assert (quote.task_kind, quote.due_at) == ("send_quote", FRIDAY_EVENING + timedelta(days=1))
    no = outcomes.next_step("call", "not_interested", moment=FRIDAY_EVENING)
    assert no.task_kind is None and no.suggest == ("recycle", "disqualify")
    reached = outcomes.next_step("call", "reached", moment=FRIDAY_EVENING)
    assert reached.task_kind is None and reached.suggest == ()


def test_problems_name_the_field_and_the_reason():
    def fields(kind, outcome, **kw):
        kw.setdefault("occurred_at", FRIDAY_EVENING)
        kw.setdefault("at", None)
        return [f for f, _ in outcomes.problems(kind, outcome, moment=FRIDAY_EVENING, **kw)]

    assert fields("call", "reached") == []
    assert fields("fax", "reached") == ["kind"]
    assert fields("email", "busy") == ["outcome"]
    assert fields("call", "call_back") == ["at"]
    assert fields("call", "call_back", at=FRIDAY_EVENING - timedelta(hours=1)) == ["at"]
    assert fields("call", "reached", occurred_at=FRIDAY_EVENING + timedelta(hours=1)) == ["occurred_at"]
    assert fields("call", "reached", duration_minutes=-5) == ["duration_minutes"]


def test_every_outcome_has_a_label_and_every_kind_its_outcomes():
    assert set(outcomes.OUTCOMES) == set(outcomes.KINDS)
    assert all(o in outcomes.LABELS for allowed in outcomes.OUTCOMES.values() for o in allowed)
