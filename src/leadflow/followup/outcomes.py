"""The outcomes a salesperson may log for each kind of contact, and the next step each outcome sets (a task with its
kind, title and due time, or a suggestion), each with its reason.

Pure: standard library and sla (the ONE notion of working days and hours); the moment, the person's hours and
holidays come in as arguments. It never touches the database or the web."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadflow.followup import sla

KINDS: dict[str, str] = {"call": "Call", "email": "Email", "meeting": "Meeting", "visit": "Visit"}

LABELS: dict[str, str] = {
    "reached": "Reached", "no_answer": "No answer", "busy": "Busy", "left_message": "Left a message",
    "call_back": "Call back", "meeting_booked": "Meeting booked", "quote_requested": "Quote requested",
    "not_interested": "Not interested", "wrong_number": "Wrong number", "sent": "Sent", "replied": "Replied",
    "bounced": "Bounced", "held": "Held", "no_show": "No show", "not_there": "Nobody there",
    "qualified": "Qualified", "do_not_call": "Do not call",
}

OUTCOMES: dict[str, tuple[str, ...]] = {
    "call": ("reached", "no_answer", "busy", "left_message", "call_back", "meeting_booked", "quote_requested",
             "not_interested", "wrong_number", "qualified", "do_not_call"),
    "email": ("sent", "replied", "bounced", "call_back", "meeting_booked", "quote_requested", "not_interested"),
    "meeting": ("held", "no_show", "call_back", "meeting_booked", "quote_requested", "not_interested"),
    "visit": ("held", "not_there", "call_back", "meeting_booked", "quote_requested", "not_interested"),
}

# Call outcomes only a call list's call records (telemarketing carries what they do: the Sales Ready rule, consent,
# the stage); a salesperson's contact log does not offer them.
CALL_LIST_ONLY = frozenset({"qualified", "do_not_call"})

# Outcomes that need a time: the call-back's, the meeting's.
NEEDS_TIME = frozenset({"call_back", "meeting_booked"})

TASK_KINDS: dict[str, str] = {"call": "Call", "email": "Email", "meeting": "Meeting", "visit": "Visit",
                              "send_quote": "Send a quote", "other": "Other"}

MAX_NOTE = 5000
MAX_DURATION = 24 * 60


@dataclass(frozen=True)
class NextStep:
    """What an outcome sets: a task (`task_kind`, `title`, `due_at`), or none, with the reason; `suggest` names moves
    to offer the person (recycle, disqualify) when no task follows."""

    task_kind: str | None
    title: str | None
    due_at: datetime | None
    reason: str
    suggest: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"task_kind": self.task_kind, "title": self.title,
                "due_at": self.due_at.isoformat() if self.due_at else None, "reason": self.reason,
                "suggest": list(self.suggest)}


def problems(kind: str, outcome: str, *, occurred_at: datetime, at: datetime | None, moment: datetime,
             note: str = "", duration_minutes: int | None = None, call_list: bool = False) -> list[tuple[str, str]]:
    """What stops this contact being logged, as (field, reason) pairs; none: it may be logged. `call_list`: a call
    list's call, which may also end as one of CALL_LIST_ONLY."""
    found: list[tuple[str, str]] = []
    if kind not in OUTCOMES:
        return [("kind", f"must be one of {', '.join(OUTCOMES)}")]
    allowed = [o for o in OUTCOMES[kind] if call_list or o not in CALL_LIST_ONLY]
    if outcome not in allowed:
        found.append(("outcome", f"a {kind} may end as one of {', '.join(allowed)}"))
    if occurred_at > moment + timedelta(minutes=1):
        found.append(("occurred_at", "cannot be in the future"))
    if occurred_at < moment - timedelta(days=366):
        found.append(("occurred_at", "more than a year ago: log contacts as they happen"))
    if outcome in NEEDS_TIME:
        if at is None:
            found.append(("at", f"{LABELS[outcome].lower()} needs its time"))
        elif at <= moment:
            found.append(("at", "must be in the future"))
        elif at > moment + timedelta(days=366):
            found.append(("at", "more than a year ahead"))
    if len(note) > MAX_NOTE:
        found.append(("note", f"at most {MAX_NOTE} characters"))
    if duration_minutes is not None and not 0 <= duration_minutes <= MAX_DURATION:
        found.append(("duration_minutes", f"between 0 and {MAX_DURATION} minutes"))
    return found


def next_step(kind: str, outcome: str, *, moment: datetime, at: datetime | None = None, timezone: str = "UTC",
              working_hours: dict | None = None, holidays: sla.Holidays = None) -> NextStep:
    """The task an outcome sets, and why: no answer or busy, call again the next working day; a call-back, a call
    at its time; a meeting booked, a meeting (or a visit) at its time; a quote requested, send it within a day; not
    interested, no task but recycling or disqualifying offered. The next working day is sla's: the start of the
    person's working hours (Monday to Friday 08:00-16:00 when they set none), skipping days off and `holidays`."""
    label = LABELS.get(outcome, outcome)
    if outcome in ("no_answer", "busy", "left_message", "not_there", "no_show"):
        again = "visit" if kind == "visit" else "call"
        return NextStep(again, "Call again" if again == "call" else "Visit again",
                        sla.next_working_start(moment, timezone=timezone, working_hours=working_hours,
                                                   holidays=holidays),
                        f"{label}: try again the next working day")
    if outcome == "call_back" and at is not None:
        return NextStep("call", "Call back", at, "Call back: a call at the time agreed")
    if outcome == "meeting_booked" and at is not None:
        task_kind = "visit" if kind == "visit" else "meeting"
        return NextStep(task_kind, "Meeting" if task_kind == "meeting" else "Visit", at,
                        "Meeting booked: the meeting at its time")
    if outcome == "quote_requested":
        return NextStep("send_quote", "Send the quote", moment + timedelta(days=1),
                        "Quote requested: send it within a day")
    if outcome in ("not_interested", "wrong_number", "bounced"):
        return NextStep(None, None, None, f"{label}: no task; recycle the lead to marketing or disqualify it",
                        suggest=("recycle", "disqualify"))
    return NextStep(None, None, None, f"{label}: no task follows")
