"""docs/conditions.md lists every field a condition can name, with its type and where it can be used, and nothing
the catalogue (`conditions/fields.py`) does not have."""

from __future__ import annotations

import re
from pathlib import Path

from leadflow.conditions import fields

DOC = Path(__file__).resolve().parents[3] / "docs" / "conditions.md"
WHERE = {"fit": fields.FIT, "ready": fields.SALES_READY, "event": fields.EVENT, "routing": fields.ROUTING,
         "followup": fields.FOLLOWUP, "segment": fields.SEGMENT,
         "journey": fields.JOURNEY}


def documented() -> dict[str, tuple[str, frozenset[str]]]:
    table = DOC.read_text("utf-8").split("## Fields", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| (\w+) \| ([\w, ]+) \|", table, re.MULTILINE)
    found = {name: (kind, frozenset(WHERE[w.strip()] for w in where.split(","))) for name, kind, where in rows}
    # the journey scope reads every field a segment reads (said once above the table, not in each row)
    return {name: (kind, scopes | {fields.JOURNEY} if fields.SEGMENT in scopes else scopes)
            for name, (kind, scopes) in found.items()}


def catalogued() -> dict[str, tuple[str, frozenset[str]]]:
    every = [*fields.FIELDS.values(), *fields.OPEN_ROOTS.values()]
    return {f.name: (f.type, f.scopes) for f in every}


def test_every_catalogued_field_is_documented_with_its_type_and_scopes_and_no_other():
    assert documented() == catalogued()


def test_the_documented_old_spellings_are_the_catalogues():
    text = DOC.read_text("utf-8")
    for old, new in fields.ALIASES.items():
        assert f"`{old}" in text and f"`{new}" in text


def test_every_scope_can_name_at_least_its_own_fields():
    for scope in fields.SCOPES:
        for name in fields.names(scope):
            concrete = name.replace("<name>", "plan").replace("<family>", "crm").replace("<property>", "url")
            assert not isinstance(fields.resolve(concrete, scope), str), (scope, name)
