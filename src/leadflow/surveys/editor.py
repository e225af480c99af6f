"""The survey editor's form as data: a draft read from the posted fields (q0-key, q0-options: one option a line,
"value | label"), the editor's buttons (add, remove, move a question), the draft turned into the values the service
checks, and the service's errors placed beside the inputs they are about.

Pure: standard library only; no database, no web."""

from __future__ import annotations

import re

from leadflow.surveys import domain

MAX_DRAFT_QUESTIONS = domain.MAX_QUESTIONS


def _blank_question(key: str = "", kind: str = "single") -> dict:
    return {"key": key, "label": "", "kind": kind, "options": "", "target": "", "custom": "", "required": False,
            "help": ""}


def new_draft() -> dict:
    return {"key": "", "name": "", "title": "", "intro": "", "thanks": "", "active": True,
            "questions": [_blank_question("q1")]}


def _options_text(options: list[dict]) -> str:
    return "\n".join(o["value"] if o["label"] == o["value"] else f"{o['value']} | {o['label']}" for o in options)


def _target(maps_to: str | None) -> tuple[str, str]:
    if maps_to and maps_to.startswith(domain.CUSTOM_PREFIX):
        return "custom", maps_to[len(domain.CUSTOM_PREFIX):]
    return maps_to or "", ""


def draft_of(survey) -> dict:
    questions = []
    for q in survey.questions:
        target, custom = _target(q.get("maps_to"))
        questions.append({"key": q["key"], "label": q["label"], "kind": q["kind"],
                          "options": _options_text(q.get("options", [])), "target": target, "custom": custom,
                          "required": bool(q.get("required")), "help": q.get("help", "")})
    return {"key": survey.key, "name": survey.name, "title": survey.title, "intro": survey.intro,
            "thanks": survey.thanks, "active": survey.active, "questions": questions}


def draft_from(form: dict[str, str]) -> dict:
    try:
        count = min(int(form.get("count") or 0), MAX_DRAFT_QUESTIONS + 1)
    except ValueError:
        count = 0
    questions = []
    for i in range(count):
        p = f"q{i}-"
        if p + "key" not in form and p + "label" not in form:
            continue
        questions.append({"key": form.get(p + "key", "").strip(), "label": form.get(p + "label", "").strip(),
                          "kind": form.get(p + "kind", "single"), "options": form.get(p + "options", ""),
                          "target": form.get(p + "target", ""), "custom": form.get(p + "custom", "").strip(),
                          "required": form.get(p + "required") in ("yes", "on", "true", "1"),
                          "help": form.get(p + "help", "").strip()})
    return {"key": form.get("key", "").strip(), "name": form.get("name", "").strip(),
            "title": form.get("title", "").strip(), "intro": form.get("intro", "").strip(),
            "thanks": form.get("thanks", "").strip(), "active": form.get("active") in ("yes", "on", "true", "1"),
            "questions": questions}


def apply(draft: dict, op: str) -> bool:
    """One of the editor's buttons: add, add_next_step, remove:N, up:N, down:N. False when it cannot be done."""
    questions = draft["questions"]
    if op in ("add", "add_next_step"):
        if len(questions) >= MAX_DRAFT_QUESTIONS:
            return False
        if op == "add_next_step":
            if any(q["key"] == domain.NEXT_STEP for q in questions):
                return False
            question = _blank_question(domain.NEXT_STEP)
            question.update(label="What would you like to happen next?", required=True,
                            options=_options_text([{"value": v, "label": label}
                                                   for v, label in domain.NEXT_STEPS.items()]))
        else:
            taken = {q["key"] for q in questions}
            number = next(n for n in range(len(questions) + 1, 1000) if f"q{n}" not in taken)
            question = _blank_question(f"q{number}")
        questions.append(question)
        return True
    name, _, index = op.partition(":")
    if not index.isdecimal() or int(index) >= len(questions):
        return False
    i = int(index)
    if name == "remove" and len(questions) > 1:
        questions.pop(i)
    elif name == "up" and i > 0:
        questions[i - 1], questions[i] = questions[i], questions[i - 1]
    elif name == "down" and i + 1 < len(questions):
        questions[i + 1], questions[i] = questions[i], questions[i + 1]
    else:
        return False
    return True


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:100] or text[:100]


def parse_options(text: str) -> list[dict]:
    """One option a line: "value | label", or a label alone (its value made from it: "Within a year" ->
    within_a_year)."""
    options = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        value, bar, label = line.partition("|")
        value, label = value.strip(), label.strip()
        if not bar:
            plain = " " not in line and domain.OPTION_RE.match(line)
            value, label = (line, line) if plain else (_slug(line), line)
        options.append({"value": value, "label": label or value})
    return options


def values_of(draft: dict) -> dict:
    """What the service checks and saves."""
    questions = []
    for q in draft["questions"]:
        maps_to = (f"{domain.CUSTOM_PREFIX}{q['custom']}" if q["target"] == "custom" else q["target"]) or None
        questions.append({"key": q["key"], "label": q["label"], "kind": q["kind"],
                          "options": parse_options(q["options"]) if q["kind"] in ("single", "multiple") else [],
                          "maps_to": maps_to, "required": q["required"],
                          **({"help": q["help"]} if q["help"] else {})})
    return {"key": draft["key"], "name": draft["name"], "title": draft["title"] or draft["name"],
            "intro": draft["intro"], "thanks": draft["thanks"], "active": draft["active"], "questions": questions}


def input_errors(errors) -> dict[str, str]:
    """The service's errors by the editor's input names: questions.2.options.1.value -> q2-options."""
    found: dict[str, str] = {}
    for error in errors:
        parts = error.field.split(".")
        if parts[0] == "questions" and len(parts) >= 3 and parts[1].isdecimal():
            name = f"q{parts[1]}-{'target' if parts[2] == 'maps_to' else parts[2]}"
        elif parts[0] == "questions":
            name = "questions"
        else:
            name = parts[0]
        reason = error.reason[:1].upper() + error.reason[1:]
        found.setdefault(name, reason)
    return found
