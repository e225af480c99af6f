"""BANT: the four criteria, the values each allows, the reading of answers as people write them on forms and surveys
("Q1 2027", "3 months", "< 10k"), who may set them, and how many are known.

Pure: standard library only; today's date comes in as an argument. It never touches the database or the web.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

CRITERIA = ("budget", "authority", "need", "timeline")
SOURCES = ("lead", "telemarketer", "sales", "marketing", "import")
SOURCE_LABELS = {"lead": "the lead (form or survey)", "telemarketer": "a telemarketer", "sales": "sales",
                 "marketing": "marketing", "import": "an import"}

# The source a person's answer carries, by their role; who records what the lead said in a form is "lead".
ROLE_SOURCES = {"telemarketer": "telemarketer", "sales_rep": "sales", "sales_manager": "sales",
                "marketing": "marketing", "admin": "marketing"}
# Sources a person may name themselves (through the API) besides their own: marketing and admins load answers.
RECORDING_SOURCES = {"admin": SOURCES, "marketing": ("marketing", "lead", "import")}

AUTHORITY = ("decision_maker", "influencer", "user", "none")
NEED_LEVELS = ("high", "medium", "low", "none")
TIMELINES = ("1m", "3m", "6m", "12m", "later", "none")
BUDGET_WORDS = ("yes", "no")

LABELS = {
    "authority": {"decision_maker": "Decision maker", "influencer": "Influencer", "user": "User", "none": "None"},
    "need": {"high": "High", "medium": "Medium", "low": "Low", "none": "None"},
    "timeline": {"1m": "Within 1 month", "3m": "Within 3 months", "6m": "Within 6 months",
                 "12m": "Within 12 months", "later": "Later than 12 months", "none": "No plans"},
    "budget": {"yes": "Yes", "no": "No"},
}
CHOICES = {"budget": ("yes", "no", "<10k", "10k-50k", "50k-100k", "100k-500k", "500k+"),
           "authority": AUTHORITY, "need": NEED_LEVELS, "timeline": TIMELINES}
MAX_TEXT = 500

_UNKNOWN = {"", "unknown", "?", "n/a", "na", "-", "select", "please select", "--", "don't know", "dont know",
            "not sure", "unsure", "tbd"}
_NO = {"no", "none", "nothing", "n", "0", "false", "no budget", "not yet", "never", "no plans", "no need"}
_YES = {"yes", "y", "true", "approved", "allocated", "budgeted", "available", "we have budget", "have budget"}

_AUTHORITY_WORDS = {
    "decision_maker": ("decision maker", "decision-maker", "decisionmaker", "decision_maker", "dm", "yes",
                       "final say", "budget holder", "owner", "i decide", "sign off", "signer", "economic buyer"),
    "influencer": ("influencer", "recommender", "champion", "evaluator", "advisor", "influence", "recommend",
                   "part of the decision", "committee"),
    "user": ("user", "end user", "end-user", "researcher", "gathering information", "just looking"),
    "none": ("none", "no", "no authority", "not involved"),
}
_NEED_WORDS = {
    "high": ("high", "urgent", "critical", "must have", "must-have", "strong", "yes", "pain", "very"),
    "medium": ("medium", "moderate", "some", "nice to have", "nice-to-have", "maybe", "average"),
    "low": ("low", "little", "weak", "minor"),
    "none": ("none", "no", "no need", "not needed"),
}
_MONTHS = {name: i + 1 for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"))}
_MONTHS.update({name[:3]: number for name, number in list(_MONTHS.items())})


@dataclass(frozen=True)
class Answer:
    """A normalised answer: the value to store (None: unknown) or the problem with what was given."""

    value: str | None
    problem: str | None = None


def is_known(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def known_count(values: dict[str, str | None]) -> int:
    """How many of the four criteria have an answer ("no" is an answer: it is known)."""
    return sum(1 for criterion in CRITERIA if is_known(values.get(criterion)))


def label(criterion: str, value: str | None) -> str:
    if value is None:
        return "Unknown"
    return LABELS.get(criterion, {}).get(value, value)


def source_for_role(role: str) -> str:
    return ROLE_SOURCES.get(role, "sales")


def may_record(role: str, source: str) -> bool:
    return source == source_for_role(role) or source in RECORDING_SOURCES.get(role, ())


def answers_in(fields: dict) -> dict[str, object]:
    """The BANT answers among a submission's custom fields: named budget, authority, need or timeline (any case,
    or with a bant_ / bant. prefix)."""
    found = {}
    for key, value in (fields or {}).items():
        name = str(key).strip().casefold()
        for prefix in ("bant_", "bant.", "bant-"):
            name = name.removeprefix(prefix)
        if name in CRITERIA and value not in (None, "", [], {}):
            found[name] = value
    return found


def normalize(criterion: str, raw: object, *, today: date) -> Answer:
    """Read an answer as written ("Q1 2027", "3 months", "< 10k", "Decision maker") into its stored value."""
    if criterion not in CRITERIA:
        return Answer(None, f"unknown criterion; one of {', '.join(CRITERIA)}")
    if raw is None:
        return Answer(None)
    if isinstance(raw, bool):
        raw = "yes" if raw else "no"
    text = " ".join(str(raw).split())
    if len(text) > MAX_TEXT:
        return Answer(None, f"must be at most {MAX_TEXT} characters")
    folded = text.casefold().strip(" .!")
    if folded in _UNKNOWN:
        return Answer(None)
    return {"budget": _budget, "authority": _authority, "need": _need, "timeline": _timeline}[criterion](
        text, folded, today)


def normalize_all(answers: dict, *, today: date) -> tuple[dict[str, str | None], dict[str, str]]:
    """Normalised values of the criteria given, and the problems by criterion."""
    values, errors = {}, {}
    for criterion, raw in answers.items():
        answer = normalize(criterion, raw, today=today)
        if answer.problem:
            errors[criterion] = answer.problem
        else:
            values[criterion] = answer.value
    return values, errors


# Budget: yes / no, or an amount or range kept in a compact form ("<10k", "10k-50k", "50k+", "25k") when that form
# says all that was written; otherwise the answer in the person's own words ("50k EUR approved"), never cut short.

_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)*)\s*(k|m|mio|million|thousand|tsd)?", re.IGNORECASE)
_BELOW = re.compile(r"(<|under|below|less than|up to|max)")
_ABOVE = re.compile(r"(>|over|above|more than|at least|\+|min)")
# Everything the compact form says: amounts, a bound, a range, a currency (amounts are kept without it).
_COMPACT_SAYS = re.compile(
    r"\d+(?:[.,]\d+)*\s*(?:k|m|mio|million|thousand|tsd)?\b|[€$£<>+\-\u2013\u2014]|"
    r"\b(?:eur|euros?|usd|dollars?|gbp|pounds?|chf|sek|nok|dkk|pln|under|below|less than|up to|max|maximum|over|"
    r"above|more than|at least|min|minimum|between|to|and)\b|[\s,.]")
BUDGET_PROBLEM = "give an amount or range (e.g. 25k, 10k-50k, < 10k) or yes / no"


def _amount(number: str, suffix: str | None) -> float:
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", number):
        value = float(re.sub(r"[.,]", "", number))
    else:
        value = float(number.replace(",", "."))
    factor = {"k": 1e3, "thousand": 1e3, "tsd": 1e3, "m": 1e6, "mio": 1e6, "million": 1e6}
    return value * factor.get((suffix or "").lower(), 1)


def compact(amount: float) -> str:
    if amount >= 1e6 and amount % 1e5 == 0:
        return f"{amount / 1e6:g}m"
    if amount >= 1e3 and amount % 100 == 0:
        return f"{amount / 1e3:g}k"
    return f"{amount:g}"


def _compact_budget(folded: str) -> str | None:
    """The amount, range or bound a budget names, in compact form (None: it names no amount)."""
    amounts = [_amount(m.group(1), m.group(2)) for m in _AMOUNT.finditer(folded)]
    if not amounts:
        return None
    if len(amounts) >= 2:
        low, high = sorted(amounts[:2])
        return f"{compact(low)}-{compact(high)}"
    if _BELOW.search(folded):
        return f"<{compact(amounts[0])}"
    if _ABOVE.search(folded):
        return f"{compact(amounts[0])}+"
    return compact(amounts[0])


def _budget(text: str, folded: str, today: date) -> Answer:
    if folded in _YES:
        return Answer("yes")
    if folded in _NO:
        return Answer("no")
    value = _compact_budget(folded)
    if value is None:
        return Answer(None, BUDGET_PROBLEM)
    if _COMPACT_SAYS.sub("", folded) or len(_AMOUNT.findall(folded)) > 2:
        return Answer(text)  # more than the compact form can say: kept as written
    return Answer(value)


def budget_bounds(value: str | None) -> tuple[float | None, float | None]:
    """The (low, high) amounts a stored budget value stands for, for rules on size; None where open. A budget in
    the person's own words stands for the amounts it names."""
    if not value or value in BUDGET_WORDS:
        return (None, None)
    value = _compact_budget(value.casefold())
    if value is None:
        return (None, None)

    def number(part: str) -> float:
        match = _AMOUNT.fullmatch(part.strip())
        return _amount(match.group(1), match.group(2)) if match else 0.0

    if value.startswith("<"):
        return (0.0, number(value[1:]))
    if value.endswith("+"):
        return (number(value[:-1]), None)
    if "-" in value:
        low, _, high = value.partition("-")
        return (number(low), number(high))
    amount = number(value)
    return (amount, amount)


def _pick(folded: str, words: dict[str, tuple[str, ...]]) -> str | None:
    for value, synonyms in words.items():
        if folded == value or folded.replace(" ", "_") == value or folded in synonyms:
            return value
    for value, synonyms in words.items():
        if any(len(s) > 3 and s in folded for s in synonyms):
            return value
    return None


def _authority(text: str, folded: str, today: date) -> Answer:
    value = _pick(folded, _AUTHORITY_WORDS)
    if value is None:
        return Answer(None, "one of decision maker, influencer, user, none")
    return Answer(value)


def _need(text: str, folded: str, today: date) -> Answer:
    """A level when it reads as one; otherwise the need in the lead's own words."""
    return Answer(_pick(folded, _NEED_WORDS) or text)


# Timeline: a bucket by how many months from today the purchase is planned (the end of a named period counts).

def bucket(months: float) -> str:
    if months <= 1:
        return "1m"
    if months <= 3:
        return "3m"
    if months <= 6:
        return "6m"
    if months <= 12:
        return "12m"
    return "later"


def _months_until(year: int, month: int, today: date) -> float:
    """Months from today to the end of the given month."""
    return (year - today.year) * 12 + (month - today.month) + 1 - today.day / 31


_TIMELINE_WORDS = {
    "1m": ("now", "immediately", "asap", "right away", "urgent", "this month", "1m", "within 1 month"),
    "none": ("none", "no", "never", "no plans", "not planned", "no timeline"),
    "later": ("later", "someday", "not this year", "long term", "long-term"),
}


def _timeline(text: str, folded: str, today: date) -> Answer:
    if folded in TIMELINES:
        return Answer(folded)
    for value, words in _TIMELINE_WORDS.items():
        if folded in words:
            return Answer(value)
    match = re.search(r"\bq([1-4])\s*[/-]?\s*'?(\d{2,4})\b", folded) or re.search(r"\b(\d{4})\s*[/-]?\s*q([1-4])\b",
                                                                                 folded)
    if match:
        a, b = match.groups()
        quarter, year = (int(a), int(b)) if folded[match.start()] == "q" else (int(b), int(a))
        year = year + 2000 if year < 100 else year
        return Answer(_past_or(bucket(_months_until(year, quarter * 3, today)), year, quarter * 3, today))
    match = re.search(r"\bh([12])\s*'?(\d{2,4})\b", folded)
    if match:
        half, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        return Answer(_past_or(bucket(_months_until(year, half * 6, today)), year, half * 6, today))
    match = re.search(r"(\d+(?:[.,]\d+)?)\s*(day|week|month|year|yr|mo)s?\b", folded)
    if match:
        amount = float(match.group(1).replace(",", "."))
        unit = match.group(2)
        months = amount * {"day": 1 / 30, "week": 0.25, "month": 1, "mo": 1, "year": 12, "yr": 12}[unit]
        if re.search(r"(>|more than|over|beyond|after)", folded):
            months += 0.01
        return Answer(bucket(months))
    relative = {"this quarter": 3 - (today.month - 1) % 3, "next quarter": 6 - (today.month - 1) % 3,
                "this year": 13 - today.month, "next year": 25 - today.month, "next month": 2}
    for phrase, months in relative.items():
        if phrase in folded:
            return Answer(bucket(months - today.day / 31))
    match = re.search(r"\b(\d{4})-(\d{1,2})\b", folded)
    if match and 1 <= int(match.group(2)) <= 12:
        year, month = int(match.group(1)), int(match.group(2))
        return Answer(_past_or(bucket(_months_until(year, month, today)), year, month, today))
    for name, number in _MONTHS.items():
        found = re.search(rf"\b{name}\b\s*(\d{{4}})?", folded)
        if found:
            year = int(found.group(1)) if found.group(1) else today.year + (1 if number < today.month else 0)
            return Answer(_past_or(bucket(_months_until(year, number, today)), year, number, today))
    match = re.fullmatch(r"(\d{4})", folded)
    if match:
        year = int(match.group(1))
        return Answer(_past_or(bucket(_months_until(year, 12, today)), year, 12, today))
    return Answer(None, "a time such as 3 months, Q1 2027, this year, later or none")


def _past_or(value: str, year: int, month: int, today: date) -> str:
    """A period already over reads as 'now' (they meant soon)."""
    return "1m" if (year, month) < (today.year, today.month) else value
