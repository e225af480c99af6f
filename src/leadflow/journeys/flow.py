"""What a run does at a step: given the step, the run's facts (what happened to its messages, the events it heard,
the lead's context with its survey answers) and now, the Decision: the action to perform, the step that follows,
when that step is due and what it waits for, or the end of the run. Also who may enter a journey (entry triggers,
re-entry rules). The engine and the simulator both decide with these functions: the same rules.

Pure: standard library and the condition language only; no database, no clock (now comes in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadflow import events
from leadflow.conditions import compile_tree
from leadflow.conditions.syntax import Rule
from leadflow.journeys.definition import (
    CALL_OUTCOME,
    Branch,
    Definition,
    Entry,
    Exit,
    Reentry,
    Step,
    Wait,
    WaitUntil,
    When,
)

# actions the engine performs (the rest decide only where to go)
ACTIONS = ("send_email", "add_to_call_list", "set_field", "add_points", "change_stage", "hand_to_sales")
MAX_VISITS = 50  # a step on a loop is visited at most this often by one run; then the run ends


@dataclass(frozen=True)
class Seen:
    """An event the run heard while it was active."""

    kind: str  # survey.submitted, email.opened, lead.captured, contact.logged, ...
    at: datetime
    form_id: int | None = None
    outcome: str | None = None  # contact.logged: the call's outcome
    message_id: int | None = None


@dataclass(frozen=True)
class Message:
    """What became of a send_email step's message (email.queries.outcomes)."""

    status: str = "queued"
    delivered: bool = False
    bounced: bool = False
    opened: bool = False
    clicked: bool = False
    reason: str | None = None

    @classmethod
    def of(cls, outcome: Mapping | None) -> Message | None:
        if outcome is None:
            return None
        return cls(status=str(outcome.get("status") or "queued"), delivered=bool(outcome.get("delivered")),
                   bounced=bool(outcome.get("bounced")), opened=bool(outcome.get("opened")),
                   clicked=bool(outcome.get("clicked")), reason=outcome.get("reason"))


@dataclass(frozen=True)
class Facts:
    context: Mapping[str, object] = field(default_factory=dict)  # journey scope: the lead + `survey.<key>`
    messages: Mapping[str, Message] = field(default_factory=dict)  # send_email step id -> its message
    events: Sequence[Seen] = ()
    arrived_at: datetime | None = None  # when the run reached this step
    entered_at: datetime | None = None  # when the run entered the journey


@dataclass(frozen=True)
class Arrival:
    """How a run arrives at a step: when the step is due, what it waits for and until when."""

    step_id: str
    due_at: datetime
    waits_for: tuple[str, ...] = ()
    timeout_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    step_id: str
    action: str  # one of ACTIONS, or "none" (wait, wait_until, branch), "exit", "goal", "keep_waiting"
    outcome: str  # what the step row records, in words: "sent", "waited 7d", "way 2: opened (s2)", "timeout"
    next: Arrival | None = None  # the step that follows (None: the run ends here, or keeps waiting)
    end: str | None = None  # done, exited, goal: the run ends after the action
    goal: str | None = None  # the goal reached
    due_at: datetime | None = None  # keep_waiting: the row's new due time


def arrive(definition: Definition, step_id: str, now: datetime) -> Arrival:
    step = definition.step(step_id)
    if isinstance(step, Wait):
        return Arrival(step_id, now + step.duration)
    if isinstance(step, WaitUntil):
        deadline = _deadline(step, now)
        return Arrival(step_id, deadline if deadline is not None else now + timedelta(days=3650),
                       step.events, deadline)
    return Arrival(step_id, now)


def _deadline(step: WaitUntil, since: datetime) -> datetime | None:
    candidates = [m for m in (since + step.timeout if step.timeout else None, step.date) if m is not None]
    return min(candidates) if candidates else None


def start(definition: Definition, now: datetime) -> Arrival:
    return arrive(definition, definition.start, now)


def step(definition: Definition, step_id: str, facts: Facts, now: datetime) -> Decision:
    """The decision for a run whose row at `step_id` is due."""
    current = definition.step(step_id)
    for goal in definition.goals:
        if holds(goal.condition, facts.context):
            return Decision(step_id, "goal", f"goal: {goal.name}", end="goal", goal=goal.name)
    if isinstance(current, Exit):
        return Decision(step_id, "exit", "exited", end="exited")
    if isinstance(current, Wait):
        if facts.arrived_at is not None and facts.arrived_at + current.duration > now:  # woken early (goals)
            return Decision(step_id, "keep_waiting", "waiting", due_at=facts.arrived_at + current.duration)
        return _go(definition, current, current.next, now, "waited")
    if isinstance(current, WaitUntil):
        return _wait_until(definition, current, facts, now)
    if isinstance(current, Branch):
        for index, way in enumerate(current.ways, start=1):
            if _passes(way.when, facts):
                return _go(definition, current, way.next, now, f"way {index}: {describe(way.when)}")
        return _go(definition, current, current.otherwise, now, "else")
    return _go(definition, current, current.next, now, "done", action=current.type)


def _go(definition: Definition, current: Step, target: str | None, now: datetime, outcome: str, *,
        action: str = "none") -> Decision:
    if target is None:
        return Decision(current.id, action, outcome, end="done")
    return Decision(current.id, action, outcome, next=arrive(definition, target, now))


def _wait_until(definition: Definition, current: WaitUntil, facts: Facts, now: datetime) -> Decision:
    since = facts.arrived_at
    heard = next((seen for seen in facts.events if (since is None or seen.at >= since) and _awaited(current, seen)),
                 None)
    if heard is not None:
        return _go(definition, current, current.next, now, heard.kind)
    deadline = _deadline(current, since) if since is not None else None
    if deadline is not None and deadline > now:
        return Decision(current.id, "keep_waiting", "waiting", due_at=deadline)
    target = current.timeout_next if current.has_timeout_next else current.next
    return _go(definition, current, target, now, "timeout" if current.events else "date came")


def _awaited(current: WaitUntil, seen: Seen) -> bool:
    for event in current.events:
        kind, _, outcome = event.partition(":")
        if seen.kind != kind:
            continue
        if outcome and seen.outcome != outcome:
            continue
        if kind == events.LEAD_CAPTURED and (seen.form_id is None
                                             or (current.form_id and seen.form_id != current.form_id)):
            continue
        return True
    return False


def _passes(when: When, facts: Facts) -> bool:
    if when.condition is not None:
        return holds(when.condition, facts.context)
    happened = when.happened or ""
    if when.step is not None:
        message = facts.messages.get(when.step)
        if happened == "not_opened":
            return message is None or not message.opened
        if happened == "not_clicked":
            return message is None or not message.clicked
        return message is not None and bool(getattr(message, happened))
    if happened == "survey_submitted":
        return any(seen.kind == events.SURVEY_SUBMITTED for seen in facts.events)
    if happened == "form_submitted":
        return any(seen.kind == events.LEAD_CAPTURED and seen.form_id is not None
                   and (when.form_id is None or seen.form_id == when.form_id) for seen in facts.events)
    if happened.startswith(CALL_OUTCOME):
        wanted = happened[len(CALL_OUTCOME):]
        return any(seen.kind == events.CONTACT_LOGGED and seen.outcome == wanted for seen in facts.events)
    return False


_COMPILED: dict[int, tuple[Rule, object]] = {}


def holds(rule: Rule, context: Mapping[str, object]) -> bool:
    """Whether the lead's context matches a condition (compiled once per parsed rule)."""
    found = _COMPILED.get(id(rule))
    if found is None or found[0] is not rule:
        if len(_COMPILED) > 10_000:
            _COMPILED.clear()
        found = (rule, compile_tree(rule.tree))
        _COMPILED[id(rule)] = found
    return bool(found[1](context))


def describe(when: When) -> str:
    """A branch's test in words, as the step row and the editor show it."""
    if when.condition is not None:
        return when.condition.text
    if when.step is not None:
        return f"{(when.happened or '').replace('_', ' ')} ({when.step})"
    if when.form_id is not None:
        return f"{(when.happened or '').replace('_', ' ')} (form {when.form_id})"
    return (when.happened or "").replace("_", " ")


@dataclass(frozen=True)
class PastRun:
    status: str  # active, done, exited, goal
    entered_at: datetime
    ended_at: datetime | None = None


def may_enter(reentry: Reentry, runs: Sequence[PastRun], now: datetime) -> str | None:
    """None when the lead may enter (again), else why not. A lead is in a journey at most once at a time."""
    if any(run.status == "active" for run in runs):
        return "already in the journey"
    if not runs:
        return None
    if reentry.mode == "never":
        return "has been in the journey before (re-entry: never)"
    if reentry.mode == "after_days":
        last = max(run.entered_at for run in runs)
        if now < last + timedelta(days=reentry.days or 0):
            return f"entered less than {reentry.days} days ago (re-entry: after {reentry.days} days)"
    return None


def entry_for(definition: Definition, kind: str, payload: Mapping, context: Mapping[str, object]) -> Entry | None:
    """The entry trigger an event fires, if any. `kind`: the topic heard (lead.captured, segment.entered, ...)."""
    for entry in definition.entry:
        if entry.kind == "form":
            if kind not in (events.LEAD_CAPTURED, events.LEAD_RECAPTURED) or payload.get("form_id") != entry.form_id:
                continue
        elif entry.kind == "event":
            if kind != entry.topic:
                continue
        elif entry.kind == "segment":
            if kind != events.SEGMENT_ENTERED or payload.get("segment_id") != entry.segment_id:
                continue
        else:
            continue
        if entry.condition is not None and not holds(entry.condition, context):
            continue
        return entry
    return None


def entry_words(entry: Entry | None, source: str | None = None) -> str:
    """What brought a lead in, as the run records it."""
    if entry is None:
        return source or "by hand"
    if entry.kind == "form":
        return f"form {entry.form_id}"
    if entry.kind == "event":
        return f"event {entry.topic}"
    if entry.kind == "segment":
        return f"segment {entry.segment_id}"
    if entry.kind == "list":
        return f"call list {entry.call_list_id}"
    return source or "by hand"


def on_loop(definition: Definition) -> frozenset[str]:
    """The steps a run can reach again (they lie on a loop): their rows count visits."""
    found: set[str] = set()
    steps = definition.steps
    for origin in steps:
        stack, visited = [t for t in steps[origin].targets() if t], set()
        while stack:
            current = stack.pop()
            if current == origin:
                found.add(origin)
                break
            if current in visited:
                continue
            visited.add(current)
            stack.extend(t for t in steps[current].targets() if t)
    return frozenset(found)
