"""The editor's changes to a draft definition: add a step after a step or on one of a branch's ways, change a step's
fields from its form, remove a step (its way joined up), add or remove a branch's way, the entry, re-entry and goals.
Each returns a new definition; validation is the definition's own (journeys.definition) when the draft is saved.

Pure: standard library only.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping

from leadflow import events
from leadflow.errors import FieldError, Invalid

DEFAULTS: dict[str, dict] = {
    "send_email": {"template_id": None, "experiment_id": None},
    "wait": {"duration": "P1D"},
    "wait_until": {"events": [events.SURVEY_SUBMITTED], "timeout": "P3D", "date": None},
    "branch": {"branches": [{"when": {"happened": "survey_submitted"}, "next": None}], "else": None},
    "add_to_call_list": {"call_list_id": None},
    "set_field": {"field": "", "value": ""},
    "add_points": {"points": 10, "reason": ""},
    "change_stage": {"stage": "nurture", "reason": ""},
    "hand_to_sales": {},
    "exit": {},
}
PREFIX = {"send_email": "email", "wait": "wait", "wait_until": "until", "branch": "branch",
          "add_to_call_list": "call", "set_field": "field", "add_points": "points", "change_stage": "stage",
          "hand_to_sales": "sales", "exit": "exit"}


def empty() -> dict:
    return {"entry": [{"kind": "manual"}], "reentry": {"mode": "never"}, "goals": [], "start": None, "steps": []}


def _steps(definition: Mapping) -> dict[str, dict]:
    return {s["id"]: s for s in definition.get("steps") or () if isinstance(s, dict) and "id" in s}


def _new_id(definition: Mapping, kind: str) -> str:
    taken = set(_steps(definition))
    n = 1
    while f"{PREFIX[kind]}{n}" in taken:
        n += 1
    return f"{PREFIX[kind]}{n}"


def add_step(definition: Mapping, kind: str, *, after: str | None, way: str | None = None) -> tuple[dict, str]:
    """A new step of a kind after a step (or on a branch's way: "0", "1"... or "else"), or first when after is None;
    what came after it now comes after the new step (after a branch: its otherwise way)."""
    if kind not in DEFAULTS:
        raise Invalid.one("type", f"unknown step type '{kind}'; known: {', '.join(DEFAULTS)}")
    out = copy.deepcopy(dict(definition))
    out.setdefault("steps", [])
    steps = _steps(out)
    new_id = _new_id(out, kind)
    step = {"id": new_id, "type": kind, **copy.deepcopy(DEFAULTS[kind])}
    if after is None:
        following = out.get("start")
        out["start"] = new_id
    else:
        previous = steps.get(after)
        if previous is None:
            raise Invalid.one("after", f"there is no step '{after}'")
        if previous.get("type") == "branch":
            ways = previous.setdefault("branches", [])
            if way in (None, "", "else"):
                following, previous["else"] = previous.get("else"), new_id
            elif way.isdecimal() and int(way) < len(ways):
                following, ways[int(way)]["next"] = ways[int(way)].get("next"), new_id
            else:
                raise Invalid.one("way", f"the branch {after} has no way '{way}'")
        elif previous.get("type") == "exit":
            raise Invalid.one("after", f"{after} is an exit: nothing comes after it")
        else:
            following, previous["next"] = previous.get("next"), new_id
    if kind == "branch":
        step["else"] = following
    elif kind != "exit":
        step["next"] = following
    out["steps"].append(step)
    return out, new_id


def _pointing_at(definition: dict, step_id: str, to: str | None) -> None:
    if definition.get("start") == step_id:
        definition["start"] = to
    for step in definition["steps"]:
        if step.get("next") == step_id:
            step["next"] = to
        if step.get("else") == step_id:
            step["else"] = to
        for branch in step.get("branches") or ():
            if branch.get("next") == step_id:
                branch["next"] = to


def _reachable(definition: Mapping) -> set[str]:
    steps = _steps(definition)
    seen: set[str] = set()
    todo = [definition.get("start")]
    while todo:
        step_id = todo.pop()
        if step_id is None or step_id in seen or step_id not in steps:
            continue
        seen.add(step_id)
        step = steps[step_id]
        todo.extend([step.get("next"), step.get("else"), *(b.get("next") for b in step.get("branches") or ())])
    return seen


def remove_step(definition: Mapping, step_id: str) -> dict:
    """The step goes; what pointed at it goes on where it went (a branch: its otherwise way). Steps only its other
    ways reached go with it."""
    out = copy.deepcopy(dict(definition))
    steps = _steps(out)
    step = steps.get(step_id)
    if step is None:
        raise Invalid.one("step", f"there is no step '{step_id}'")
    following = step.get("else") if step.get("type") == "branch" else step.get("next")
    out["steps"] = [s for s in out["steps"] if s.get("id") != step_id]
    _pointing_at(out, step_id, following)
    before = set(_steps(definition)) - {step_id}
    kept = _reachable(out)
    out["steps"] = [s for s in out["steps"] if s.get("id") in kept or s.get("id") not in before]
    return out


def _text(form: Mapping[str, object], name: str) -> str:
    return str(form.get(name) or "").strip()


def _condition(form: Mapping[str, object], name: str) -> str:
    """A condition from its text box: as many lines as it needs, each trimmed at its end (a browser's CRLF too)."""
    lines = str(form.get(name) or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _int_or_none(form: Mapping, name: str, errors: list[FieldError], label: str) -> int | None:
    text = _text(form, name)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors.append(FieldError(label, f"'{text[:40]}' is not a whole number"))
        return None


def update_step(definition: Mapping, step_id: str, form: Mapping[str, object]) -> dict:
    """A step's fields from its form (text values; events a list); a branch's ways as way-N-kind / way-N-happened /
    way-N-step / way-N-condition. Numbers that are not numbers are refused here, the rest by the definition."""
    out = copy.deepcopy(dict(definition))
    step = _steps(out).get(step_id)
    if step is None:
        raise Invalid.one("step", f"there is no step '{step_id}'")
    errors: list[FieldError] = []
    kind = step.get("type")
    at = f"steps.{step_id}"
    if "name" in form:
        if _text(form, "name"):
            step["name"] = _text(form, "name")[:200]
        else:
            step.pop("name", None)
    if "next" in form and kind not in ("branch", "exit"):
        step["next"] = _text(form, "next") or None
    if "else" in form and kind == "branch":
        step["else"] = _text(form, "else") or None
    if kind == "send_email":
        step["template_id"] = _int_or_none(form, "template_id", errors, f"{at}.template_id")
        step["experiment_id"] = _int_or_none(form, "experiment_id", errors, f"{at}.experiment_id")
    elif kind == "wait":
        step["duration"] = _text(form, "duration")
    elif kind == "wait_until":
        events = form.get("events") or []
        step["events"] = [events] if isinstance(events, str) else [str(e) for e in events]
        step["timeout"] = _text(form, "timeout") or None
        step["date"] = _text(form, "date") or None
    elif kind == "add_to_call_list":
        step["call_list_id"] = _int_or_none(form, "call_list_id", errors, f"{at}.call_list_id")
    elif kind == "set_field":
        step["field"], step["value"] = _text(form, "field"), _text(form, "value")
    elif kind == "add_points":
        text = _text(form, "points")
        try:
            step["points"] = int(text)
        except ValueError:
            errors.append(FieldError(f"{at}.points", f"'{text[:40]}' is not a whole number"))
        step["reason"] = _text(form, "reason")
    elif kind == "change_stage":
        step["stage"], step["reason"] = _text(form, "stage"), _text(form, "reason")
    elif kind == "branch":
        for index, branch in enumerate(step.get("branches") or ()):
            prefix = f"way-{index}-"
            if f"{prefix}next" in form:
                branch["next"] = _text(form, prefix + "next") or None
            if f"{prefix}kind" not in form:
                continue
            if _text(form, prefix + "kind") == "condition":
                branch["when"] = {"condition": _condition(form, prefix + "condition")}
            else:
                happened = _text(form, prefix + "happened")
                if happened == "call_outcome":
                    happened = "call_outcome:" + _text(form, prefix + "outcome")
                when = {"happened": happened}
                if happened not in ("survey_submitted", "form_submitted") and not happened.startswith(
                        "call_outcome:"):
                    when["step"] = _text(form, prefix + "step")
                branch["when"] = when
    if errors:
        raise Invalid(errors)
    return out


def add_way(definition: Mapping, step_id: str) -> dict:
    out = copy.deepcopy(dict(definition))
    step = _steps(out).get(step_id)
    if step is None or step.get("type") != "branch":
        raise Invalid.one("step", f"'{step_id}' is not a branch")
    sends = [s["id"] for s in out["steps"] if s.get("type") == "send_email"]
    when = {"happened": "opened", "step": sends[-1]} if sends else {"condition": ""}
    step.setdefault("branches", []).append({"when": when, "next": None})
    return out


def remove_way(definition: Mapping, step_id: str, index: int) -> dict:
    out = copy.deepcopy(dict(definition))
    step = _steps(out).get(step_id)
    if step is None or step.get("type") != "branch" or not 0 <= index < len(step.get("branches") or ()):
        raise Invalid.one("way", f"the branch {step_id} has no way {index}")
    step["branches"].pop(index)
    kept = _reachable(out)
    out["steps"] = [s for s in out["steps"] if s.get("id") in kept]
    return out


def update_settings(definition: Mapping, form: Mapping[str, object]) -> dict:
    """Entry triggers, re-entry and goals from the settings form: entry_kind + its id/topic/condition, reentry_mode +
    reentry_days, goals as lines of "name: condition"."""
    out = copy.deepcopy(dict(definition))
    errors: list[FieldError] = []
    kinds = form.get("entry_kinds") or []
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    entry = []
    for kind in kinds:
        if kind == "manual":
            entry.append({"kind": "manual"})
        elif kind == "form":
            entry.append({"kind": "form", "form_id": _int_or_none(form, "form_id", errors, "entry.form_id")})
        elif kind == "segment":
            entry.append({"kind": "segment",
                          "segment_id": _int_or_none(form, "segment_id", errors, "entry.segment_id")})
        elif kind == "list":
            entry.append({"kind": "list",
                          "call_list_id": _int_or_none(form, "entry_call_list_id", errors, "entry.call_list_id")})
        elif kind == "event":
            item = dict(kind="event", topic=_text(form, "event_topic"))
            if _condition(form, "event_condition"):
                item["condition"] = _condition(form, "event_condition")
            entry.append(item)
    out["entry"] = entry
    mode = _text(form, "reentry_mode") or "never"
    out["reentry"] = {"mode": mode}
    if mode == "after_days":
        out["reentry"]["days"] = _int_or_none(form, "reentry_days", errors, "reentry.days")
    goals: list[dict] = []
    for number, line in enumerate(str(form.get("goals") or "").splitlines()):
        if not line.strip():
            continue
        if line[:1].isspace() and goals:  # an indented line goes on with the goal above (a long condition)
            goals[-1]["condition"] = f"{goals[-1]['condition']}\n{line.strip()}".strip()
            continue
        name, colon, condition = line.partition(":")
        if not colon:
            errors.append(FieldError(f"goals.{number}", 'write a goal as "name: condition" (indent the lines '
                                                        "that go on with a long condition)"))
            continue
        goals.append({"name": name.strip(), "condition": condition.strip()})
    out["goals"] = goals
    if errors:
        raise Invalid(errors)
    return out


def goals_text(definition: Mapping) -> str:
    """The goals as the settings form shows them: "name: condition", a condition's further lines indented."""
    return "\n".join(f"{g.get('name')}: " + "\n  ".join(str(g.get("condition") or "").splitlines() or [""])
                     for g in definition.get("goals") or ())


def from_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid.one("definition", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(value, dict):
        raise Invalid.one("definition", "must be a JSON object with entry, start and steps")
    return value
