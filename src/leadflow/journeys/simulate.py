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

from leadflow import events
from leadflow.journeys import flow
from leadflow.journeys.definition import Definition, parse_definition

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
            for what, topic in (("delivered", events.EMAIL_DELIVERED), ("bounced", events.EMAIL_BOUNCED),
                                ("opened", events.EMAIL_OPENED), ("clicked", events.EMAIL_CLICKED)):
                if what in seen and seen[what] <= moment:
                    found.append((seen[what], topic))
        if self.survey and self.survey[0] <= moment:
            found.append((self.survey[0], events.SURVEY_SUBMITTED))
        found.extend((at, events.CONTACT_LOGGED) for at, _ in self.calls if at <= moment)
        return sorted(found)

    def next_event(self, after: datetime, topics: frozenset[str]) -> datetime | None:
        later = [at for at, topic in self.events_by(datetime.max.replace(tzinfo=after.tzinfo))
                 if topic in topics and at >= after]
        return min(later) if later else None

    def facts(self, moment: datetime, context: Mapping, arrived_at: datetime, entered_at: datetime) -> flow.Facts:
        """What the engine would know of this lead at a moment: its data and survey answers, its messages'
        outcomes, the events it heard."""
        messages = {step_id: flow.Message(status="sent" if "delivered" in seen else "bounced",
                                          **{what: bool(seen.get(what) and seen[what] <= moment)
                                             for what in ("delivered", "bounced", "opened", "clicked")})
                    for step_id, seen in self.messages.items()}
        data = dict(context)
        if self.survey and self.survey[0] <= moment and self.survey[1] is not None:
            data["survey.next_step"] = self.survey[1]
        seen = [flow.Seen(kind=topic, at=at, outcome=outcome) for at, topic, outcome in self.heard(moment)]
        return flow.Facts(context=data, messages=messages, events=seen, arrived_at=arrived_at,
                          entered_at=entered_at)

    def heard(self, moment: datetime) -> list[tuple[datetime, str, str | None]]:
        found = [(at, topic, None) for at, topic in self.events_by(moment) if topic != events.CONTACT_LOGGED]
        found.extend((at, events.CONTACT_LOGGED, outcome) for at, outcome in self.calls if at <= moment)
        return sorted(found, key=lambda e: e[0])


def simulate(definition: Definition | Mapping, leads: list[Mapping], *, rates: Rates, seed: int, start: datetime,
             label: Callable[[Mapping], str] = lambda c: str(c.get("email") or c.get("id") or "lead"),
             keep_paths: int = 10) -> Result:
    """Run a definition (parsed, or its JSON: a DefinitionError names what is wrong) over sample lead contexts
    (the journey scope's) from a virtual start."""
    if not isinstance(definition, Definition):
        definition = parse_definition(definition)
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


def way_of(outcome: str) -> str | None:
    """The way a branch's outcome names, as the drawing counts it: "way 2: opened (s2)" -> "1", "else"."""
    if outcome == "else":
        return "else"
    head, colon, _ = outcome.partition(":")
    if colon and head.startswith("way ") and head[4:].isdecimal():
        return str(int(head[4:]) - 1)
    return None


def _walk(definition: Definition, context: Mapping, rng: random.Random, rates: Rates, start: datetime,
          reached: dict, ways: dict, label: Callable[[Mapping], str]) -> tuple[Path, set[str]]:
    world = _World(rng, rates)
    data = dict(context)
    path = Path(lead_id=context.get("id"), label=label(context))
    arrival: flow.Arrival | None = flow.start(definition, start)
    now = arrived_at = start
    path.end = "cut"
    for _ in range(MAX_VISITS):
        if arrival is None:
            break
        step_id = arrival.step_id
        if arrived_at == now:
            reached[step_id] = reached.get(step_id, 0) + 1
        due = arrival.due_at
        if arrival.waits_for:
            event_at = world.next_event(now, frozenset(e.partition(":")[0] for e in arrival.waits_for))
            if event_at is not None and (arrival.timeout_at is None or event_at <= arrival.timeout_at):
                due = event_at
            elif arrival.timeout_at is None:
                path.visits.append(Visit(step_id, now, "waits for an event that does not come"))
                break
        now = max(now, due)
        decision = flow.step(definition, step_id, world.facts(now, data, arrived_at, start), now)
        if decision.action == "keep_waiting":
            arrival = flow.Arrival(step_id, decision.due_at or now, (), decision.due_at)
            continue
        if decision.action == "send_email":
            seen = world.send(step_id, now)
            path.visits.append(Visit(step_id, now, "sent, " + ("bounced" if "bounced" in seen else "delivered")))
            for happening in ("opened", "clicked", "survey_submitted"):
                if happening in seen:
                    path.visits.append(Visit(step_id, seen[happening], happening.replace("_", " ")))
        else:
            if decision.action == "add_to_call_list":
                world.call(now)
            data.update(_changes(definition, step_id, data, decision.action))
            path.visits.append(Visit(step_id, now, decision.outcome))
        way = way_of(decision.outcome) if definition.step(step_id).type == "branch" else None
        if way is not None:
            counted = ways.setdefault(step_id, {})
            counted[way] = counted.get(way, 0) + 1
        if decision.end is not None:
            path.end = decision.end
            break
        arrival, arrived_at = decision.next, now
    path.ended_at = now
    path.visits.sort(key=lambda v: v.at)
    return path, {what for seen in world.messages.values() for what in seen if what in HAPPENINGS}


def _changes(definition: Definition, step_id: str, data: Mapping, action: str) -> dict:
    """What an action changes of the lead as later conditions and goals read it."""
    step = definition.step(step_id)
    if action == "set_field":
        return {step.field: step.value}
    if action == "change_stage":
        return {"stage": step.stage}
    if action == "hand_to_sales":
        return {"stage": "sql", "sales_ready": True}
    if action == "add_points":
        return {"score": (data.get("score") or 0) + step.points}
    return {}
