"""A journey's definition (the JSON its editor saves, docs/journeys.md) parsed and validated into typed steps: every
problem named by its step and field, durations as ISO 8601 (P7D, PT12H) or "7d"/"12h", conditions in the one
condition language's `journey` scope.

Pure: standard library and the condition language only; no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from leadflow import events
from leadflow import values as plain
from leadflow.conditions import RuleError, parse
from leadflow.conditions import fields as condition_fields
from leadflow.conditions.syntax import Rule

ENTRY_KINDS = ("form", "event", "segment", "list", "manual")
ENTRY_TOPICS = (events.LEAD_CAPTURED, events.LEAD_RECAPTURED, events.LEAD_UPDATED, events.LEAD_STAGE_CHANGED,
                events.SURVEY_SUBMITTED, events.CONTACT_LOGGED)
REENTRY_MODES = ("never", "after_exit", "after_days")
# What a wait_until step waits for: the events a run hears (`contact.logged:<outcome>` for one call outcome).
WAIT_EVENTS = (events.SURVEY_SUBMITTED, events.EMAIL_DELIVERED, events.EMAIL_BOUNCED, events.EMAIL_OPENED,
               events.EMAIL_CLICKED, events.LEAD_CAPTURED, events.CONTACT_LOGGED)
# What a branch can ask happened: to a send_email step's message, or during the run.
MESSAGE_HAPPENINGS = ("delivered", "bounced", "opened", "not_opened", "clicked", "not_clicked")
RUN_HAPPENINGS = ("survey_submitted", "form_submitted")
CALL_OUTCOME = "call_outcome:"
STEP_TYPES = ("send_email", "wait", "wait_until", "branch", "add_to_call_list", "set_field", "add_points",
              "change_stage", "hand_to_sales", "exit")
STAGES = ("new", "mql", "sql", "nurture", "disqualified")  # the stages a journey may move a lead to
MAX_STEPS = 200
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_FIELD = re.compile(r"^(custom\.[A-Za-z0-9_]{1,60}|[a-z_]{1,40})$")
SETTABLE_FIELDS = ("first_name", "last_name", "job_title", "company", "phone", "mobile", "city", "region",
                   "country", "language")


@dataclass(frozen=True)
class Problem:
    step: str | None  # the step's id, None for the journey's own fields (entry, goals, start)
    field: str
    reason: str

    @property
    def path(self) -> str:
        """Where, as the API names it: `steps.s2.template_id`, `entry.0.form_id`."""
        return f"steps.{self.step}.{self.field}" if self.step is not None else self.field


class DefinitionError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.reason}" for p in problems))


@dataclass(frozen=True)
class Entry:
    kind: str  # form, event, segment, list, manual
    form_id: int | None = None
    topic: str | None = None
    condition: Rule | None = None
    segment_id: int | None = None
    call_list_id: int | None = None


@dataclass(frozen=True)
class Reentry:
    mode: str = "never"  # never | after_exit (once the last run ended) | after_days (days after the last entry)
    days: int | None = None


@dataclass(frozen=True)
class Goal:
    name: str
    condition: Rule


@dataclass(frozen=True)
class When:
    """A branch's test: a condition on the lead (and its survey answers), or something that happened."""

    condition: Rule | None = None
    happened: str | None = None  # delivered, ..., survey_submitted, form_submitted, call_outcome:<outcome>
    step: str | None = None  # the send_email step whose message is meant (message happenings)
    form_id: int | None = None  # form_submitted: this form only


@dataclass(frozen=True)
class Way:
    when: When
    next: str | None


@dataclass(frozen=True)
class Step:
    id: str
    next: str | None = None
    name: str | None = None  # the editor's label
    type = "step"

    def targets(self) -> tuple[str | None, ...]:
        """The steps this one can lead to (None: the run ends)."""
        return (self.next,)


@dataclass(frozen=True)
class SendEmail(Step):
    template_id: int | None = None
    experiment_id: int | None = None
    type = "send_email"


@dataclass(frozen=True)
class Wait(Step):
    duration: timedelta = timedelta(0)
    type = "wait"


@dataclass(frozen=True)
class WaitUntil(Step):
    events: tuple[str, ...] = ()
    timeout: timedelta | None = None
    date: datetime | None = None
    form_id: int | None = None  # lead.captured: this form only
    timeout_next: str | None = None  # where a run goes when the timeout (or date) came first; default `next`
    has_timeout_next: bool = False
    type = "wait_until"

    def targets(self) -> tuple[str | None, ...]:
        return (self.next, self.timeout_next) if self.has_timeout_next else (self.next,)


@dataclass(frozen=True)
class Branch(Step):
    ways: tuple[Way, ...] = ()
    otherwise: str | None = None  # "else"
    type = "branch"

    def targets(self) -> tuple[str | None, ...]:
        return (*(way.next for way in self.ways), self.otherwise)


@dataclass(frozen=True)
class AddToCallList(Step):
    call_list_id: int = 0
    type = "add_to_call_list"


@dataclass(frozen=True)
class SetField(Step):
    field: str = ""
    value: object = None
    type = "set_field"


@dataclass(frozen=True)
class AddPoints(Step):
    points: int = 0
    reason: str = ""
    type = "add_points"


@dataclass(frozen=True)
class ChangeStage(Step):
    stage: str = ""
    reason: str = ""
    type = "change_stage"


@dataclass(frozen=True)
class HandToSales(Step):
    reason: str = ""
    type = "hand_to_sales"


@dataclass(frozen=True)
class Exit(Step):
    type = "exit"

    def targets(self) -> tuple[str | None, ...]:
        return ()


@dataclass(frozen=True)
class Definition:
    start: str
    steps: dict[str, Step]
    entry: tuple[Entry, ...] = ()
    reentry: Reentry = Reentry()
    goals: tuple[Goal, ...] = ()
    raw: dict = field(default_factory=dict, compare=False)

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]

    def email_steps(self) -> list[SendEmail]:
        return [s for s in self.steps.values() if isinstance(s, SendEmail)]


_DURATION_ISO = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_DURATION_SHORT = re.compile(r"^(\d+)\s*(w|d|h|m|min|s)$")
_SHORT_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "min": "minutes", "s": "seconds"}


def parse_duration(text: object) -> timedelta:
    """ISO 8601 (P7D, PT12H, P1DT6H, P2W) or short ("7d", "12h", "30m", "2w"); months and years are refused (their
    length varies): write days."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("write a duration such as P7D, PT12H, 7d or 12h")
    value = text.strip()
    short = _DURATION_SHORT.match(value.lower())
    if short:
        return timedelta(**{_SHORT_UNITS[short.group(2)]: int(short.group(1))})
    iso = _DURATION_ISO.match(value.upper())
    if iso and any(iso.groups()) and not value.upper().endswith("T"):
        weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in iso.groups())
        return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if re.match(r"^P.*\d+[MY]", value.upper()) and "T" not in value.upper().split("M")[0]:
        raise ValueError(f"'{value}': months and years vary in length; write days (P30D)")
    raise ValueError(f"'{value}' is no duration; write P7D, PT12H, 7d or 12h")


def format_duration(span: timedelta) -> str:
    """The ISO 8601 form of a duration (P7D, PT12H, P1DT6H)."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    return "P" + (f"{days}D" if days or not time else "") + (f"T{time}" if time else "")


def parse_moment(text: object) -> datetime:
    """A date (midnight UTC) or a date and time (UTC unless it says its offset)."""
    if not isinstance(text, str):
        raise ValueError("write a date (2027-01-31) or a date and time (2027-01-31T09:00:00+02:00)")
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is no date; write 2027-01-31 or 2027-01-31T09:00:00+02:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Reader:
    """Reads one JSON object's fields, noting each problem with its step and field instead of stopping."""

    def __init__(self, problems: list[Problem], step: str | None, data: dict, prefix: str = ""):
        self.problems, self.step, self.data, self.prefix = problems, step, data, prefix

    def fail(self, name: str, reason: str) -> None:
        self.problems.append(Problem(self.step, self.prefix + name, reason))

    def given(self, name: str, *, required: bool, empty_too: bool = True):
        """The field's value, or None when it is missing (empty text too, when `empty_too`): a problem if required."""
        value = self.data.get(name)
        if value is None or (empty_too and value == ""):
            if required:
                self.fail(name, "is required")
            return None
        return value

    def text(self, name: str, *, required: bool = True, limit: int = 200) -> str | None:
        value = self.given(name, required=required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(name, "must be text")
            return None
        if len(value) > limit:
            self.fail(name, f"is longer than {limit} characters")
            return None
        return value

    def integer(self, name: str, *, required: bool = True, minimum: int | None = 1) -> int | None:
        value = self.given(name, required=required, empty_too=False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must be a whole number")
            return None
        if minimum is not None and value < minimum:
            self.fail(name, f"must be at least {minimum}")
            return None
        if not plain.fits(value):
            self.fail(name, plain.RANGE_REASON)
            return None
        return value

    def condition(self, name: str) -> Rule | None:
        text = self.text(name, limit=2000)
        if text is None:
            return None
        try:
            return parse(text, condition_fields.JOURNEY)
        except RuleError as error:
            self.fail(name, f"{error.message} (at column {error.position + 1})")
            return None

    def duration(self, name: str, *, required: bool = True) -> timedelta | None:
        value = self.given(name, required=required)
        if value is None:
            return None
        try:
            span = parse_duration(value)
        except ValueError as error:
            self.fail(name, str(error))
            return None
        if span <= timedelta(0):
            self.fail(name, "must be longer than nothing")
            return None
        if span > timedelta(days=3650):
            self.fail(name, "must be at most ten years")
            return None
        return span

    def target(self, name: str, *, required: bool = False) -> str | None:
        """A step id another field leads to (checked against the steps once all are read); null ends the run."""
        value = self.given(name, required=required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a step's id or null")
            return None
        return value


def parse_definition(data: object) -> Definition:
    """The definition, or a DefinitionError listing every problem (each with its step and field)."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise DefinitionError([Problem(None, "definition", "must be an object with entry, start and steps")])
    top = _Reader(problems, None, data)
    entries = tuple(_entries(data.get("entry"), problems))
    reentry = _reentry(data.get("reentry"), problems)
    goals = tuple(_goals(data.get("goals"), problems))
    raw_steps = data.get("steps")
    steps: dict[str, Step] = {}
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.append(Problem(None, "steps", "must be a list of at least one step"))
        raw_steps = []
    elif len(raw_steps) > MAX_STEPS:
        problems.append(Problem(None, "steps", f"a journey has at most {MAX_STEPS} steps"))
        raw_steps = []
    for index, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            problems.append(Problem(None, f"steps.{index}", "must be an object with id and type"))
            continue
        step_id = raw.get("id")
        if not isinstance(step_id, str) or not _ID.match(step_id):
            problems.append(Problem(None, f"steps.{index}.id",
                                    "is required: up to 40 letters, digits, '-' or '_'"))
            continue
        if step_id in steps:
            problems.append(Problem(step_id, "id", "is used by another step"))
            continue
        step = _step(step_id, raw, problems)
        if step is not None:
            steps[step_id] = step
    start = top.text("start", required=False) or (raw_steps[0].get("id") if raw_steps and isinstance(
        raw_steps[0], dict) else None)
    if start is not None and steps and start not in steps:
        problems.append(Problem(None, "start", f"no step '{start}'"))
    _check_targets(steps, problems)
    if not problems and start is not None:
        _check_reachable(start, steps, problems)
    if problems:
        raise DefinitionError(problems)
    return Definition(start=start, steps=steps, entry=entries, reentry=reentry, goals=goals, raw=data)


def problems_of(data: object) -> list[Problem]:
    """Every problem of a definition (empty when it is valid): the editor's live check."""
    try:
        parse_definition(data)
    except DefinitionError as error:
        return error.problems
    return []


def _entries(raw: object, problems: list[Problem]):
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(Problem(None, "entry", "must be a list of entry triggers"))
        return
    for index, item in enumerate(raw):
        reader = _Reader(problems, None, item if isinstance(item, dict) else {}, f"entry.{index}.")
        if not isinstance(item, dict):
            reader.fail("kind", f"an entry trigger is an object with a kind: {', '.join(ENTRY_KINDS)}")
            continue
        kind = item.get("kind")
        if kind not in ENTRY_KINDS:
            reader.fail("kind", f"must be one of {', '.join(ENTRY_KINDS)}")
            continue
        if kind == "form":
            yield Entry("form", form_id=reader.integer("form_id"),
                        condition=reader.condition("condition") if item.get("condition") else None)
        elif kind == "event":
            topic = item.get("topic")
            if topic not in ENTRY_TOPICS:
                reader.fail("topic", f"must be one of {', '.join(ENTRY_TOPICS)}")
            yield Entry("event", topic=topic,
                        condition=reader.condition("condition") if item.get("condition") else None)
        elif kind == "segment":
            yield Entry("segment", segment_id=reader.integer("segment_id"))
        elif kind == "list":
            yield Entry("list", call_list_id=reader.integer("call_list_id"))
        else:
            yield Entry("manual")


def _reentry(raw: object, problems: list[Problem]) -> Reentry:
    if raw is None:
        return Reentry()
    if not isinstance(raw, dict) or raw.get("mode") not in REENTRY_MODES:
        problems.append(Problem(None, "reentry.mode", f"must be one of {', '.join(REENTRY_MODES)}"))
        return Reentry()
    if raw["mode"] == "after_days":
        days = _Reader(problems, None, raw, "reentry.").integer("days")
        return Reentry("after_days", days)
    return Reentry(raw["mode"])


def _goals(raw: object, problems: list[Problem]):
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(Problem(None, "goals", "must be a list of goals"))
        return
    for index, item in enumerate(raw):
        reader = _Reader(problems, None, item if isinstance(item, dict) else {}, f"goals.{index}.")
        name = reader.text("name")
        rule = reader.condition("condition")
        if name and rule:
            yield Goal(name, rule)


def _step(step_id: str, raw: dict, problems: list[Problem]) -> Step | None:
    reader = _Reader(problems, step_id, raw)
    kind = raw.get("type")
    if kind not in STEP_TYPES:
        reader.fail("type", f"must be one of {', '.join(STEP_TYPES)}")
        return None
    common = {"id": step_id, "name": reader.text("name", required=False),
              "next": None if kind == "exit" else reader.target("next")}
    if kind == "send_email":
        template_id = reader.integer("template_id", required=False)
        experiment_id = reader.integer("experiment_id", required=False)
        if (template_id is None) == (experiment_id is None) and "template_id" not in {p.field for p in problems
                                                                                   if p.step == step_id}:
            reader.fail("template_id", "give an email template or an A/B test" if template_id is None
                        else "give an email template or an A/B test, not both")
        return SendEmail(**common, template_id=template_id, experiment_id=experiment_id)
    if kind == "wait":
        return Wait(**common, duration=reader.duration("duration") or timedelta(0))
    if kind == "wait_until":
        return _wait_until(common, reader, raw)
    if kind == "branch":
        return _branch(step_id, common, reader, raw, problems)
    if kind == "add_to_call_list":
        return AddToCallList(**common, call_list_id=reader.integer("call_list_id") or 0)
    if kind == "set_field":
        name = reader.text("field") or ""
        if name and not (_FIELD.match(name) and (name.startswith("custom.") or name in SETTABLE_FIELDS)):
            reader.fail("field", f"must be custom.<name> or one of {', '.join(SETTABLE_FIELDS)}")
        value = raw.get("value")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            reader.fail("value", "must be text, a number, true, false or null")
        elif isinstance(value, str) and len(value) > 500:
            reader.fail("value", "is longer than 500 characters")
        return SetField(**common, field=name, value=value)
    if kind == "add_points":
        points = raw.get("points")
        if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) > 1000:
            reader.fail("points", "must be a whole number from -1000 to 1000, not 0")
            points = 0
        return AddPoints(**common, points=points, reason=reader.text("reason") or "")
    if kind == "change_stage":
        stage = raw.get("stage")
        if stage not in STAGES:
            reader.fail("stage", f"must be one of {', '.join(STAGES)}")
        return ChangeStage(**common, stage=stage or "", reason=reader.text("reason", required=False) or "")
    if kind == "hand_to_sales":
        return HandToSales(**common, reason=reader.text("reason", required=False) or "")
    return Exit(id=step_id, name=common["name"])


def _wait_until(common: dict, reader: _Reader, raw: dict) -> WaitUntil:
    awaited = raw.get("events") or []
    if not isinstance(awaited, list) or not all(isinstance(e, str) for e in awaited):
        reader.fail("events", "must be a list of events")
        awaited = []
    for event in awaited:
        base, _, outcome = event.partition(":")
        if base not in WAIT_EVENTS or (outcome and base != events.CONTACT_LOGGED):
            reader.fail("events", f"'{event}' is no event a journey hears; known: {', '.join(WAIT_EVENTS)} "
                                  "(contact.logged:<outcome> for one call outcome)")
    timeout = reader.duration("timeout", required=False)
    moment = None
    if raw.get("date"):
        try:
            moment = parse_moment(raw["date"])
        except ValueError as error:
            reader.fail("date", str(error))
    if not awaited and moment is None:
        reader.fail("events", "give the events to wait for, or a date")
    if awaited and timeout is None and moment is None and "timeout" not in {p.field for p in reader.problems
                                                                           if p.step == reader.step}:
        reader.fail("timeout", "is required: how long to wait before going on without the event (P3D, 3d)")
    has_timeout_next = "timeout_next" in raw
    return WaitUntil(**common, events=tuple(dict.fromkeys(awaited)), timeout=timeout, date=moment,
                     form_id=reader.integer("form_id", required=False),
                     timeout_next=reader.target("timeout_next"), has_timeout_next=has_timeout_next)


def _branch(step_id: str, common: dict, reader: _Reader, raw: dict, problems: list[Problem]) -> Branch:
    ways = []
    raw_ways = raw.get("branches")
    if not isinstance(raw_ways, list) or not raw_ways:
        reader.fail("branches", "must be a list of at least one way: {\"when\": ..., \"next\": ...}")
        raw_ways = []
    for index, item in enumerate(raw_ways):
        way = _Reader(problems, step_id, item if isinstance(item, dict) else {}, f"branches.{index}.")
        when = item.get("when") if isinstance(item, dict) else None
        if not isinstance(when, dict):
            way.fail("when", "must be {\"condition\": ...} or {\"happened\": ..., \"step\": ...}")
            continue
        test = _Reader(problems, step_id, when, f"branches.{index}.when.")
        if "condition" in when:
            ways.append(Way(When(condition=test.condition("condition")), way.target("next")))
            continue
        happened = when.get("happened")
        if happened in MESSAGE_HAPPENINGS:
            target = test.text("step", limit=40)
            ways.append(Way(When(happened=happened, step=target), way.target("next")))
        elif happened in RUN_HAPPENINGS:
            form_id = test.integer("form_id", required=False) if happened == "form_submitted" else None
            ways.append(Way(When(happened=happened, form_id=form_id), way.target("next")))
        elif isinstance(happened, str) and happened.startswith(CALL_OUTCOME) and happened[len(CALL_OUTCOME):]:
            ways.append(Way(When(happened=happened), way.target("next")))
        else:
            test.fail("happened", "must be a condition or one of " + ", ".join(
                (*MESSAGE_HAPPENINGS, *RUN_HAPPENINGS, CALL_OUTCOME + "<outcome>")))
    return Branch(**{**common, "next": None}, ways=tuple(ways), otherwise=reader.target("else"))


def _check_targets(steps: dict[str, Step], problems: list[Problem]) -> None:
    for step in steps.values():
        for name, target in _named_targets(step):
            if target is not None and target not in steps:
                problems.append(Problem(step.id, name, f"no step '{target}'"))
            if target == step.id:
                problems.append(Problem(step.id, name, "a step cannot lead to itself"))
        if isinstance(step, Branch):
            for index, way in enumerate(step.ways):
                if way.when.step is None:
                    continue
                sent = steps.get(way.when.step)
                if not isinstance(sent, SendEmail):
                    problems.append(Problem(step.id, f"branches.{index}.when.step",
                                            f"'{way.when.step}' is no send_email step"))


def _named_targets(step: Step):
    if isinstance(step, Branch):
        yield from ((f"branches.{i}.next", way.next) for i, way in enumerate(step.ways))
        yield "else", step.otherwise
    elif not isinstance(step, Exit):
        yield "next", step.next
        if isinstance(step, WaitUntil) and step.has_timeout_next:
            yield "timeout_next", step.timeout_next


def _check_reachable(start: str, steps: dict[str, Step], problems: list[Problem]) -> None:
    """Every step reachable from the start, and no loop without a wait in it (a run would spin forever)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(t for t in steps[current].targets() if t is not None)
    for step_id in steps:
        if step_id not in seen:
            problems.append(Problem(step_id, "id", "no step leads here from the start"))
    waits = (Wait, WaitUntil)
    for step in steps.values():
        if isinstance(step, waits):
            continue
        # a loop through instant steps only: found by walking instant steps from this one back to it
        stack, visited = [t for t in step.targets() if t], set()
        while stack:
            current = stack.pop()
            if current == step.id:
                problems.append(Problem(step.id, "next", "leads back to itself without a wait between"))
                stack = []
                break
            if current in visited or isinstance(steps[current], waits):
                continue
            visited.add(current)
            stack.extend(t for t in steps[current].targets() if t)
