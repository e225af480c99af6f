"""A follow-up policy as data (docs/followup.md): its condition in the follow-up scope of the condition language, the
hours and the clock they are counted on, the reminder, escalation and reassignment; checked with every problem's
field, and the built-in default that applies when no policy does.

Pure: standard library only; it never touches the database, the clock or the web.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from leadflow.conditions import fields
from leadflow.conditions.evaluate import compile_tree
from leadflow.conditions.syntax import Rule, RuleError, parse
from leadflow.followup.sla import CLOCKS, WORKING_DAYS

SCOPE = fields.FOLLOWUP
TASK_KINDS = ("call", "email", "meeting", "visit", "send_quote", "other")
MAX_HOURS = 24 * 90
MAX_NAME = 200
MAX_POLICIES = 200
KEYS = ("name", "when", "hours", "clock", "remind_before_minutes", "escalate", "reassign_after_hours", "task_kind",
        "active")


@dataclass(frozen=True)
class Policy:
    """A checked policy; `condition` is the compiled `when` (None: every lead)."""

    name: str
    when: str = ""
    hours: int = 24
    clock: str = WORKING_DAYS
    remind_before_minutes: int | None = 120
    escalate: bool = True
    reassign_after_hours: int | None = None
    task_kind: str | None = None
    active: bool = True
    id: int | None = None
    condition: Rule | None = field(default=None, compare=False, repr=False)  # parsed from `when` when not given
    check: Callable[[Mapping], bool] | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self):
        condition = self.condition
        if condition is None and self.when and self.when.strip():
            condition = parse_when(self.when.strip())
        object.__setattr__(self, "condition", condition)
        object.__setattr__(self, "check", compile_tree(condition.tree) if condition is not None else None)

    def applies(self, context: Mapping) -> bool:
        return self.active and (self.check is None or bool(self.check(context)))

    def snapshot(self) -> dict:
        """What a follow-up keeps of the policy that set its times (the policy may change later)."""
        values = asdict(self)
        for key in ("condition", "check", "active"):
            values.pop(key, None)
        return values


DEFAULT = Policy(name="Default (24 hours on working days)")


def parse_when(text: str) -> Rule:
    return parse(text, SCOPE)


def _int(raw: Mapping, key: str, low: int, high: int, problems: list[tuple[str, str]], *, optional: bool,
         default: int | None) -> int | None:
    value = raw.get(key, default)
    if value is None or value == "":
        if optional:
            return None
        problems.append((key, "is required"))
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isascii() and value.strip().lstrip("-").isdecimal():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append((key, f"must be a whole number from {low} to {high}"))
        return None
    if not low <= value <= high:
        problems.append((key, f"must be from {low} to {high}"))
        return None
    return value


def _bool(raw: Mapping, key: str, default: bool, problems: list[tuple[str, str]]) -> bool:
    value = raw.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "on", "1", "yes", "false", "off", "0", "no", ""):
        return value.lower() in ("true", "on", "1", "yes")
    if not isinstance(value, bool):
        problems.append((key, "must be true or false"))
        return default
    return value


def check(raw: object) -> tuple[Policy | None, list[tuple[str, str]]]:
    """A policy from its document ({name, when, hours, clock, ...}) -> (the policy, []) or (None, [(field, reason)])."""
    if not isinstance(raw, Mapping):
        return None, [("policy", "must be an object with name, when, hours, clock, ...")]
    problems: list[tuple[str, str]] = []
    for key in raw:
        if key not in KEYS and key not in ("id", "position"):
            problems.append((str(key)[:40], f"unknown key; known: {', '.join(KEYS)}"))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(("name", "is required: a name people will recognise"))
        name = None
    elif len(name.strip()) > MAX_NAME:
        problems.append(("name", f"at most {MAX_NAME} characters"))
    when = raw.get("when") or ""
    condition = None
    if not isinstance(when, str):
        problems.append(("when", "must be a condition text such as source == \"google\" (empty: every lead)"))
        when = ""
    elif when.strip():
        try:
            condition = parse_when(when.strip())
        except RuleError as error:
            problems.append(("when", f"{error.message} (at column {error.position + 1})"))
    hours = _int(raw, "hours", 1, MAX_HOURS, problems, optional=False, default=24)
    clock = raw.get("clock", WORKING_DAYS) or WORKING_DAYS
    if clock not in CLOCKS:
        problems.append(("clock", f"must be one of {', '.join(CLOCKS)}"))
    remind = _int(raw, "remind_before_minutes", 1, MAX_HOURS * 60, problems, optional=True, default=120)
    reassign = _int(raw, "reassign_after_hours", 1, MAX_HOURS, problems, optional=True, default=None)
    escalate = _bool(raw, "escalate", True, problems)
    active = _bool(raw, "active", True, problems)
    task_kind = raw.get("task_kind") or None
    if task_kind is not None and task_kind not in TASK_KINDS:
        problems.append(("task_kind", f"must be one of {', '.join(TASK_KINDS)} (or empty: no task)"))
    if problems:
        return None, problems
    return Policy(name=name.strip(), when=condition.text if condition else "", hours=hours, clock=clock,
                  remind_before_minutes=remind, escalate=escalate, reassign_after_hours=reassign,
                  task_kind=task_kind, active=active, condition=condition), []


def choose(policies: list[Policy], context: Mapping) -> Policy:
    """The first active policy whose condition holds for the lead, else the default."""
    return next((p for p in policies if p.applies(context)), DEFAULT)


def names(policies: list[Policy]) -> set[str]:
    """Every field the policies' conditions read."""
    found: set[str] = set()
    for policy in policies:
        if policy.condition is not None:
            found.update(policy.condition.names)
    return found


def dump(policy: Policy) -> dict:
    return {key: getattr(policy, key) for key in KEYS}
