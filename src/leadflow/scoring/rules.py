"""The scoring model as data: a rule set (fit rules on declared fields, behaviour rules on events, decay, bands,
grades) parsed and validated from JSON/YAML into compiled dataclasses, and the pure evaluation of both kinds of rule.

Pure: standard library only; no database, no clock (times are seconds since the epoch, given as arguments).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from leadflow import values as plain
from leadflow.errors import FieldError, Invalid
from leadflow.scoring import bands as bands_mod
from leadflow.scoring import decay

OPERATORS = ("equals", "not_equals", "in", "not_in", "contains", "like", "words", "gte", "lte", "known")
PERIODS = ("day", "week", "month", "ever")
LEAD_FIELDS = ("job_title", "company", "country", "language", "email", "email_domain", "city", "region", "industry",
               "employees", "revenue", "channel", "stage", "bant_known")
FIELD_PREFIXES = ("custom.", "bant.", "company.")
EXPLANATION_SIZE = 10
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
_WORD_SPLIT = re.compile(r"[\W_]+", re.UNICODE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_GROUPED = re.compile(r"\d{1,3}(?:[.,']\d{3})+")


# -- conditions -----------------------------------------------------------------------------------------------

def _as_number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace(" ", "").replace("\u00a0", "")
    if _GROUPED.fullmatch(text):  # 1,200 / 1.500 / 1'000: thousands separators
        text = re.sub(r"[.,']", "", text)
    found = _NUMBER.search(text.replace(",", ""))
    return float(found.group()) if found else None


# Letters NFKD leaves whole: folded by hand, so "Direktør" is "direktor" and "Økonomisjef" is "okonomisjef".
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"})


def fold(value: object) -> str:
    """Text as rules compare it: case folded and without diacritics ("Geschäftsführer", "GESCHAFTSFUHRER";
    "toimitusjohtaja", "Toimitusjohtaja"; "Direktør", "direktor" are each one)."""
    text = str(value).casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in text if not unicodedata.combining(c))


def _words(value: object) -> str:
    return " " + " ".join(w for w in _WORD_SPLIT.split(fold(value)) if w) + " "


def _word_terms(texts: tuple[str, ...]) -> re.Pattern | None:
    """One search over a value's words for every term: a whole word or phrase ("head of"), or, written "*leiter",
    any word ending so (the compound words of Nordic, Dutch and German titles: Vertriebsleiter, salgssjef)."""
    parts = []
    for text in texts:
        phrase = _words(text)
        if not phrase.strip():
            continue
        suffix = text.strip().startswith("*")
        parts.append((" [^ ]*" + re.escape(phrase[1:])) if suffix else re.escape(phrase))
    return re.compile("|".join(parts)) if parts else None


def _wildcard(pattern: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in fold(pattern).split("*")), re.DOTALL)


@dataclass(frozen=True)
class Condition:
    """One test of a value: `op` with its operand, compiled once (wildcards, word lists)."""

    op: str
    operand: object
    compiled: tuple = ()

    def test(self, actual: object) -> bool:
        op = self.op
        if op == "known":
            present = actual not in (None, "", [], {})
            return present is bool(self.operand)
        if actual is None or actual == "":
            return op in ("not_equals", "not_in")
        if op in ("gte", "lte"):
            number = _as_number(actual)
            if number is None:
                return False
            return number >= self.operand if op == "gte" else number <= self.operand
        text = fold(actual)
        if op == "equals":
            return text == self.compiled[0]
        if op == "not_equals":
            return text != self.compiled[0]
        if op == "in":
            return text in self.compiled
        if op == "not_in":
            return text not in self.compiled
        if op == "contains":
            return any(part in text for part in self.compiled)
        if op == "like":
            return any(pattern.fullmatch(text) for pattern in self.compiled)
        return bool(self.compiled) and self.compiled[0].search(_words(actual)) is not None


def _condition(spec: object, path: str, problems: list[FieldError]) -> Condition | None:
    """A condition from its spec: {"op": operand}, or shorthand (a string: like; a list: in; a number: equals)."""
    if isinstance(spec, str):
        spec = {"like": spec}
    elif isinstance(spec, list):
        spec = {"in": spec}
    elif isinstance(spec, int | float) and not isinstance(spec, bool):
        spec = {"equals": spec}
    if not isinstance(spec, dict) or len(spec) != 1:
        problems.append(FieldError(path, f"must be one condition like {{\"like\": \"*pricing*\"}}; operators: "
                                         f"{', '.join(OPERATORS)}"))
        return None
    op, operand = next(iter(spec.items()))
    if op not in OPERATORS:
        problems.append(FieldError(f"{path}.{op}", f"unknown operator; use one of {', '.join(OPERATORS)}"))
        return None
    where = f"{path}.{op}"
    if op == "known":
        if not isinstance(operand, bool):
            problems.append(FieldError(where, "must be true or false"))
            return None
        return Condition(op, operand)
    if op in ("gte", "lte"):
        if isinstance(operand, bool) or not isinstance(operand, int | float):
            problems.append(FieldError(where, "must be a number"))
            return None
        return Condition(op, float(operand))
    values = operand if isinstance(operand, list) else [operand]
    if op in ("in", "not_in") and not isinstance(operand, list):
        problems.append(FieldError(where, "must be a list"))
        return None
    if not values or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        problems.append(FieldError(where, "must be a text or a non-empty list of texts"))
        return None
    texts = tuple(fold(v) for v in values)
    if op in ("equals", "not_equals") and len(texts) != 1:
        problems.append(FieldError(where, "must be one value (use in / not_in for several)"))
        return None
    if op == "like":
        return Condition(op, operand, tuple(_wildcard(t) for t in texts))
    if op == "words":
        found = _word_terms(texts)
        return Condition(op, operand, (found,) if found is not None else ())
    return Condition(op, operand, texts)


# -- rules and the rule set -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FitRule:
    id: str
    label: str
    field: str
    condition: Condition
    points: float
    group: str | None = None  # within a group only the first rule that matches counts


@dataclass(frozen=True)
class BehaviourRule:
    id: str
    label: str
    types: tuple[str, ...]  # ("*",): any type
    where: tuple[tuple[str, Condition], ...]
    points: float
    cap: float | None = None  # most points (in absolute value) per period
    period: str = "ever"
    product: str | None = None  # points also count as interest in this product family

    def matches(self, properties: dict) -> bool:
        for name, condition in self.where:
            if not condition.test(properties.get(name)):
                return False
        return True


@dataclass(frozen=True)
class RuleSet:
    name: str
    half_life_days: float | None
    bands: dict[str, float]
    grades: dict[str, float]
    fit: tuple[FitRule, ...]
    behaviour: tuple[BehaviourRule, ...]
    explanation_size: int = EXPLANATION_SIZE
    by_type: dict[str, tuple[BehaviourRule, ...]] = field(default_factory=dict)

    def rules_for(self, event_type: str) -> tuple[BehaviourRule, ...]:
        found = self.by_type.get(event_type)
        if found is None:
            return self.by_type.get("*", ())
        return found

    @property
    def products(self) -> list[str]:
        return sorted({r.product for r in self.behaviour if r.product})


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


def _fit_rule(raw: object, path: str, seen: set[str], problems: list[FieldError]) -> FitRule | None:
    if not isinstance(raw, dict):
        problems.append(FieldError(path, "must be an object"))
        return None
    before = len(problems)
    unknown = set(raw) - {"id", "label", "field", "match", "points", "group"}
    for key in sorted(unknown):
        problems.append(FieldError(f"{path}.{key}", "unknown key"))
    rule_id = _rule_id(raw, path, seen, problems)
    label = _text(raw, "label", path, problems)
    name = _text(raw, "field", path, problems, required=True)
    if name and name not in LEAD_FIELDS and not (name.startswith(FIELD_PREFIXES) and len(name.split(".", 1)[1]) > 0):
        problems.append(FieldError(f"{path}.field", f"unknown field; use {', '.join(LEAD_FIELDS)}, custom.<name>, "
                                                    f"company.<field> or bant.<criterion>"))
    if "match" not in raw:
        problems.append(FieldError(f"{path}.match", "is required"))
        condition = None
    else:
        condition = _condition(raw["match"], f"{path}.match", problems)
    points = _points(raw, path, problems)
    group = _text(raw, "group", path, problems)
    if len(problems) > before or rule_id is None or condition is None or points is None or name is None:
        return None
    return FitRule(rule_id, label or rule_id, name, condition, points, group)


def _behaviour_rule(raw: object, path: str, seen: set[str], problems: list[FieldError]) -> BehaviourRule | None:
    if not isinstance(raw, dict):
        problems.append(FieldError(path, "must be an object"))
        return None
    before = len(problems)
    for key in sorted(set(raw) - {"id", "label", "event", "where", "points", "cap", "product"}):
        problems.append(FieldError(f"{path}.{key}", "unknown key"))
    rule_id = _rule_id(raw, path, seen, problems)
    label = _text(raw, "label", path, problems)
    event = raw.get("event")
    types = tuple(event) if isinstance(event, list) else (event,)
    if not types or not all(isinstance(t, str) and t.strip() for t in types):
        problems.append(FieldError(f"{path}.event", "is required: an event type, a list of types, or \"*\""))
    where: list[tuple[str, Condition]] = []
    raw_where = raw.get("where") or {}
    if not isinstance(raw_where, dict):
        problems.append(FieldError(f"{path}.where", "must be an object: property -> condition"))
    else:
        for prop, spec in raw_where.items():
            condition = _condition(spec, f"{path}.where.{prop}", problems)
            if condition is not None:
                where.append((str(prop), condition))
    points = _points(raw, path, problems)
    cap, period = None, "ever"
    if raw.get("cap") is not None:
        spec = raw["cap"]
        if not isinstance(spec, dict):
            problems.append(FieldError(f"{path}.cap", "must be an object like {\"points\": 30, \"period\": \"week\"}"))
        else:
            cap = spec.get("points")
            if isinstance(cap, bool) or not isinstance(cap, int | float) or cap <= 0:
                problems.append(FieldError(f"{path}.cap.points", "must be a positive number"))
            period = spec.get("period", "ever")
            if period not in PERIODS:
                problems.append(FieldError(f"{path}.cap.period", f"must be one of {', '.join(PERIODS)}"))
            for key in sorted(set(spec) - {"points", "period"}):
                problems.append(FieldError(f"{path}.cap.{key}", "unknown key"))
    product = _text(raw, "product", path, problems)
    if len(problems) > before or rule_id is None or points is None:
        return None
    return BehaviourRule(rule_id, label or rule_id, tuple(t.strip() for t in types), tuple(where), points,
                         float(cap) if cap is not None else None, period, product)


MAX_DEPTH = 12


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
    fit_raw = definition.get("fit", [])
    behaviour_raw = definition.get("behaviour", [])
    fit: list[FitRule] = []
    behaviour: list[BehaviourRule] = []
    if not isinstance(fit_raw, list):
        problems.append(FieldError("fit", "must be a list of rules"))
    else:
        for i, raw in enumerate(fit_raw):
            rule = _fit_rule(raw, f"fit[{i}]", seen, problems)
            if rule:
                fit.append(rule)
    if not isinstance(behaviour_raw, list):
        problems.append(FieldError("behaviour", "must be a list of rules"))
    else:
        for i, raw in enumerate(behaviour_raw):
            rule = _behaviour_rule(raw, f"behaviour[{i}]", seen, problems)
            if rule:
                behaviour.append(rule)
    if problems:
        raise Invalid(problems)
    types = {t for rule in behaviour for t in rule.types if t != "*"}
    ordered = {t: tuple(r for r in behaviour if t in r.types or "*" in r.types) for t in types}
    ordered["*"] = tuple(r for r in behaviour if "*" in r.types)
    return RuleSet(name=name, half_life_days=float(half_life) if half_life else None,
                   bands={k: float(v) for k, v in bands.items()}, grades={k: float(v) for k, v in grades.items()},
                   fit=tuple(fit), behaviour=tuple(behaviour), explanation_size=size, by_type=ordered)


# -- fit ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FitResult:
    points: float
    grade: str
    hits: tuple[tuple[str, str, float], ...]  # (rule id, label, points), in rule order


def evaluate_fit(rule_set: RuleSet, declared: dict[str, object]) -> FitResult:
    """Fit points and grade from a lead's declared fields (a flat dict: job_title, custom.x, bant.budget, ...)."""
    total = 0.0
    hits: list[tuple[str, str, float]] = []
    groups_done: set[str] = set()
    for rule in rule_set.fit:
        if rule.group and rule.group in groups_done:
            continue
        if rule.condition.test(declared.get(rule.field)):
            total += rule.points
            hits.append((rule.id, rule.label, rule.points))
            if rule.group:
                groups_done.add(rule.group)
    return FitResult(total, bands_mod.grade_of(total, rule_set.grades), tuple(hits))


# -- behaviour ----------------------------------------------------------------------------------------------------

@dataclass
class BehaviourState:
    """Behaviour points and interests as of `as_of` (epoch seconds), the strongest contributions, cap counters."""

    points: float = 0.0
    as_of: float = 0.0
    interests: dict[str, float] = field(default_factory=dict)
    contributions: list = field(default_factory=list)  # (rule id, points, epoch seconds, event id, event type)
    counters: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreChange:
    rule_id: str
    points: float
    event_id: int | None


@lru_cache(maxsize=4096)
def _month_of_day(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).strftime("m%Y-%m")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def period_key(period: str, at: float) -> str:
    """The cap period an event falls in: "ever", or the UTC day, ISO week (from Monday) or month."""
    if period == "ever":
        return "ever"
    day = int(at // 86400)
    if period == "day":
        return f"d{day}"
    if period == "week":
        return f"w{(day + 3) // 7}"
    return _month_of_day(day)


_KEPT_PERIODS = 4


def apply_event(rule_set: RuleSet, state: BehaviourState, event_type: str, properties: dict, at: float,
                event_id: int | None = None) -> list[ScoreChange]:
    """Apply one event to the state in constant time: every matching behaviour rule, within its cap."""
    return apply_matched(rule_set, state, event_type, matching_rules(rule_set, event_type, properties), at, event_id)


def matching_rules(rule_set: RuleSet, event_type: str, properties: dict) -> tuple[BehaviourRule, ...]:
    """The behaviour rules an event matches, before caps (the same for every event with the same properties)."""
    return tuple(rule for rule in rule_set.rules_for(event_type) if not rule.where or rule.matches(properties))


def apply_matched(rule_set: RuleSet, state: BehaviourState, event_type: str, matched: tuple[BehaviourRule, ...],
                  at: float, event_id: int | None = None) -> list[ScoreChange]:
    """Apply the rules an event matched: caps per period, decay, interests, contributions."""
    changes: list[ScoreChange] = []
    half_life = rule_set.half_life_days
    for rule in matched:
        points = rule.points
        if rule.cap is not None:
            key = period_key(rule.period, at)
            counts = state.counters.setdefault(rule.id, {})
            already = counts.get(key, 0.0)
            room = rule.cap - abs(already)
            if room <= 0:
                continue
            points = max(-room, min(room, points))
            counts[key] = already + points
            if len(counts) > _KEPT_PERIODS:
                del counts[min(counts)]
        if not points:
            continue
        _add(state, points, at, half_life, rule.product)
        changes.append(ScoreChange(rule.id, points, event_id))
        state.contributions.append((rule.id, points, at, event_id, event_type))
    if len(state.contributions) > 2 * rule_set.explanation_size:
        trim(state, rule_set)
    return changes


def _add(state: BehaviourState, points: float, at: float, half_life: float | None, product: str | None) -> None:
    if at > state.as_of and state.interests and half_life:
        kept = decay.factor(at - state.as_of, half_life)
        state.interests = {family: value * kept for family, value in state.interests.items()}
    old_as_of = state.as_of
    state.points, state.as_of = decay.add(state.points, state.as_of, points, at, half_life)
    if product:
        own = points if at >= old_as_of else points * decay.factor(old_as_of - at, half_life)
        state.interests[product] = state.interests.get(product, 0.0) + own


def trim(state: BehaviourState, rule_set: RuleSet) -> None:
    """Keep the strongest contributions by their decayed value as of the state's time."""
    half_life, ref = rule_set.half_life_days, state.as_of
    state.contributions.sort(key=lambda c: -abs(c[1]) * decay.factor(ref - c[2], half_life))
    del state.contributions[rule_set.explanation_size:]


def behaviour_at(rule_set: RuleSet, state: BehaviourState, at: float) -> float:
    return decay.value_at(state.points, state.as_of, at, rule_set.half_life_days)


def interests_at(rule_set: RuleSet, state: BehaviourState, at: float) -> dict[str, float]:
    return {family: round(decay.value_at(value, state.as_of, at, rule_set.half_life_days), 1)
            for family, value in sorted(state.interests.items(), key=lambda kv: -kv[1])}


def total_score(fit_points: float, behaviour_points: float) -> int:
    """score = round(fit points + decayed behaviour points), never below zero."""
    return max(0, round(fit_points + behaviour_points))


def explain(rule_set: RuleSet, fit: FitResult, state: BehaviourState, at: float, size: int = 5) -> list[dict]:
    """The strongest reasons for a score as of `at`: fit rules hit and behaviour contributions with decayed points."""
    hits, contributions = fit.hits, state.contributions
    shown = [round(points, 1) for _, _, points in hits]
    half_life = rule_set.half_life_days
    if half_life:  # decay.value_at, inlined: the same arithmetic
        scale = half_life * decay.DAY
        shown += [round(c[1] * (math.pow(2.0, -(at - c[2]) / scale) if at - c[2] > 0 else 1.0), 1)
                  for c in contributions]
    else:
        shown += [round(c[1] * 1.0, 1) for c in contributions]
    # the strongest first (a stable sort: fit before behaviour, then in stored order); only those are formatted
    keys = [-abs(value) for value in shown]
    order = sorted(range(len(shown)), key=keys.__getitem__)[:size]
    labels = _labels(rule_set)
    reasons = []
    for i in order:
        if i < len(hits):
            rule_id, label, _ = hits[i]
            reasons.append({"kind": "fit", "rule": rule_id, "label": label, "points": shown[i]})
        else:
            rule_id, _, t, event_id, event_type = contributions[i - len(hits)]
            reasons.append({"kind": "behaviour", "rule": rule_id, "label": labels.get(rule_id, rule_id),
                            "points": shown[i], "event_id": event_id, "type": event_type,
                            "at": datetime.fromtimestamp(t, UTC).isoformat()})
    return reasons


_label_cache: dict[int, tuple[RuleSet, dict[str, str]]] = {}


def _labels(rule_set: RuleSet) -> dict[str, str]:
    """Behaviour rule labels by id, once per rule set object."""
    found = _label_cache.get(id(rule_set))
    if found is None or found[0] is not rule_set:
        if len(_label_cache) > 64:
            _label_cache.clear()
        found = _label_cache[id(rule_set)] = (rule_set, {rule.id: rule.label for rule in rule_set.behaviour})
    return found[1]
