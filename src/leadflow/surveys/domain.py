"""Surveys as data: a survey's questions and their checks, how a lead's posted answers are read (with an error per
question), where each answer goes (BANT, a lead field, a custom field), and the shipped brochure follow-up survey.

Pure: standard library and the pure BANT and lead-field modules; no database, no web; today comes in as an argument.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from leadflow.errors import FieldError, Invalid
from leadflow.qualification import bant

KINDS = ("single", "multiple", "text", "number")
KIND_LABELS = {"single": "One choice", "multiple": "Several choices", "text": "Text", "number": "Number"}
# Lead fields a survey may fill (not the email: that is who the lead is, it changes through identity's rules).
PROFILE_FIELDS = ("first_name", "last_name", "phone", "mobile", "job_title", "company", "street", "postal_code",
                  "city", "region", "country", "language")
BANT_PREFIX, CUSTOM_PREFIX = "bant.", "custom."
NEXT_STEP = "next_step"  # the well-known question: what the lead wants to happen now
NEXT_STEPS = {"quote": "Send me a quote", "meeting": "Book a meeting", "call": "Call me",
              "nothing": "Nothing for now"}
SALES_STEPS = ("quote", "meeting")  # "asks for a quote or a meeting": straight to sales

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
OPTION_RE = re.compile(r"^[A-Za-z0-9<>+_.-][A-Za-z0-9<>+_. -]{0,99}$")
CUSTOM_RE = re.compile(r"^[a-z0-9_]{1,50}$")
MAX_QUESTIONS, MAX_OPTIONS, MAX_LABEL, MAX_TEXT = 30, 50, 300, 2000


def maps_to_choices() -> list[tuple[str, str]]:
    """Where an answer may go, for the editor's list: (value, words)."""
    return ([(f"{BANT_PREFIX}{c}", f"BANT: {c}") for c in bant.CRITERIA]
            + [(name, f"Lead: {name.replace('_', ' ')}") for name in PROFILE_FIELDS])


def maps_to_problem(maps_to: str | None, kind: str) -> str | None:
    if maps_to is None:
        return None
    if maps_to.startswith(BANT_PREFIX):
        if maps_to[len(BANT_PREFIX):] not in bant.CRITERIA:
            return f"BANT criteria are {', '.join(BANT_PREFIX + c for c in bant.CRITERIA)}"
        if kind == "multiple":
            return "a BANT criterion takes one answer: make the question 'single'"
        return None
    if maps_to.startswith(CUSTOM_PREFIX):
        if not CUSTOM_RE.match(maps_to[len(CUSTOM_PREFIX):]):
            return "custom.NAME: a name of 1-50 lower-case letters, digits or _"
        return None
    if maps_to in PROFILE_FIELDS:
        return "a lead field takes one answer: make the question 'single', 'text' or 'number'" \
            if kind == "multiple" else None
    return f"must be empty, bant.<criterion>, custom.<name> or a lead field ({', '.join(PROFILE_FIELDS)})"


def check_questions(questions: object, *, today: date) -> list[dict]:
    """The questions in their stored form, or Invalid naming `questions.N.field` and why."""
    if not isinstance(questions, list):
        raise Invalid.one("questions", "must be a list of questions")
    if not questions:
        raise Invalid.one("questions", "a survey needs at least one question")
    if len(questions) > MAX_QUESTIONS:
        raise Invalid.one("questions", f"at most {MAX_QUESTIONS} questions")
    errors: list[FieldError] = []
    checked, keys, targets = [], set(), set()
    for i, raw in enumerate(questions):
        where = f"questions.{i}"
        if not isinstance(raw, dict):
            errors.append(FieldError(where, "must be an object with key, label and kind"))
            continue
        key = raw.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            errors.append(FieldError(f"{where}.key", "1-40 lower-case letters, digits or _, starting with a letter"))
        elif key in keys:
            errors.append(FieldError(f"{where}.key", f"'{key}' is used by another question"))
        keys.add(key)
        label = raw.get("label")
        if not isinstance(label, str) or not label.strip():
            errors.append(FieldError(f"{where}.label", "is required: the question as the lead reads it"))
        elif len(label) > MAX_LABEL:
            errors.append(FieldError(f"{where}.label", f"at most {MAX_LABEL} characters"))
        kind = raw.get("kind")
        if kind not in KINDS:
            errors.append(FieldError(f"{where}.kind", f"must be one of {', '.join(KINDS)}"))
        options = _check_options(raw.get("options") or [], kind, where, errors)
        maps_to = raw.get("maps_to") or None
        if maps_to is not None and not isinstance(maps_to, str):
            errors.append(FieldError(f"{where}.maps_to", "must be text or empty"))
            maps_to = None
        problem = maps_to_problem(maps_to, kind) if kind in KINDS else None
        if problem:
            errors.append(FieldError(f"{where}.maps_to", problem))
        elif maps_to is not None and maps_to in targets:
            errors.append(FieldError(f"{where}.maps_to", f"{maps_to} is filled by another question"))
        elif maps_to and maps_to.startswith(BANT_PREFIX) and kind == "single":
            criterion = maps_to[len(BANT_PREFIX):]
            for n, option in enumerate(options):
                answer = bant.normalize(criterion, option["value"], today=today)
                wrong = (answer.problem or answer.value != option["value"]
                         or (criterion != "budget" and option["value"] not in bant.CHOICES[criterion]))
                if wrong:
                    errors.append(FieldError(f"{where}.options.{n}.value", f"'{option['value']}' is not a "
                                             f"{criterion} answer: use one of {', '.join(bant.CHOICES[criterion])}"))
        if maps_to:
            targets.add(maps_to)
        if key == NEXT_STEP:
            if kind != "single":
                errors.append(FieldError(f"{where}.kind", "next_step is one choice"))
            wrong = [o["value"] for o in options if o["value"] not in NEXT_STEPS]
            if wrong:
                errors.append(FieldError(f"{where}.options", f"next_step's options are {', '.join(NEXT_STEPS)}; "
                                         f"not {', '.join(wrong)}"))
        required = raw.get("required", False)
        if not isinstance(required, bool):
            errors.append(FieldError(f"{where}.required", "must be true or false"))
        help_text = raw.get("help") or ""
        if not isinstance(help_text, str) or len(help_text) > MAX_LABEL:
            errors.append(FieldError(f"{where}.help", f"text of at most {MAX_LABEL} characters"))
        checked.append({"key": key, "label": label.strip() if isinstance(label, str) else label, "kind": kind,
                        "options": options, "maps_to": maps_to, "required": bool(required),
                        **({"help": help_text.strip()} if isinstance(help_text, str) and help_text.strip() else {})})
    if errors:
        raise Invalid(errors)
    return checked


def _check_options(options: object, kind: object, where: str, errors: list[FieldError]) -> list[dict]:
    if kind in ("text", "number"):
        if options:
            errors.append(FieldError(f"{where}.options", f"a {kind} question has no options"))
        return []
    if not isinstance(options, list) or not options:
        if kind in ("single", "multiple"):
            errors.append(FieldError(f"{where}.options", "give at least one option"))
        return []
    if len(options) > MAX_OPTIONS:
        errors.append(FieldError(f"{where}.options", f"at most {MAX_OPTIONS} options"))
        return []
    found, seen = [], set()
    for n, option in enumerate(options):
        if not isinstance(option, dict):
            errors.append(FieldError(f"{where}.options.{n}", "must be an object with value and label"))
            continue
        value, label = option.get("value"), option.get("label")
        if not isinstance(value, str) or not OPTION_RE.match(value):
            errors.append(FieldError(f"{where}.options.{n}.value", "1-100 letters, digits, spaces or _ . - < > +"))
            continue
        if value in seen:
            errors.append(FieldError(f"{where}.options.{n}.value", f"'{value}' is given twice"))
        seen.add(value)
        label = label.strip() if isinstance(label, str) and label.strip() else value
        found.append({"value": value, "label": label[:MAX_LABEL]})
    return found


def check_key(key: object) -> str:
    if not isinstance(key, str) or not SLUG_RE.match(key):
        raise Invalid.one("key", "1-80 lower-case letters, digits or -, like brochure-followup")
    return key


# --- answers ------------------------------------------------------------------------------------------------------

def read_number(text: str) -> int | float | None:
    """A number as people write it ("1 200", "1,200", "2,5", "7"); None when it is not one."""
    text = text.strip().replace("\u00a0", " ")
    if re.fullmatch(r"[+-]?\d{1,3}([ ,]\d{3})+", text):
        return int(re.sub(r"[ ,]", "", text))
    if not re.fullmatch(r"[+-]?\d{1,15}([.,]\d{1,6})?", text):
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def read_answers(questions: list[dict], given: dict[str, list[str]]) -> tuple[dict[str, object], list[FieldError]]:
    """The answers to these questions among the values posted (each name: its values), and an error per question
    answered wrongly or required and missing (`field` is the question's key). Names that are no question's key are
    left out (they stay in the raw submission)."""
    answers: dict[str, object] = {}
    errors: list[FieldError] = []
    for question in questions:
        key, kind = question["key"], question["kind"]
        values = [v.strip() for v in given.get(key, []) if isinstance(v, str) and v.strip()]
        if not values:
            if question.get("required"):
                errors.append(FieldError(key, "is required" if kind not in ("single", "multiple")
                                         else "choose an answer"))
            continue
        allowed = [o["value"] for o in question.get("options", [])]
        if kind == "single":
            if len(values) > 1 or values[0] not in allowed:
                errors.append(FieldError(key, f"choose one of {', '.join(allowed)}"))
            else:
                answers[key] = values[0]
        elif kind == "multiple":
            wrong = [v for v in values if v not in allowed]
            if wrong:
                errors.append(FieldError(key, f"choose among {', '.join(allowed)}"))
            else:
                answers[key] = [v for v in allowed if v in values]
        elif kind == "number":
            number = read_number(values[0])
            if number is None or len(values) > 1:
                errors.append(FieldError(key, "must be a number"))
            else:
                answers[key] = number
        else:
            text = " ".join(values[0].split()) if "\n" not in values[0] else values[0]
            if len(text) > MAX_TEXT or len(values) > 1:
                errors.append(FieldError(key, f"one answer of at most {MAX_TEXT} characters"))
            else:
                answers[key] = text
    return answers, errors


def given_from_json(answers: object) -> tuple[dict[str, list[str]], list[FieldError]]:
    """An API submission's `answers` object read as posted form values (a list for several choices)."""
    if not isinstance(answers, dict):
        return {}, [FieldError("answers", "must be an object: {question key: answer}")]
    given: dict[str, list[str]] = {}
    for key, value in answers.items():
        items = value if isinstance(value, list) else [value]
        if any(isinstance(item, dict | list) for item in items):
            return {}, [FieldError(str(key)[:40], "must be text, a number or a list of choices")]
        given[str(key)] = ["" if item is None else str(item).lower() if isinstance(item, bool) else str(item)
                           for item in items]
    return given, []


def destinations(questions: list[dict], answers: dict[str, object]) -> tuple[dict, dict, dict]:
    """Where the answers go: (BANT answers by criterion, lead fields, custom fields)."""
    to_bant, fields, custom = {}, {}, {}
    for question in questions:
        target, value = question.get("maps_to"), answers.get(question["key"])
        if not target or value is None:
            continue
        if target.startswith(BANT_PREFIX):
            to_bant[target[len(BANT_PREFIX):]] = str(value)
        elif target.startswith(CUSTOM_PREFIX):
            custom[target[len(CUSTOM_PREFIX):]] = value
        else:
            fields[target] = str(value)
    return to_bant, fields, custom


def answer_label(question: dict | None, value: object) -> str:
    """An answer in the words the lead chose (an option's label), for pages and exports."""
    if value is None:
        return ""
    labels = {o["value"]: o["label"] for o in (question or {}).get("options", [])}
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


def asks_for_sales(answers: dict[str, object]) -> bool:
    return answers.get(NEXT_STEP) in SALES_STEPS


# --- the shipped template -----------------------------------------------------------------------------------------

BROCHURE_KEY = "brochure-followup"


def brochure_template() -> dict:
    """The seeds' brochure follow-up: need, timeline, budget, authority and what the lead wants next."""
    def options(pairs):
        return [{"value": v, "label": label} for v, label in pairs]

    return {
        "key": BROCHURE_KEY, "name": "Brochure follow-up", "title": "Did the brochure help?",
        "intro": "Five quick questions, under a minute: your answers tell us what to send you next, and nothing more.",
        "thanks": "Thank you! We have your answers and will only be in touch the way you asked.",
        "questions": [
            {"key": "need", "label": "How well does what you read fit what you need?", "kind": "single",
             "maps_to": "bant.need", "required": True,
             "options": options([("high", "It is just what we need"), ("medium", "It could help us"),
                                 ("low", "Only a little"), ("none", "We have no need for it")])},
            {"key": "timeline", "label": "When do you plan to decide?", "kind": "single",
             "maps_to": "bant.timeline", "required": True,
             "options": options([("1m", "Within a month"), ("3m", "Within 3 months"), ("6m", "Within 6 months"),
                                 ("12m", "Within a year"), ("later", "Later than that"), ("none", "No plans yet")])},
            {"key": "budget", "label": "Is there a budget for it?", "kind": "single", "maps_to": "bant.budget",
             "required": False,
             "options": options([("no", "Not yet"), ("<10k", "Under 10,000"), ("10k-50k", "10,000 to 50,000"),
                                 ("50k+", "More than 50,000")])},
            {"key": "authority", "label": "What is your part in the decision?", "kind": "single",
             "maps_to": "bant.authority", "required": False,
             "options": options([("decision_maker", "I make the decision"),
                                 ("influencer", "I recommend or take part"), ("user", "I would use it"),
                                 ("none", "I am not involved")])},
            {"key": NEXT_STEP, "label": "What would you like to happen next?", "kind": "single", "maps_to": None,
             "required": True, "options": options(list(NEXT_STEPS.items()))},
        ],
    }
