"""The simulator: a journey's definition run over sample leads on a virtual clock, before it goes live.

Each sample lead walks the steps as the engine would walk them (the same step rules), while what the world does
(an email delivered or bounced, opened, clicked, a survey answered and how, a call's outcome) is drawn from rates
with a seeded random generator: the same definition, leads, rates and seed give the same answer.

Pure: standard library and the condition core only; time (the virtual start) and the seed come in as arguments.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadflow import conditions
from leadflow.conditions import fields as condition_fields
from leadflow.conditions import syntax as condition_syntax

MAX_VISITS = 200  # steps one sample lead may take: a definition that loops is cut off there, and says so
HAPPENINGS = ("delivered", "bounced", "opened", "clicked", "survey_submitted")


@dataclass(frozen=True)
class Rates:
    """What the world does, as shares: delivered of the emails sent (the rest bounce), opened of the delivered,
    clicked of the opened, surveys answered of the opened; how the survey's next_step is answered and how calls end
    (shares of each value, normalised); how long people take (hours after the send)."""

    delivered: float = 0.97
    opened: float = 0.45
    clicked: float = 0.3
    survey_answered: float = 0.35
    answers: Mapping[str, float] = field(default_factory=lambda: {"quote": 0.15, "meeting": 0.15, "call": 0.2,
                                                                   "nothing": 0.5})
    call_outcomes: Mapping[str, float] = field(default_factory=lambda: {"reached": 0.5, "no_answer": 0.5})
    open_within_hours: float = 48.0
    answer_within_hours: float = 24.0


@dataclass
class Visit:
    step_id: str
    at: datetime
    what: str


@dataclass
class Path:
    lead_id: int | None
    label: str
    visits: list[Visit] = field(default_factory=list)
    end: str = "done"  # done | exited | goal | cut
    ended_at: datetime | None = None


@dataclass
class Result:
    leads: int
    reached: dict[str, int]  # step id -> sample leads that reached it
    ways: dict[str, dict[str, int]]  # branch step id -> way ("0", "1", ..., "else") -> leads that went that way
    ends: dict[str, int]  # done / exited / goal / cut -> leads
    paths: list[Path]
    happened: dict[str, int]  # delivered, bounced, opened, clicked, survey_submitted -> leads it happened to
    last_at: datetime | None

    def as_dict(self, *, paths: int | None = None) -> dict:
        return {"leads": self.leads, "reached": self.reached, "ways": self.ways, "ends": self.ends,
                "happened": self.happened, "last_at": self.last_at.isoformat() if self.last_at else None,
                "paths": [{"lead_id": p.lead_id, "label": p.label, "end": p.end,
                           "ended_at": p.ended_at.isoformat() if p.ended_at else None,
                           "visits": [{"step": v.step_id, "at": v.at.isoformat(), "what": v.what} for v in p.visits]}
                          for p in self.paths[:paths]]}


def _pick(rng: random.Random, shares: Mapping[str, float]) -> str | None:
    total = sum(max(0.0, float(v)) for v in shares.values())
    if total <= 0:
        return None
    point = rng.random() * total
    for key, value in shares.items():
        point -= max(0.0, float(value))
        if point < 0:
            return key
    return list(shares)[-1]


class _World:
    """What happens to one sample lead's emails, surveys and calls: drawn once per message, when it is sent."""

    def __init__(self, rng: random.Random, rates: Rates):
        self.rng = rng
        self.rates = rates
        self.messages: dict[str, dict[str, datetime | str | None]] = {}  # step id -> happening -> when
        self.survey: tuple[datetime, str | None] | None = None
        self.calls: list[tuple[datetime, str]] = []

    def send(self, step_id: str, at: datetime) -> dict:
        r, rng = self.rates, self.rng
        seen: dict = {"sent": at}
        if rng.random() < r.delivered:
            seen["delivered"] = at + timedelta(minutes=1)
            if rng.random() < r.opened:
                opened = at + timedelta(hours=rng.random() * r.open_within_hours)
                seen["opened"] = opened
                if rng.random() < r.clicked:
                    seen["clicked"] = opened + timedelta(minutes=2)
                if rng.random() < r.survey_answered:
                    answered = opened + timedelta(hours=rng.random() * r.answer_within_hours)
                    seen["survey_submitted"] = answered
                    if self.survey is None or answered < self.survey[0]:
                        self.survey = (answered, _pick(rng, r.answers))
        else:
            seen["bounced"] = at + timedelta(minutes=5)
        self.messages[step_id] = seen
        return seen

    def call(self, at: datetime) -> None:
        outcome = _pick(self.rng, self.rates.call_outcomes)
        if outcome:
            self.calls.append((at + timedelta(days=1), outcome))

    def events_by(self, moment: datetime) -> list[tuple[datetime, str]]:
        """Every event that has happened by a moment, as (when, topic), in order."""
        found = []
        for seen in self.messages.values():
            for what, topic in (("delivered", "email.delivered"), ("bounced", "email.bounced"),
                                ("opened", "email.opened"), ("clicked", "email.clicked")):
                if what in seen and seen[what] <= moment:
                    found.append((seen[what], topic))
        if self.survey and self.survey[0] <= moment:
            found.append((self.survey[0], "survey.submitted"))
        found.extend((at, "contact.logged") for at, _ in self.calls if at <= moment)
        return sorted(found)

    def next_event(self, after: datetime, topics: frozenset[str]) -> datetime | None:
        later = [at for at, topic in self.events_by(datetime.max.replace(tzinfo=after.tzinfo))
                 if topic in topics and at >= after]
        return min(later) if later else None

    def facts(self, moment: datetime, context: Mapping) -> _Facts:
        """What the engine would know of this lead at a moment: its data, its messages' outcomes, its answers."""
        messages = {step_id: {what: bool(seen.get(what) and seen[what] <= moment) for what in HAPPENINGS[:4]}
                    for step_id, seen in self.messages.items()}
        data = dict(context)
        submitted = False
        if self.survey and self.survey[0] <= moment:
            submitted = True
            if self.survey[1] is not None:
                data["survey.next_step"] = self.survey[1]
        calls = [outcome for at, outcome in self.calls if at <= moment]
        return _Facts(context=data, messages=messages, survey_submitted=submitted, call_outcomes=calls)


@dataclass
class _Facts:
    context: dict
    messages: dict[str, dict[str, bool]]
    survey_submitted: bool
    call_outcomes: list[str]


@dataclass
class _Decision:
    action: str | None
    next: str | None
    due_at: datetime | None = None
    waits_for: tuple[str, ...] = ()
    way: str | None = None
    end: str | None = None
    changes: dict | None = None


_UNITS = {"D": "days", "H": "hours", "M": "minutes", "W": "weeks", "S": "seconds"}


def duration(text: str | None) -> timedelta:
    """P7D, PT12H, P1W, PT30M or 7d, 12h, 30m."""
    if not text:
        return timedelta(0)
    raw = str(text).strip().upper()
    if raw.startswith("P"):
        total, number, in_time = timedelta(0), "", False
        for ch in raw[1:]:
            if ch == "T":
                in_time = True
            elif ch.isdigit() or ch == ".":
                number += ch
            else:
                unit = "minutes" if ch == "M" and in_time else ("months" if ch == "M" else _UNITS.get(ch))
                if unit == "months":
                    total += timedelta(days=30 * float(number or 0))
                elif unit:
                    total += timedelta(**{unit: float(number or 0)})
                number = ""
        return total
    number, unit = raw[:-1], raw[-1:]
    return timedelta(**{_UNITS.get(unit, "days"): float(number or 0)})


def _holds(condition: str, context: Mapping) -> bool:
    scope = getattr(condition_fields, "JOURNEY", condition_fields.ROUTING)
    try:
        rule = condition_syntax.parse(condition, scope)
    except condition_syntax.RuleError:
        rule = condition_syntax.parse(condition, condition_fields.ROUTING) if "survey." not in condition else None
    if rule is None:
        return _survey_holds(condition, context)
    return conditions.evaluate(rule, context).matched


def _survey_holds(condition: str, context: Mapping) -> bool:
    """Until the journey scope (survey.<key>) is in the catalogue: `survey.key in ("a", "b")` / `== "a"`."""
    name, _, rest = condition.strip().partition(" ")
    value = context.get(name)
    choices = [part.strip().strip('"') for part in rest.replace("in", "", 1).strip(" ()").replace("==", "").split(",")]
    return value is not None and str(value) in choices


def _happened(when: Mapping, facts: _Facts) -> bool:
    what = when.get("happened", "")
    seen = facts.messages.get(when.get("step") or "", {})
    if what.startswith("not_"):
        return not seen.get(what[4:], False)
    if what == "survey_submitted":
        return facts.survey_submitted
    if what == "form_submitted":
        return False
    if what.startswith("call_outcome:"):
        return what.partition(":")[2] in facts.call_outcomes
    return bool(seen.get(what))


def _decide(step: Mapping, facts: _Facts, now: datetime) -> _Decision:
    """One step's decision, as the engine makes it."""
    kind, following = step.get("type"), step.get("next")
    if kind == "wait":
        return _Decision("wait", following, due_at=now + duration(step.get("duration")))
    if kind == "wait_until":
        if step.get("date"):
            until = datetime.fromisoformat(str(step["date"]))
            return _Decision("wait_until", following, due_at=until if until.tzinfo else until.replace(
                tzinfo=now.tzinfo))
        timeout = step.get("timeout")
        return _Decision("wait_until", following, due_at=now + duration(timeout) if timeout else None,
                         waits_for=tuple(step.get("events") or ()))
    if kind == "branch":
        for index, branch in enumerate(step.get("branches") or ()):
            when = branch.get("when") or {}
            held = _holds(when["condition"], facts.context) if "condition" in when else _happened(when, facts)
            if held:
                return _Decision("branch", branch.get("next"), way=str(index))
        return _Decision("branch", step.get("else"), way="else")
    if kind == "exit":
        return _Decision("exit", None, end="exited")
    changes = {"set_field": lambda: {step.get("field"): step.get("value")},
               "change_stage": lambda: {"stage": step.get("stage")},
               "hand_to_sales": lambda: {"stage": "sales_ready"},
               "add_points": lambda: {"score": (facts.context.get("score") or 0) + int(step.get("points") or 0)},
               }.get(kind)
    return _Decision(kind, following, changes=changes() if changes else None)


def _goal(definition: Mapping, facts: _Facts) -> str | None:
    for goal in definition.get("goals") or ():
        if goal.get("condition") and _holds(goal["condition"], facts.context):
            return goal.get("name") or "goal"
    return None


def simulate(definition, leads: list[Mapping], *, rates: Rates, seed: int, start: datetime,
             label: Callable[[Mapping], str] = lambda c: str(c.get("email") or c.get("id") or "lead"),
             keep_paths: int = 10) -> Result:
    """Run a definition (the JSON of the contract) over sample lead contexts from a virtual start."""
    rng = random.Random(seed)
    reached: dict[str, int] = {}
    ways: dict[str, dict[str, int]] = {}
    ends = {"done": 0, "exited": 0, "goal": 0, "cut": 0}
    happened = dict.fromkeys(HAPPENINGS, 0)
    paths: list[Path] = []
    last_at: datetime | None = None
    for context in leads:
        path, seen = _walk(definition, context, rng, rates, start, reached, ways, label)
        ends[path.end] += 1
        last_at = max(filter(None, (last_at, path.ended_at)), default=None)
        if len(paths) < keep_paths:
            paths.append(path)
        for what in seen:
            happened[what] += 1
    return Result(leads=len(leads), reached=reached, ways=ways, ends=ends, paths=paths, happened=happened,
                  last_at=last_at)


def _walk(definition, context: Mapping, rng: random.Random, rates: Rates, start: datetime,
          reached: dict, ways: dict, label: Callable[[Mapping], str]) -> tuple[Path, set[str]]:
    world = _World(rng, rates)
    data = dict(context)
    path = Path(lead_id=context.get("id"), label=label(context))
    now = start
    steps = {step["id"]: step for step in definition.get("steps") or ()}
    step_id: str | None = definition.get("start")
    for _ in range(MAX_VISITS):
        if step_id is None:
            path.end = "done"
            break
        reached[step_id] = reached.get(step_id, 0) + 1
        goal = _goal(definition, world.facts(now, data))
        if goal:
            path.visits.append(Visit(step_id, now, "goal: " + goal))
            path.end = "goal"
            break
        decision = _decide(steps[step_id], world.facts(now, data), now)
        what = decision.action or "step"
        if decision.action == "send_email":
            seen = world.send(step_id, now)
            what = "send_email: " + ("bounced" if "bounced" in seen else "delivered")
            path.visits.append(Visit(step_id, now, what))
            for happening in ("opened", "clicked", "survey_submitted"):
                if happening in seen:
                    path.visits.append(Visit(step_id, seen[happening], happening))
        else:
            if decision.action == "add_to_call_list":
                world.call(now)
            data.update(decision.changes or {})
            path.visits.append(Visit(step_id, now, what + (f" ({decision.way})" if decision.way else "")))
        if decision.way is not None:
            counted = ways.setdefault(step_id, {})
            counted[decision.way] = counted.get(decision.way, 0) + 1
        if decision.waits_for:
            until = decision.due_at
            event_at = world.next_event(now, frozenset(decision.waits_for))
            if event_at is not None and (until is None or event_at <= until):
                until = event_at
            if until is None:
                path.visits.append(Visit(step_id, now, "waiting for an event that never comes"))
                path.end = "cut"
                break
            now = max(now, until)
        elif decision.due_at is not None and decision.due_at > now:
            now = decision.due_at
        if decision.end is not None:
            path.end = decision.end
            step_id = None
            break
        step_id = decision.next
    else:
        path.end = "cut"
    path.ended_at = now
    path.visits.sort(key=lambda v: v.at)
    return path, {what for seen in world.messages.values() for what in seen if what in HAPPENINGS}
