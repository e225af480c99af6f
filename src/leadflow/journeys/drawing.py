"""A journey's definition as a drawing: boxes top to bottom, a branch's ways side by side with their conditions, each
step in words and with its counts (waiting now, passed, went each way), for the page, the simulator and the CLI.

Pure: standard library only; names of templates, call lists, segments and forms come in as a lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from leadflow import events

TYPES = {
    "send_email": "Send an email", "wait": "Wait", "wait_until": "Wait until", "branch": "Branch",
    "add_to_call_list": "Add to a call list", "set_field": "Set a field", "add_points": "Add points",
    "change_stage": "Change stage", "hand_to_sales": "Hand to sales", "exit": "Exit",
}
HAPPENED = {
    "delivered": "its email was delivered", "bounced": "its email bounced", "opened": "its email was opened",
    "not_opened": "its email was not opened", "clicked": "a link was clicked", "not_clicked": "no link was clicked",
    "survey_submitted": "a survey was answered", "form_submitted": "a form was submitted",
}
EVENTS = {
    events.SURVEY_SUBMITTED: "a survey answered", events.EMAIL_OPENED: "the email opened",
    events.EMAIL_CLICKED: "a link clicked", events.EMAIL_DELIVERED: "the email delivered",
    events.EMAIL_BOUNCED: "the email bounced", events.CONTACT_LOGGED: "a call or contact logged",
    events.LEAD_CAPTURED: "a form submitted again",
}


@dataclass
class Way:
    index: str  # "0", "1"... or "else"
    label: str
    went: int | None
    column: list  # of Box or Goto


@dataclass
class Goto:
    step_id: str
    label: str


@dataclass
class Box:
    step_id: str
    type: str
    title: str
    detail: str
    counts: dict
    ways: list[Way] = field(default_factory=list)
    ends: bool = False
    kind_label: str = ""


def duration_words(text: object) -> str:
    raw = str(text or "").strip().upper()
    units = {"D": "day", "H": "hour", "W": "week", "M": "minute", "S": "second"}
    words = []
    number, in_time = "", False
    if raw.startswith("P"):
        for ch in raw[1:]:
            if ch == "T":
                in_time = True
            elif ch.isdigit() or ch == ".":
                number += ch
            elif number:
                unit = "minute" if ch == "M" and in_time else ("month" if ch == "M" else units.get(ch, ch))
                words.append(f"{number} {unit}{'' if number == '1' else 's'}")
                number = ""
    elif raw[:-1].replace(".", "").isdigit():
        number, unit = raw[:-1], units.get(raw[-1], raw[-1])
        words.append(f"{number} {unit}{'' if number == '1' else 's'}")
    return " ".join(words) or str(text or "")


def way_label(when: Mapping) -> str:
    if "condition" in when:
        return str(when.get("condition") or "")
    happened = str(when.get("happened") or "")
    if happened.startswith("call_outcome:"):
        return "the call's outcome was " + happened.partition(":")[2]
    words = HAPPENED.get(happened, happened)
    return f"{words} ({when['step']})" if when.get("step") else words


def describe(step: Mapping, names: Mapping[tuple[str, object], str]) -> tuple[str, str]:
    """The step's title and a line of detail, in words a marketer reads."""
    kind = step.get("type")
    title = TYPES.get(kind, str(kind))

    def named(what: str, ident: object) -> str:
        return names.get((what, ident)) or (f"#{ident}" if ident not in (None, "") else "(none chosen)")

    if kind == "send_email":
        detail = named("template", step.get("template_id"))
        if step.get("experiment_id"):
            detail = "A/B test " + named("experiment", step.get("experiment_id"))
    elif kind == "wait":
        detail = duration_words(step.get("duration"))
    elif kind == "wait_until":
        if step.get("date"):
            detail = f"the {step['date']}"
        else:
            events = " or ".join(EVENTS.get(e, e) for e in step.get("events") or ()) or "nothing"
            detail = events + (f", at most {duration_words(step['timeout'])}" if step.get("timeout") else "")
    elif kind == "add_to_call_list":
        detail = named("call_list", step.get("call_list_id"))
    elif kind == "set_field":
        detail = f"{step.get('field')} = {step.get('value')}"
    elif kind == "add_points":
        detail = f"{step.get('points')} points" + (f": {step['reason']}" if step.get("reason") else "")
    elif kind == "change_stage":
        detail = f"to {step.get('stage')}" + (f": {step['reason']}" if step.get("reason") else "")
    elif kind == "hand_to_sales":
        detail = "Sales Ready, routed to a salesperson"
    elif kind == "branch":
        detail = "the first way that holds"
    else:
        detail = "the lead leaves the journey"
    return title, detail


def draw(definition: Mapping, counts: Mapping[str, Mapping] | None = None,
         names: Mapping[tuple[str, object], str] | None = None) -> list:
    """The column of boxes from the start; a step reached a second time is drawn once, then pointed to."""
    steps = {s.get("id"): s for s in definition.get("steps") or () if isinstance(s, Mapping)}
    counts = counts or {}
    names = names or {}
    drawn: set[str] = set()

    def column(step_id: object) -> list:
        out: list = []
        while step_id is not None:
            step = steps.get(step_id)
            if step is None:
                out.append(Goto(str(step_id), f"goes to {step_id}, which is not a step"))
                break
            if step_id in drawn:
                out.append(Goto(str(step_id), f"goes on at {step_id}"))
                break
            drawn.add(step_id)
            title, detail = describe(step, names)
            step_counts = dict(counts.get(step_id) or {})
            box = Box(str(step_id), str(step.get("type")), str(step.get("name") or title), detail, step_counts,
                      kind_label=title)
            out.append(box)
            if step.get("type") == "branch":
                went = step_counts.get("ways") or {}
                for index, branch in enumerate(step.get("branches") or ()):
                    box.ways.append(Way(str(index), way_label(branch.get("when") or {}), went.get(str(index)),
                                        column(branch.get("next"))))
                box.ways.append(Way("else", "otherwise", went.get("else"), column(step.get("else"))))
                break
            if step.get("type") == "exit":
                box.ends = True
                break
            step_id = step.get("next")
        return out

    main = column(definition.get("start"))
    loose = [s for s in steps if s not in drawn]
    for step_id in loose:
        if step_id not in drawn:
            main.append(Goto(str(step_id), f"{step_id} is not reached from the start"))
            main.extend(column(step_id))
    return main
