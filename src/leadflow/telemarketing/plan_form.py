"""The call list form as data: a draft read from the posted fields (or from a list and its plan), turned into the
values the service checks, with the form's own reading errors by the same field names as the service's.

Pure: standard library only; no database, no web."""

from __future__ import annotations

from leadflow.telemarketing import calling

TARGETS = ("calls", "reached", "qualified", "minutes_per_call")
NUMBERS = ("claim_minutes", "retry_minutes", "max_attempts")
SECOND_FIELD = {"segment": "segment_id", "condition": "condition", "import": "import_id"}
DAY_NAMES = {"1": "Mon", "2": "Tue", "3": "Wed", "4": "Thu", "5": "Fri", "6": "Sat", "7": "Sun"}


def new_draft(owner_id: int | None) -> dict:
    return {"name": "", "owner_id": str(owner_id or ""), "team_id": "", "source": "manual", "segment_id": "",
            "condition": "", "import_id": "", "live": False, "script_id": "", "hours_from": "09:00",
            "hours_to": "18:00", "days": list("12345"), "default_zone": "UTC", "claim_minutes": "15",
            "retry_minutes": "120", "max_attempts": "5", **{f"target_{t}": "" for t in TARGETS}}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def draft_of(call_list, plan) -> dict:
    targets = plan.targets or {}
    return {"name": call_list.name, "owner_id": _text(call_list.owner_id), "team_id": _text(call_list.team_id),
            "source": plan.source, "segment_id": _text(plan.segment_id), "condition": plan.condition or "",
            "import_id": _text(plan.import_id), "live": bool(plan.live), "script_id": _text(plan.script_id),
            "hours_from": calling.hhmm(plan.hours_from), "hours_to": calling.hhmm(plan.hours_to),
            "days": list(plan.days or ""), "default_zone": plan.default_zone or "UTC",
            **{name: _text(getattr(plan, name)) for name in NUMBERS},
            **{f"target_{t}": _text(targets.get(t)) for t in TARGETS}}


def draft_from(form: dict[str, list[str]]) -> dict:
    def one(name: str) -> str:
        return (form.get(name) or [""])[-1].strip()

    return {"name": one("name"), "owner_id": one("owner_id"), "team_id": one("team_id"),
            "source": one("source") or "manual", "segment_id": one("segment_id"), "condition": one("condition"),
            "import_id": one("import_id"), "live": one("live") in ("yes", "on", "true", "1"),
            "script_id": one("script_id"), "hours_from": one("hours_from"), "hours_to": one("hours_to"),
            "days": [d for d in form.get("days", []) if d in calling.DAYS], "default_zone": one("default_zone"),
            **{name: one(name) for name in NUMBERS}, **{f"target_{t}": one(f"target_{t}") for t in TARGETS}}


def _id(text: str, field: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    if not text.isdecimal() or len(text) > 18:
        errors[field] = "choose one of the list"
        return None
    return int(text)


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def values_of(draft: dict) -> tuple[dict, dict[str, str]]:
    """What the service checks, and what the form could not read (by the service's field names)."""
    errors: dict[str, str] = {}
    source = draft["source"]
    values: dict = {"name": draft["name"], "owner_id": _id(draft["owner_id"], "owner_id", errors),
                    "team_id": _id(draft["team_id"], "team_id", errors), "source": source,
                    "segment_id": None, "condition": None, "import_id": None,
                    "live": bool(draft["live"]) and source == "segment",
                    "script_id": _id(draft["script_id"], "script_id", errors),
                    "days": "".join(sorted(set(draft["days"]))), "default_zone": draft["default_zone"] or "UTC"}
    second = SECOND_FIELD.get(source)
    if second == "condition":
        values["condition"] = draft["condition"]
    elif second is not None:
        values[second] = _id(draft[second], second, errors)
    if not values["days"]:
        errors["days"] = "call on one day at least"
    for name in ("hours_from", "hours_to"):
        minutes = calling.parse_hhmm(draft[name])
        if minutes is None:
            errors[name] = "a time as HH:MM, e.g. 09:00"
        values[name] = minutes
    for name in NUMBERS:
        number = _number(draft[name]) if draft[name] else None
        if draft[name] and (number is None or not isinstance(number, int)):
            errors[name] = "a whole number"
        if number is not None:
            values[name] = number
    targets = {}
    for target in TARGETS:
        text = draft[f"target_{target}"]
        if not text:
            targets[target] = None
            continue
        number = _number(text)
        if number is None:
            errors[f"targets.{target}"] = "a number"
        else:
            targets[target] = number
    values["targets"] = targets
    return values, errors
