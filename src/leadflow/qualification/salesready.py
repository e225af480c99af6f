"""The Sales Ready rule: one condition (docs/conditions.md) over the lead, its score and its BANT answers, written in
the condition language and evaluated with an explanation. This module names the rule's scope and default; the
language itself lives in `leadflow.conditions`.

Pure: standard library only; it never touches the database or the web.
"""

from __future__ import annotations

from leadflow.conditions import fields
from leadflow.conditions.evaluate import Outcome, Part, compile_tree
from leadflow.conditions.evaluate import evaluate as _evaluate
from leadflow.conditions.syntax import (
    COMPARISONS,
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    BoolOp,
    Compare,
    Literal,
    Not,
    Path,
    Rule,
    RuleError,
    Token,
    tokenize,
)
from leadflow.conditions.syntax import parse as _parse

__all__ = ["COMPARISONS", "DEFAULT_RULE", "KEYWORDS", "MAX_DEPTH", "MAX_LENGTH", "NAMES", "OPEN_ROOTS", "BoolOp",
           "Compare", "Literal", "Not", "Outcome", "Part", "Path", "Rule", "RuleError", "Token", "compile_tree",
           "evaluate", "parse", "problems", "tokenize"]

DEFAULT_RULE = 'score >= 60 and grade in ("A", "B") and bant.known >= 3'
SCOPE = fields.SALES_READY
# Every name the rule may use, with what it means; `custom.<name>` and `interests.<family>` take any name.
NAMES: dict[str, str] = {name: meaning for name, meaning in fields.described(SCOPE).items() if "<" not in name}
OPEN_ROOTS = ("custom", "custom_fields", "interests")


def parse(text: str) -> Rule:
    """The rule's AST, or a RuleError with the position of the first problem."""
    return _parse(text, SCOPE)


def problems(text: str) -> RuleError | None:
    try:
        parse(text)
    except RuleError as error:
        return error
    return None


def evaluate(rule: Rule, context: dict) -> Outcome:
    """Whether a lead (its context) matches the rule, with every test's result and the values it saw."""
    return _evaluate(rule, context)
