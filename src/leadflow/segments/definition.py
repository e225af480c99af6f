"""A segment as data (docs/segments.md): its name, description and condition in the `segment` scope of the condition
language, checked with every problem's field (a condition's with its column), and compiled once for the hot paths.

Pure: standard library only; it never touches the database, the clock or the web.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from leadflow.conditions import fields
from leadflow.conditions.evaluate import compile_tree
from leadflow.conditions.syntax import MAX_LENGTH, Rule, RuleError, parse
from leadflow.errors import FieldError, Invalid

SCOPE = fields.SEGMENT
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_CONDITION = MAX_LENGTH
# Names whose values scoring sets for every lead at once (a rescore): segments reading them are checked again then.
SCORED = frozenset({"score", "grade", "band", "fit", "predicted_probability", "sales_ready"})


@dataclass(frozen=True)
class Checked:
    """A segment's fields as they will be saved: trimmed and valid, the condition parsed."""

    name: str
    description: str | None
    condition: str
    rule: Rule


def problem(condition: str) -> RuleError | None:
    """Why a condition cannot be saved (with its position), or None."""
    try:
        parse_condition(condition)
    except RuleError as error:
        return error
    return None


def parse_condition(condition: str) -> Rule:
    if not (condition or "").strip():
        raise RuleError("write a condition, such as country == \"FI\" and score >= 50", 0, condition or "")
    return parse(condition.strip(), SCOPE)


def reason(error: RuleError) -> str:
    return f"{error.message} (at column {error.position + 1})"


def check(raw: Mapping, *, partial: bool = False) -> dict:
    """The fields given, trimmed and valid, or Invalid naming each problem's field (a condition's with its column).
    `partial`: only the keys present are checked (a change)."""
    problems: list[FieldError] = []
    values: dict = {}
    if not partial or "name" in raw:
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(FieldError("name", "is required"))
        elif len(name.strip()) > MAX_NAME:
            problems.append(FieldError("name", f"must be at most {MAX_NAME} characters"))
        else:
            values["name"] = " ".join(name.split())
    if "description" in raw:
        description = raw.get("description")
        if description is not None and not isinstance(description, str):
            problems.append(FieldError("description", "must be text"))
        elif description and len(description) > MAX_DESCRIPTION:
            problems.append(FieldError("description", f"must be at most {MAX_DESCRIPTION} characters"))
        else:
            values["description"] = (description or "").strip() or None
    if not partial or "condition" in raw:
        condition = raw.get("condition")
        if not isinstance(condition, str):
            problems.append(FieldError("condition", "is required: a condition such as country == \"FI\""))
        else:
            try:
                parse_condition(condition)
            except RuleError as error:
                problems.append(FieldError("condition", reason(error)))
            else:
                values["condition"] = condition.strip()
    unknown = sorted(set(raw) - {"name", "description", "condition"})
    problems += [FieldError(key, "is not a field of a segment (name, description, condition)") for key in unknown]
    if problems:
        raise Invalid(problems)
    return values


@dataclass(frozen=True)
class Compiled:
    """A segment's condition ready to run: one closure over a lead's context, and the names the context needs."""

    check: Callable[[Mapping], bool]
    names: frozenset[str]

    @property
    def reads_scores(self) -> bool:
        return bool(self.names & SCORED) or any(n.startswith("interests.") for n in self.names)


@lru_cache(maxsize=4096)
def compiled(condition: str) -> Compiled:
    """The condition compiled once per text (a million leads are checked with the same closure)."""
    rule = parse_condition(condition)
    return Compiled(compile_tree(rule.tree), frozenset(rule.names))
