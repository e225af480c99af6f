"""Which value survives when two leads become one: a rule per field, never over a value a person edited by hand.

Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.leads.domain import LEAD_FIELDS, FieldChange

RULES = ("newest", "oldest", "survivor", "longest")
DEFAULT_RULE = "newest"


@dataclass(frozen=True)
class Side:
    """One lead of a merge as the rules see it."""

    values: dict                  # lead field -> value
    custom_fields: dict
    manual_fields: frozenset[str]
    updated_at: object            # comparable (datetime)
    created_at: object


def check_rules(rules: dict[str, str]) -> list[tuple[str, str]]:
    """The (field, reason) of every rule that is not valid."""
    errors = []
    for name, rule in rules.items():
        if name not in LEAD_FIELDS and name != "custom_fields":
            errors.append((name, "not a lead field"))
        elif rule not in RULES:
            errors.append((name, f"rule must be one of {', '.join(RULES)}"))
    return errors


def _pick(name: str, survivor: Side, other: Side, s_value, o_value, rule: str) -> object:
    s_manual, o_manual = name in survivor.manual_fields, name in other.manual_fields
    if s_manual != o_manual:  # a person's edit beats any machine value
        return s_value if s_manual else o_value
    if rule == "survivor":
        return s_value
    if rule == "oldest":
        return s_value if survivor.created_at <= other.created_at else o_value
    if rule == "longest":
        return o_value if len(str(o_value)) > len(str(s_value)) else s_value
    return o_value if other.updated_at > survivor.updated_at else s_value


def merged_values(survivor: Side, other: Side, rules: dict[str, str] | None = None) -> tuple[list[FieldChange], dict]:
    """The changes the survivor takes from the other lead, and its merged custom fields."""
    rules = rules or {}
    changes = []
    for name in LEAD_FIELDS:
        s_value, o_value = survivor.values.get(name), other.values.get(name)
        if o_value in (None, "") or o_value == s_value:
            continue
        if s_value in (None, ""):
            changes.append(FieldChange(name, s_value, o_value))
            continue
        chosen = _pick(name, survivor, other, s_value, o_value, rules.get(name, DEFAULT_RULE))
        if chosen != s_value:
            changes.append(FieldChange(name, s_value, chosen))
    custom = dict(survivor.custom_fields or {})
    rule = rules.get("custom_fields", DEFAULT_RULE)
    for key, o_value in (other.custom_fields or {}).items():
        s_value = custom.get(key)
        if s_value in (None, ""):
            custom[key] = o_value
        elif s_value != o_value:
            custom[key] = _pick("custom_fields", survivor, other, s_value, o_value, rule)
    return changes, custom
