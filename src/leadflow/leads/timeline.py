"""How each entry of a lead's timeline reads, from the shape its stage stored: every kind any stage writes (and any
kind to come) turns into a title, a text, changes and hints, whatever its data holds.

Pure: standard library only; no database, no templates. Names of people come in as arguments.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "job_title": "Job title", "language": "Language",
    "email": "Email", "phone": "Phone", "mobile": "Mobile", "do_not_contact": "Do not contact",
    "other_emails": "Other emails", "other_phones": "Other phones", "company": "Company", "street": "Street", "postal_code": "Postal code", "city": "City", "region": "Region",
    "country": "Country", "stage": "Stage", "owner_id": "Owner", "owner": "Owner", "custom_fields": "Custom fields",
    "budget": "Budget", "authority": "Authority", "need": "Need", "timeline": "Timeline",
}
# Keys a stored change names its subject by: lead fields ("field"), BANT answers ("criterion"), others ("name").
SUBJECT_KEYS = ("field", "criterion", "name")
PEOPLE_FIELDS = ("owner_id", "owner")
MAX_VALUE = 300
MAX_CHANGES = 50


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    kind: str
    title: str
    actor: str
    occurred_at: object
    text: str | None = None
    changes: list[Change] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


def _data(raw) -> dict:
    return raw if isinstance(raw, dict) else {}


def label_of(name: str) -> str:
    if name.startswith("custom_fields."):
        return f"Custom field \u201c{name.split('.', 1)[1]}\u201d"
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def value_text(value, *, name: str = "", people: Mapping[int, str] | None = None) -> str:
    """A stored value as a person reads it: empty, yes/no, a person's name for an owner, text cut to length."""
    if value is None or value == "" or value == [] or value == {}:
        return "empty"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in PEOPLE_FIELDS and isinstance(value, int) and people is not None:
        return people.get(value, "a former user")
    if isinstance(value, list | tuple):
        text = ", ".join(value_text(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "\u2026"


def changes_of(data: dict, people: Mapping[int, str] | None = None) -> list[Change]:
    found = []
    raw = data.get("changes")
    for item in raw[:MAX_CHANGES] if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        name = next((str(item[k]) for k in SUBJECT_KEYS if isinstance(item.get(k), str) and item[k]), None)
        if name is None:
            continue
        found.append(Change(label_of(name), value_text(item.get("old"), name=name, people=people),
                            value_text(item.get("new"), name=name, people=people)))
    return found


def people_in(datas: Iterable) -> set[int]:
    """The user ids entries name in their data (owners), so the caller can look up their names at once."""
    ids: set[int] = set()
    for raw in datas:
        data = _data(raw)
        if isinstance(data.get("owner_id"), int):
            ids.add(data["owner_id"])
        for item in data.get("changes") if isinstance(data.get("changes"), list) else []:
            if isinstance(item, dict) and item.get("field") in PEOPLE_FIELDS:
                ids.update(v for v in (item.get("old"), item.get("new")) if isinstance(v, int))
    return ids


def entry(*, kind: str, summary: str | None, data, actor: str, occurred_at,
          people: Mapping[int, str] | None = None) -> Entry:
    data = _data(data)
    title = summary or kind.replace("_", " ").capitalize()
    found = Entry(kind=kind, title=title, actor=actor, occurred_at=occurred_at, changes=changes_of(data, people))
    if kind == "note":
        found.title = "Note"
        text = data.get("text")
        found.text = text if isinstance(text, str) and text else summary
    elif kind == "stage_changed" and isinstance(data.get("note"), str) and data["note"]:
        found.text = data["note"]
    elif kind == "owner_changed" and isinstance(data.get("owner_id"), int):
        found.hints.append("Owner: " + value_text(data["owner_id"], name="owner_id", people=people))
    elif kind == "sales_ready" and isinstance(data.get("parts"), list):
        held = [str(p.get("text")) for p in data["parts"] if isinstance(p, dict) and p.get("result") and p.get("text")]
        if held:
            found.hints.append("The rule held: " + "; ".join(held))
    kept = data.get("kept_manual")
    if isinstance(kept, list) and kept:
        found.hints.append("Kept as edited by hand: " + ", ".join(label_of(str(k)).lower() for k in kept))
    if kind == "sales_ready" and found.hints:
        found.title = title.split(":", 1)[0]
    return found
