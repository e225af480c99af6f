"""The catalogue of every field a condition can name: its type, what it means, and where it can be used (scoring fit
rules, the Sales Ready rule, scoring behaviour rules on an event, routing rules), plus the open roots (`custom.X`, `interests.X`,
`event.X`) and the old spellings still read (`bant_known`, `custom_fields.X`). docs/conditions.md lists them all.

Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

FIT = "fit"  # a scoring fit rule: the lead's declared fields
SALES_READY = "sales_ready"  # the Sales Ready rule: declared fields and what scoring and prediction made of them
EVENT = "event"  # a scoring behaviour rule: the properties of one event
ROUTING = "routing"  # a routing rule: everything the Sales Ready rule reads, plus where the lead came from
FOLLOWUP = "followup"  # a follow-up policy: everything a routing rule reads, plus the team the lead is handed to
SEGMENT = "segment"  # a segment: everything a routing rule reads, plus the lead's latest survey answers
SCOPES = (FIT, SALES_READY, EVENT, ROUTING, FOLLOWUP, SEGMENT)
LEAD = frozenset({FIT, SALES_READY, ROUTING, FOLLOWUP, SEGMENT})
READY = frozenset({SALES_READY, ROUTING, FOLLOWUP, SEGMENT})
ROUTE = frozenset({ROUTING, FOLLOWUP, SEGMENT})
HANDED = frozenset({FOLLOWUP})


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text, number, boolean, date, any
    description: str
    scopes: frozenset[str] = LEAD
    # A code such as a postal code: `<`, `<=`, `>`, `>=` against a number read a text value as a number only when
    # it starts with its digits ("90210-1234" is 90210, "1012 AB" is 1012; "SW1A 1AA" is no number, so no range
    # of numbers holds it).
    code: bool = False


_FIELDS = (
    # what scoring and prediction made of the lead
    Field("score", "number", "the lead's score (fit plus decayed behaviour), 0 when not scored", READY),
    Field("grade", "text", "the fit grade, A to D", READY),
    Field("band", "text", "hot, warm or cold, from the score", READY),
    Field("fit", "number", "fit points", READY),
    Field("predicted_probability", "number",
          "the predictive model's probability of conversion (0 to 1); unknown while the model is below its "
          "quality bar", READY),
    # the lead
    Field("stage", "text", "the lifecycle stage (new, mql, sql, ...)"),
    Field("email", "text", "the email address"),
    Field("email_domain", "text", "the part of the email address after '@'"),
    Field("first_name", "text", "first name", READY),
    Field("last_name", "text", "last name", READY),
    Field("job_title", "text", "job title"),
    Field("company", "text", "the company name the lead gave, else its company record's name"),
    Field("country", "text", "the country (ISO code) the lead gave, else its company record's"),
    Field("city", "text", "city"),
    Field("region", "text", "region or state"),
    Field("language", "text", "language"),
    Field("channel", "text", "the channel the lead came through (form, api, import, ...)"),
    Field("phone", "text", "phone number", READY),
    Field("mobile", "text", "mobile number", READY),
    Field("do_not_contact", "boolean", "the lead asked not to be contacted", READY),
    Field("owner_id", "number", "the id of the person who owns the lead", READY),
    # company facts: the lead's own custom field first, else its company record
    Field("industry", "text", "the industry: the lead's custom field `industry`, else its company record's"),
    Field("employees", "number", "the company size: the lead's custom field `employees` (\"5,000 employees\" "
                                 "reads as 5000), else its company record's"),
    Field("revenue", "number", "the company revenue: the lead's custom field `revenue`, else its company "
                               "record's"),
    # the company record
    Field("company.name", "text", "the company record's name"),
    Field("company.industry", "text", "the company record's industry"),
    Field("company.employees", "number", "the company record's number of employees"),
    Field("company.revenue", "number", "the company record's revenue"),
    Field("company.country", "text", "the company record's country"),
    # BANT
    Field("bant.known", "number", "how many of budget, authority, need and timeline are known (0 to 4)"),
    Field("bant.budget", "text", "the budget answer (yes, no, 25k, <10k, 10k-50k, ...)"),
    Field("bant.authority", "text", "the authority answer (decision_maker, influencer, user, none)"),
    Field("bant.need", "text", "the need answer (high, medium, low, none, or in the lead's words)"),
    Field("bant.timeline", "text", "the timeline answer (1m, 3m, 6m, 12m, later, none)"),
    # routing: where the lead is and where it came from
    Field("postal_code", "text", "the postal code: a range of numeric codes or a prefix makes a territory", ROUTE,
          code=True),
    Field("campaign", "text", "the name of the lead's last campaign, else its first", ROUTE),
    Field("campaign_id", "number", "the id of that campaign", ROUTE),
    Field("source", "text", "the source of the lead's last touch (google, newsletter, ...)", ROUTE),
    Field("medium", "text", "the medium of the lead's last touch (cpc, email, ...)", ROUTE),
    Field("queue", "text", "the queue the lead is in, unknown when it is in none", ROUTE),
    Field("sales_ready", "boolean", "the lead is Sales Ready", ROUTE),
    Field("team", "text", "the team of the salesperson the lead is handed to, unknown when they have none", HANDED),
)
FIELDS: dict[str, Field] = {f.name: f for f in _FIELDS}

# Roots that take any name after the dot: root -> (type, description, scopes).
OPEN_ROOTS: dict[str, Field] = {
    "custom": Field("custom.<name>", "any", "a custom field of the lead (`custom_fields.<name>` is the same)"),
    "interests": Field("interests.<family>", "number", "the lead's decayed interest points in a product family",
                       READY),
    "event": Field("event.<property>", "any", "a property of the event (`event.url`, `event.name`, ...)",
                   frozenset({EVENT})),
}

# Old spellings, read as the name they stand for.
ALIASES = {"bant_known": "bant.known", "custom_fields": "custom"}


@dataclass(frozen=True)
class Resolved:
    """A name as written, the catalogue name it stands for, and the keys a value is looked up by (the first
    present wins: a context may hold the current or the old spelling)."""

    name: str
    canonical: str
    keys: tuple[str, ...]
    field: Field


def resolve(name: str, scope: str) -> Resolved | str:
    """The field a name stands for in a scope, or why it cannot be used there."""
    canonical = ALIASES.get(name, name)
    root, dot, rest = name.partition(".")
    if dot and root in ALIASES:
        root = ALIASES[root]
        canonical = f"{root}.{rest}"
    found = FIELDS.get(canonical)
    if found is None and dot and root in OPEN_ROOTS:
        if not rest or "." in rest:
            return f"write {name.partition('.')[0]}.<name>: one name after the dot, such as {root}.plan"
        found = OPEN_ROOTS[root]
    if found is None:
        return f"unknown field '{name}'; known: {known_names(scope)}"
    if scope not in found.scopes:
        return f"'{name}' cannot be used in {_SCOPE_WORDS[scope]}; known there: {known_names(scope)}"
    if root == "event":
        keys: tuple[str, ...] = (rest,)
    else:
        keys = (canonical, *(old for old, new in ALIASES.items() if new == canonical))
        if root == "custom":
            keys = (canonical, f"custom_fields.{rest}")
    return Resolved(name, canonical, keys, found)


def names(scope: str) -> list[str]:
    """Every name usable in a scope, open roots as `root.<name>`, in catalogue order."""
    return [f.name for f in _FIELDS if scope in f.scopes] + [f.name for f in OPEN_ROOTS.values() if scope in f.scopes]


def known_names(scope: str) -> str:
    return ", ".join(names(scope))


def described(scope: str) -> dict[str, str]:
    """Name -> description for a scope (the Sales Ready page's list of names)."""
    return {f.name: f.description for f in (*_FIELDS, *OPEN_ROOTS.values()) if scope in f.scopes}


_SCOPE_WORDS = {FIT: "a fit rule (it reads the lead's declared fields)", SALES_READY: "the Sales Ready rule",
                EVENT: "a behaviour rule (it reads the event's properties)", ROUTING: "a routing rule",
                FOLLOWUP: "a follow-up policy", SEGMENT: "a segment"}


# The lead's latest survey answers (`survey.next_step`, `survey.budget`): segments and journeys read them.
OPEN_ROOTS["survey"] = Field("survey.<question>", "any",
                             "the lead's latest answer to a survey question (`survey.next_step`, any survey)",
                             frozenset({SEGMENT}))

# The journey scope (a journey's entry conditions, branches and goals): every field a segment reads.
JOURNEY = "journey"
SCOPES = (*SCOPES, JOURNEY)
_FIELDS = tuple(replace(f, scopes=f.scopes | {JOURNEY}) if SEGMENT in f.scopes else f for f in _FIELDS)
FIELDS = {f.name: f for f in _FIELDS}
OPEN_ROOTS = {root: replace(f, scopes=f.scopes | {JOURNEY}) if SEGMENT in f.scopes else f
              for root, f in OPEN_ROOTS.items()}
_SCOPE_WORDS[JOURNEY] = "a journey's condition"
