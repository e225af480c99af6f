"""One row of an imported file read as a Submission through its column mapping; full names split, yes/no read.

Pure: no database, no HTTP, no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from leadflow.capture.domain import (
    ATTRIBUTION_FIELDS, LEAD_FIELDS, NormalizedLead, Submission, attribution_from, normalize,
)
from leadflow.capture.imports.headers import CAMPAIGN, CONSENT, CUSTOM, DO_NOT_CONTACT, FULL_NAME, IGNORE, Mapping
from leadflow.errors import FieldError, Invalid

CONSENT_PURPOSE = "marketing"
YES = frozenset({
    "1", "true", "t", "yes", "y", "x", "on", "ja", "j", "jo", "kylla", "k", "oui", "si", "wahr",
    "subscribed", "opted in", "opt in", "opt-in", "granted", "given", "unsubscribed", "opted out", "opt out",
    "opt-out", "afgemeld", "reservert",
})
NO = frozenset({
    "0", "false", "f", "no", "n", "off", "nee", "nei", "ei", "nein", "nej", "non",
    "unsubscribed", "opted out", "opt out", "opt-out", "declined", "denied", "withdrawn", "refused",
    "afgemeld", "reservert",
})
_CONSENT_YES = YES - {"unsubscribed", "opted out", "opt out", "opt-out", "afgemeld", "reservert"}
# Particles that start a Dutch, German or Scandinavian surname: "Maarten de Vries" is Maarten + de Vries.
PARTICLES = frozenset({"van", "de", "der", "den", "ter", "ten", "te", "von", "zu", "af", "av", "da", "di", "du",
                       "le", "la", "del", "dos", "das", "'t", "in"})


def text_of(value: object) -> str:
    """A cell as text: spreadsheet numbers without a trailing '.0', dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _fold(value: str) -> str:
    return " ".join(value.casefold().replace("ä", "a").replace("ö", "o").split())


def split_name(full: str) -> tuple[str | None, str | None]:
    """'Maarten de Vries' -> ('Maarten', 'de Vries'); 'Virtanen, Aino' -> ('Aino', 'Virtanen'); 'Cher' -> first."""
    full = " ".join(full.split())
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip() or None, last.strip() or None
    parts = full.split(" ")
    if len(parts) == 1:
        return parts[0] or None, None
    for index in range(1, len(parts) - 1):
        if parts[index].casefold() in PARTICLES:
            return " ".join(parts[:index]), " ".join(parts[index:])
    return " ".join(parts[:-1]), parts[-1]


def row_values(mapping: Mapping, cells: list[object]) -> dict[str, str]:
    """The row as {header: text} for the capture's payload and the reject file."""
    return {column.header: text_of(cells[column.index]) if column.index < len(cells) else ""
            for column in mapping.columns}


def to_submission(mapping: Mapping, cells: list[object]) -> Submission:
    """A second column for a field already filled (a home email beside a work email) is kept as a custom field."""
    fields: dict[str, object] = {}
    custom: dict[str, object] = {}
    touch: dict[str, object] = {}
    full_name = campaign = None
    do_not_contact = None
    consents: list[dict] = []
    for column in mapping.columns:
        value = text_of(cells[column.index]) if column.index < len(cells) else ""
        if not value:
            continue
        target = column.target
        if target in LEAD_FIELDS:
            if target not in fields:
                fields[target] = value
            elif fields[target] != value:
                custom[column.header] = value
        elif target.startswith(CUSTOM):
            custom[target[len(CUSTOM):]] = value
        elif target in ATTRIBUTION_FIELDS:
            touch.setdefault(target, value)
        elif target == FULL_NAME:
            full_name = full_name or value
        elif target == CAMPAIGN:
            campaign = campaign or value
        elif target == DO_NOT_CONTACT:
            if _fold(value) in YES:
                do_not_contact = True
        elif target == CONSENT:
            answer = _fold(value)
            if answer in _CONSENT_YES:
                consents.append({"purpose": CONSENT_PURPOSE, "granted": True, "text": None})
            elif answer in NO:
                consents.append({"purpose": CONSENT_PURPOSE, "granted": False, "text": None})
        elif target != IGNORE:
            custom[column.header] = value
    if full_name and not fields.get("first_name") and not fields.get("last_name"):
        first, last = split_name(full_name)
        if first:
            fields["first_name"] = first
        if last:
            fields["last_name"] = last
    external_id = None
    if mapping.id_column is not None and mapping.id_column < len(cells):
        external_id = text_of(cells[mapping.id_column]) or None
    return Submission(fields=fields, custom_fields=custom, attribution=attribution_from(touch),
                      consents=consents[:1], campaign=campaign, external_id=external_id,
                      do_not_contact=do_not_contact)


@dataclass
class Prepared:
    """A row read and judged: the normalized lead, or the reasons it cannot be imported."""

    row_number: int
    values: dict[str, str]
    external_id: str | None
    lead: NormalizedLead | None
    errors: list[FieldError]
    set_aside: list[FieldError] = field(default_factory=list)   # values kept as given, the row imported without them


def prepare(mapping: Mapping, rows: list[tuple[int, list[object] | str]], *,
            default_country: str | None = None) -> list[Prepared]:
    """Judge a chunk of rows; a row given as text is one the reader could not read, with that reason."""
    width = len(mapping.columns)
    result = []
    for row_number, cells in rows:
        if isinstance(cells, str):
            result.append(Prepared(row_number, {}, None, None, [FieldError("row", cells)]))
            continue
        values = row_values(mapping, cells)
        if len(cells) > width and any(text_of(c) for c in cells[width:]):
            result.append(Prepared(row_number, values, None, None, [FieldError(
                "row", f"has {len(cells)} cells but the header has {width} columns (a delimiter inside an "
                       f"unquoted value?)")]))
            continue
        submission = to_submission(mapping, cells)
        try:
            lead = normalize(submission, default_country=default_country)
        except Invalid as exc:
            lead = set_aside(submission, exc.errors, default_country)
            if lead is None:
                result.append(Prepared(row_number, values, submission.external_id, None, exc.errors))
            else:
                result.append(Prepared(row_number, values, submission.external_id, lead, [], exc.errors))
            continue
        result.append(Prepared(row_number, values, submission.external_id, lead, []))
    return result


AS_GIVEN = "_as_given"


def set_aside(submission: Submission, errors: list[FieldError], default_country: str | None
              ) -> NormalizedLead | None:
    """A row of a file is a person someone met: a value that cannot be read (a phone without its country, a
    mistyped email) does not lose them. When every problem is in a lead field and the row still identifies a
    person without those values, the row is read without them and each value is kept as given in a custom field
    (`phone_as_given`); otherwise None (the row is rejected with its reasons)."""
    wrong = {e.field for e in errors}
    if not wrong or not wrong <= set(submission.fields):
        return None
    if "country" in wrong:   # the numbers were read by a country the row did not mean: set them aside too
        wrong |= {name for name in ("phone", "mobile") if name in submission.fields}
    kept = {name: value for name, value in submission.fields.items() if name not in wrong}
    given = {f"{name}{AS_GIVEN}": text_of(submission.fields[name])[:1000] for name in sorted(wrong)}
    try:
        return normalize(replace(submission, fields=kept, custom_fields={**submission.custom_fields, **given}),
                         default_country=default_country)
    except Invalid:
        return None
