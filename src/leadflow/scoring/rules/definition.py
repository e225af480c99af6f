"""A rule set from its definition (JSON/YAML data), validated with the path of each problem and compiled onto the
condition core: a data condition (`field` with `match`, or `where`) becomes the core's tree, and a rule may give its
condition as text instead (`when`, in the condition language of docs/conditions.md).

Pure: standard library only.
"""

from __future__ import annotations

import re

from leadflow import values as plain
from leadflow.conditions import fields as catalogue
from leadflow.conditions import syntax
from leadflow.conditions.evaluate import compile_tree
from leadflow.conditions.syntax import RuleError
from leadflow.conditions.tree import BoolOp, Compare, Literal, Not, Path
from leadflow.conditions.tree import path as checked_path
from leadflow.errors import FieldError, Invalid
from leadflow.scoring import bands as bands_mod
from leadflow.scoring.rules.model import (
    EXPLANATION_SIZE,
    OPERATORS,
    PERIODS,
    BehaviourRule,
    Condition,
    FitRule,
    RuleSet,
)

MAX_DEPTH = 12
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
# The tree each data operator stands for ("not_equals" is `not (x == v)`: true when x is unknown, as ever).
_TREE = {"equals": "==", "not_equals": "==", "in": "in", "not_in": "in", "contains": "contains", "like": "like",
         "words": "has words", "gte": ">=", "lte": "<="}
_OPERATORS_HINT = f"operators: {', '.join(OPERATORS)}"



# The data form has always taken any name under these roots (`company.size`, `bant.Budget`, `custom.utm.source`),
# read from the lead's declared fields as written: rule sets saved so keep loading and scoring as they did.
OPEN_PREFIXES = ("custom.", "company.", "bant.")


def _open_path(name: str) -> Path | None:
    if name.startswith(OPEN_PREFIXES) and name.split(".", 1)[1]:
        return Path(name, (name,), canonical=name)
    return None


def _condition(spec: object, path: Path, where: str, problems: list[FieldError]):
    """A data condition as the core's tree with how it was written, from {"op": operand} or a shorthand (a
    string: like; a list: in; a number: equals)."""
    if isinstance(spec, str):
        spec = {"like": spec}
    elif isinstance(spec, list):
        spec = {"in": spec}
    elif isinstance(spec, int | float) and not isinstance(spec, bool):
        spec = {"equals": spec}
    if not isinstance(spec, dict) or len(spec) != 1:
        problems.append(FieldError(where, f"must be one condition like {{\"like\": \"*pricing*\"}}; "
                                          f"{_OPERATORS_HINT}"))
        return None
    op, operand = next(iter(spec.items()))
    if op not in OPERATORS:
        problems.append(FieldError(f"{where}.{op}", f"unknown operator; use one of {', '.join(OPERATORS)}"))
        return None
    at = f"{where}.{op}"
    if op == "known":
        if not isinstance(operand, bool):
            problems.append(FieldError(at, "must be true or false"))
            return None
        return Compare("known" if operand else "unknown", path, None), Condition(op, operand)
    if op in ("gte", "lte"):
        if isinstance(operand, bool) or not isinstance(operand, int | float):
            problems.append(FieldError(at, "must be a number"))
            return None
        return Compare(_TREE[op], path, Literal(float(operand))), Condition(op, float(operand))
    items = operand if isinstance(operand, list) else [operand]
    if op in ("in", "not_in") and not isinstance(operand, list):
        problems.append(FieldError(at, "must be a list"))
        return None
    if not items or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in items):
        problems.append(FieldError(at, "must be a text or a non-empty list of texts"))
        return None
    if op in ("equals", "not_equals"):
        if len(items) != 1:
            problems.append(FieldError(at, "must be one value (use in / not_in for several)"))
            return None
        tree = Compare("==", path, Literal(items[0]))
    elif op in ("in", "not_in"):
        tree = Compare("in", path, tuple(Literal(v) for v in items))
    else:
        tree = Compare(_TREE[op], path, tuple(Literal(str(v)) for v in items))
    return (Not(tree) if op.startswith("not_") else tree), Condition(op, operand)


def _when(raw: dict, path: str, scope: str, problems: list[FieldError]) -> syntax.Rule | None:
    text = raw.get("when")
    if not isinstance(text, str) or not text.strip():
        problems.append(FieldError(f"{path}.when", "must be a condition such as "
                                                  "'job_title has words (\"ceo\", \"director\")'"))
        return None
    try:
        return syntax.parse(text, scope)
    except RuleError as error:
        problems.append(FieldError(f"{path}.when", f"{error.message} (at column {error.position + 1})"))
        return None


def _text(raw: dict, key: str, path: str, problems: list[FieldError], *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            problems.append(FieldError(f"{path}.{key}", "is required"))
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldError(f"{path}.{key}", "must be a non-empty text"))
        return None
    return value.strip()


def _points(raw: dict, path: str, problems: list[FieldError]) -> float | None:
    value = raw.get("points")
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(FieldError(f"{path}.points", "must be a number (negative to take points away)"))
        return None
    if abs(value) > 1000:
        problems.append(FieldError(f"{path}.points", "must be between -1000 and 1000"))
        return None
    return float(value)


def _rule_id(raw: dict, path: str, seen: set[str], problems: list[FieldError]) -> str | None:
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        problems.append(FieldError(f"{path}.id", "is required: lower-case letters, digits, '_', '-' or '.'"))
        return None
    if rule_id in seen:
        problems.append(FieldError(f"{path}.id", f"'{rule_id}' is used by another rule"))
        return None
    seen.add(rule_id)
    return rule_id


def _keys(node) -> tuple[str, ...]:
    """Every context key a tree may read."""
    if isinstance(node, Path):
        return node.keys
    found: list[str] = []
    for child in (getattr(node, "left", None), getattr(node, "right", None), getattr(node, "operand", None),
                  *getattr(node, "operands", ())):
        for item in child if isinstance(child, tuple) else (child,):
            if item is not None and not isinstance(item, Literal):
                found.extend(_keys(item))
    return tuple(dict.fromkeys(found))


def _fit_rule(raw: object, path: str, seen: set[str], problems: list[FieldError]) -> FitRule | None:
    if not isinstance(raw, dict):
        problems.append(FieldError(path, "must be an object"))
        return None
    before = len(problems)
    for key in sorted(set(raw) - {"id", "label", "field", "match", "when", "points", "group"}):
        problems.append(FieldError(f"{path}.{key}", "unknown key"))
    rule_id = _rule_id(raw, path, seen, problems)
    label = _text(raw, "label", path, problems)
    compiled = None
    if "when" in raw:
        for key in ("field", "match"):
            if key in raw:
                problems.append(FieldError(f"{path}.{key}", "give either when (a condition) or field with match"))
        rule = _when(raw, path, catalogue.FIT, problems)
        if rule is not None:
            compiled = rule.tree, Condition("when", rule.text.strip()), ", ".join(rule.names)
    else:
        name = _text(raw, "field", path, problems, required=True)
        field_path = None
        if name:
            try:
                field_path = checked_path(name, catalogue.FIT)
            except ValueError as error:
                field_path = _open_path(name)
                if field_path is None:
                    problems.append(FieldError(f"{path}.field", str(error)))
        if "match" not in raw:
            problems.append(FieldError(f"{path}.match", "is required (or give the whole condition as when)"))
        else:  # checked even when the field is not, so every problem is named at once
            made = _condition(raw["match"], field_path or Path(str(name)), f"{path}.match", problems)
            if made is not None and field_path is not None:
                compiled = made[0], made[1], name
    points = _points(raw, path, problems)
    group = _text(raw, "group", path, problems)
    if len(problems) > before or rule_id is None or compiled is None or points is None:
        return None
    tree, shown, field_name = compiled
    return FitRule(rule_id, label or rule_id, field_name, shown, points, group, compile_tree(tree), _keys(tree))


def _behaviour_rule(raw: object, path: str, seen: set[str], problems: list[FieldError]) -> BehaviourRule | None:
    if not isinstance(raw, dict):
        problems.append(FieldError(path, "must be an object"))
        return None
    before = len(problems)
    for key in sorted(set(raw) - {"id", "label", "event", "where", "when", "points", "cap", "product"}):
        problems.append(FieldError(f"{path}.{key}", "unknown key"))
    rule_id = _rule_id(raw, path, seen, problems)
    label = _text(raw, "label", path, problems)
    event = raw.get("event")
    types = tuple(event) if isinstance(event, list) else (event,)
    if not types or not all(isinstance(t, str) and t.strip() for t in types):
        problems.append(FieldError(f"{path}.event", "is required: an event type, a list of types, or \"*\""))
    trees: list = []
    where: list[tuple[str, Condition]] = []
    raw_where = raw.get("where") or {}
    if "when" in raw:
        if raw_where:
            problems.append(FieldError(f"{path}.where", "give either when (a condition) or where"))
        rule = _when(raw, path, catalogue.EVENT, problems)
        if rule is not None:
            trees.append(rule.tree)
            where.append(("when", Condition("when", rule.text.strip())))
    elif not isinstance(raw_where, dict):
        problems.append(FieldError(f"{path}.where", "must be an object: property -> condition"))
    else:
        for prop, spec in raw_where.items():
            made = _condition(spec, Path(f"event.{prop}", (str(prop),)), f"{path}.where.{prop}", problems)
            if made is not None:
                trees.append(made[0])
                where.append((str(prop), made[1]))
    points = _points(raw, path, problems)
    cap, period = _cap(raw, path, problems)
    product = _text(raw, "product", path, problems)
    if len(problems) > before or rule_id is None or points is None:
        return None
    test = None
    if trees:
        test = compile_tree(trees[0] if len(trees) == 1 else BoolOp("and", tuple(trees)))
    return BehaviourRule(rule_id, label or rule_id, tuple(t.strip() for t in types), tuple(where), points,
                         float(cap) if cap is not None else None, period, product, test)


def _cap(raw: dict, path: str, problems: list[FieldError]) -> tuple[float | None, str]:
    if raw.get("cap") is None:
        return None, "ever"
    spec = raw["cap"]
    if not isinstance(spec, dict):
        problems.append(FieldError(f"{path}.cap", "must be an object like {\"points\": 30, \"period\": \"week\"}"))
        return None, "ever"
    cap = spec.get("points")
    if isinstance(cap, bool) or not isinstance(cap, int | float) or cap <= 0:
        problems.append(FieldError(f"{path}.cap.points", "must be a positive number"))
    period = spec.get("period", "ever")
    if period not in PERIODS:
        problems.append(FieldError(f"{path}.cap.period", f"must be one of {', '.join(PERIODS)}"))
    for key in sorted(set(spec) - {"points", "period"}):
        problems.append(FieldError(f"{path}.cap.{key}", "unknown key"))
    return cap, period


def parse(definition: object) -> RuleSet:
    """A compiled rule set from its definition, or Invalid with every problem and the path of its field."""
    problems: list[FieldError] = []
    if not isinstance(definition, dict):
        raise Invalid.one("definition", "must be an object with fit and behaviour rules")
    definition, odd = plain.plain_json(definition, "", max_depth=MAX_DEPTH, max_bytes=None)
    if odd:
        raise Invalid([FieldError(e.field or "definition", e.reason) for e in odd[:1]])
    description = definition.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(FieldError("description", "must be a text"))
    for key in sorted(set(definition) - {"name", "description", "half_life_days", "bands", "grades", "fit",
                                         "behaviour", "explanation_size"}):
        problems.append(FieldError(key, "unknown key"))
    name = definition.get("name") or "Scoring rules"
    if not isinstance(name, str):
        problems.append(FieldError("name", "must be a text"))
    half_life = definition.get("half_life_days")
    if half_life is not None and (isinstance(half_life, bool) or not isinstance(half_life, int | float)
                                  or half_life <= 0):
        problems.append(FieldError("half_life_days", "must be a positive number of days (or absent: no decay)"))
    bands = definition.get("bands", dict(bands_mod.DEFAULT_BANDS))
    grades = definition.get("grades", dict(bands_mod.DEFAULT_GRADES))
    problems.extend(FieldError(p, r) for p, r in bands_mod.check_thresholds(bands, grades))
    size = definition.get("explanation_size", EXPLANATION_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 50:
        problems.append(FieldError("explanation_size", "must be a whole number from 1 to 50"))
    seen: set[str] = set()
    fit = _rules(definition.get("fit", []), "fit", _fit_rule, seen, problems)
    behaviour = _rules(definition.get("behaviour", []), "behaviour", _behaviour_rule, seen, problems)
    if problems:
        raise Invalid(problems)
    types = {t for rule in behaviour for t in rule.types if t != "*"}
    ordered = {t: tuple(r for r in behaviour if t in r.types or "*" in r.types) for t in types}
    ordered["*"] = tuple(r for r in behaviour if "*" in r.types)
    return RuleSet(name=name, half_life_days=float(half_life) if half_life else None,
                   bands={k: float(v) for k, v in bands.items()}, grades={k: float(v) for k, v in grades.items()},
                   fit=tuple(fit), behaviour=tuple(behaviour), explanation_size=size, by_type=ordered)


def _rules(raw: object, key: str, make, seen: set[str], problems: list[FieldError]) -> list:
    if not isinstance(raw, list):
        problems.append(FieldError(key, "must be a list of rules"))
        return []
    made = (make(item, f"{key}[{i}]", seen, problems) for i, item in enumerate(raw))
    return [rule for rule in made if rule is not None]
