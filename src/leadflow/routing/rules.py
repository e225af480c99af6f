"""A routing rule set as data (docs/routing.md): ordered rules, each a condition in the routing scope of the condition
language and a target (a user, a team, a queue), validated with the path of every problem, and written back.

Pure: standard library only; it never touches the database, the clock or the web.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from leadflow.conditions import fields
from leadflow.conditions.evaluate import compile_tree
from leadflow.conditions.syntax import Rule, RuleError, parse

__all__ = ["DEFAULT_QUEUE", "KINDS", "MAX_NAME", "MAX_RULES", "METHODS", "RULE_KEYS", "SCOPE", "RoutingRule",
           "RuleSet", "RuleSetError", "Target", "dump", "empty", "load", "parse_when"]

SCOPE = fields.ROUTING
DEFAULT_QUEUE = "Unassigned"
KINDS = ("user", "team", "queue")
METHODS = ("round_robin", "fewest_open")
MAX_RULES = 500
MAX_NAME = 200
DOCUMENT_KEYS = ("fallback_queue", "rules")
RULE_KEYS = ("name", "when", "to", "method", "on_capture", "fallthrough")
_EMAIL = re.compile(r"^[^@\s:]+@[^@\s.]+(\.[^@\s.]+)+$")


class RuleSetError(ValueError):
    """A rule set that cannot be saved: every problem, each as (path, reason), e.g. ("rules[1].when", "...")."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in self.problems))


@dataclass(frozen=True)
class Target:
    """Where a rule sends a lead: `user:EMAIL` (lower-cased), `team:NAME` or `queue:NAME` (names as written)."""

    kind: str  # user, team, queue
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def parse(cls, text: object) -> Target:
        """The target a text names, or ValueError saying what is expected."""
        expected = "must be user:EMAIL, team:NAME or queue:NAME"
        if not isinstance(text, str) or ":" not in text:
            raise ValueError(expected)
        kind, _, name = text.partition(":")
        kind, name = kind.strip().lower(), name.strip()
        if kind not in KINDS:
            raise ValueError(f"{expected}, not '{text.strip()[:60]}'")
        if not name:
            raise ValueError(f"names no {kind}: write {kind}:{'EMAIL' if kind == 'user' else 'NAME'}")
        if len(name) > MAX_NAME:
            raise ValueError(f"the {kind}'s name is longer than {MAX_NAME} characters")
        if kind == "user":
            if not _EMAIL.match(name):
                raise ValueError(f"'{name}' is not an email address (user:EMAIL)")
            name = name.lower()
        return cls(kind, name)


@dataclass(frozen=True)
class RoutingRule:
    """One rule: when its condition holds (no condition: every lead), its target takes the lead if it can."""

    name: str
    when: str | None  # None or "": every lead
    to: Target
    method: str = "round_robin"  # or fewest_open; only a team's choice of member
    on_capture: bool = False  # also route at capture (account ownership), not only when Sales Ready
    fallthrough: bool = True  # nobody of the target can take it: try the next matching rule (False: the fallback queue)
    condition: Rule | None = field(default=None, compare=False, repr=False)  # parsed from `when` when not given
    check: Callable[[Mapping], bool] = field(default=None, init=False, compare=False, repr=False)  # type: ignore

    def __post_init__(self):
        when = self.when.strip() if isinstance(self.when, str) else None
        object.__setattr__(self, "when", when or None)
        condition = self.condition
        if condition is None and self.when:
            condition = parse_when(self.when)
        object.__setattr__(self, "condition", condition)
        check = compile_tree(condition.tree) if condition is not None else _always
        object.__setattr__(self, "check", check)

    def matches(self, context: Mapping) -> bool:
        return self.check(context)


def _always(context: Mapping) -> bool:
    return True


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[RoutingRule, ...]
    fallback_queue: str = DEFAULT_QUEUE

    def names(self) -> tuple[str, ...]:
        """Every field the rules' conditions read (catalogue names, in order of first use): what a context needs."""
        found: dict[str, None] = {}
        for rule in self.rules:
            if rule.condition is not None:
                found.update(dict.fromkeys(rule.condition.names))
        return tuple(found)

    def teams(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.to.name for r in self.rules if r.to.kind == "team"))

    def users(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.to.name for r in self.rules if r.to.kind == "user"))

    def queues(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(r.to.name for r in self.rules if r.to.kind == "queue"), self.fallback_queue]))


def parse_when(text: str) -> Rule:
    """A rule's condition in the routing scope, or RuleError with the position of the first problem."""
    return parse(text, SCOPE)


def empty() -> RuleSet:
    return RuleSet(())


def load(document: object) -> RuleSet:
    """The rule set a document describes, or RuleSetError naming every problem with its path."""
    problems: list[tuple[str, str]] = []
    if not isinstance(document, Mapping):
        raise RuleSetError([("", "must be an object with rules (a list) and optionally fallback_queue")])
    for key in document:
        if key not in DOCUMENT_KEYS:
            problems.append((str(key), f"unknown key; known: {', '.join(DOCUMENT_KEYS)}"))
    fallback = DEFAULT_QUEUE
    if "fallback_queue" in document:
        fallback = _name(document["fallback_queue"], "fallback_queue", "a queue's name", problems) or DEFAULT_QUEUE
    raw_rules = document.get("rules")
    rules: list[RoutingRule] = []
    if "rules" not in document:
        problems.append(("rules", "is required: a list of rules (it may be empty)"))
    elif not isinstance(raw_rules, list | tuple):
        problems.append(("rules", "must be a list of rules"))
    else:
        if len(raw_rules) > MAX_RULES:
            problems.append(("rules", f"at most {MAX_RULES} rules; this has {len(raw_rules)}"))
        seen: dict[str, int] = {}
        for i, raw in enumerate(raw_rules):
            rule = _rule(raw, f"rules[{i}]", i, seen, problems)
            if rule is not None:
                rules.append(rule)
    if problems:
        raise RuleSetError(problems)
    return RuleSet(tuple(rules), fallback)


def dump(rule_set: RuleSet) -> dict:
    """The document of a rule set (defaults left out), so that `load(dump(x)) == x`."""
    rules = []
    for rule in rule_set.rules:
        raw: dict = {"name": rule.name}
        if rule.when:
            raw["when"] = rule.when
        raw["to"] = str(rule.to)
        if rule.method != "round_robin":
            raw["method"] = rule.method
        if rule.on_capture:
            raw["on_capture"] = True
        if not rule.fallthrough:
            raw["fallthrough"] = False
        rules.append(raw)
    return {"fallback_queue": rule_set.fallback_queue, "rules": rules}


def _rule(raw: object, path: str, index: int, seen: dict[str, int],
          problems: list[tuple[str, str]]) -> RoutingRule | None:
    if not isinstance(raw, Mapping):
        problems.append((path, "must be an object with name, when and to"))
        return None
    before = len(problems)
    for key in raw:
        if key not in RULE_KEYS:
            problems.append((f"{path}.{key}", f"unknown key; known: {', '.join(RULE_KEYS)}"))
    name = None
    if "name" not in raw:
        problems.append((f"{path}.name", "is required"))
    else:
        name = _name(raw["name"], f"{path}.name", "the rule's name", problems)
    if name is not None:
        folded = name.casefold()
        if folded in seen:
            problems.append((f"{path}.name", f"'{name}' is the name of rules[{seen[folded]}] too; names are unique"))
        else:
            seen[folded] = index
    condition = None
    when = raw.get("when")
    if when is not None and not isinstance(when, str):
        reason = "must be a condition text such as 'country == \"FI\"' (leave it out to take every lead)"
        problems.append((f"{path}.when", reason))
    elif when and when.strip():
        try:
            condition = parse_when(when.strip())
        except RuleError as error:
            problems.append((f"{path}.when", f"{error.message} (at column {error.position + 1})"))
    target = None
    if "to" not in raw:
        problems.append((f"{path}.to", "is required: user:EMAIL, team:NAME or queue:NAME"))
    else:
        try:
            target = Target.parse(raw["to"])
        except ValueError as error:
            problems.append((f"{path}.to", str(error)))
    method = raw.get("method", "round_robin")
    if "method" in raw:
        if method not in METHODS:
            problems.append((f"{path}.method", f"must be one of {', '.join(METHODS)}"))
        elif target is not None and target.kind != "team":
            reason = f"only a team target chooses a member; this rule sends to a {target.kind}"
            problems.append((f"{path}.method", reason))
    flags = {}
    for key, default in (("on_capture", False), ("fallthrough", True)):
        value = raw.get(key, default)
        if not isinstance(value, bool):
            problems.append((f"{path}.{key}", f"must be true or false (a YAML/JSON boolean, not {value!r})"))
        flags[key] = value
    if len(problems) > before or name is None or target is None:
        return None
    return RoutingRule(name, condition.text if condition else None, target, method, flags["on_capture"],
                       flags["fallthrough"], condition)


def _name(value: object, path: str, what: str, problems: list[tuple[str, str]]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append((path, f"must be a non-empty text: {what}"))
        return None
    if len(value.strip()) > MAX_NAME:
        problems.append((path, f"is longer than {MAX_NAME} characters"))
        return None
    return value.strip()
