"""The simulator as the page, the API and the command ask for it: read the inputs (which version, which sample
leads: a segment's members or the latest N the actor sees; the rates in percent; the seed), load the sample leads'
contexts and run the pure simulator (journeys.simulate). Reads only; a problem is named by its field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from leadflow import clock
from leadflow import values as plain
from leadflow.errors import FieldError, Invalid
from leadflow.journeys import drafts, queries, samples, simulate
from leadflow.journeys.definition import DefinitionError, parse_definition, parse_moment
from leadflow.people.service import Actor

RATE_FIELDS = {"delivered": 97, "opened": 45, "clicked": 30, "survey_answered": 35}
ANSWER_FIELDS = {"quote": 15, "meeting": 15, "call": 20, "nothing": 50}
DEFAULTS = {"source": "latest", "latest": 100, "seed": 1, **RATE_FIELDS,
            **{f"answer_{k}": v for k, v in ANSWER_FIELDS.items()}}


def _number(values: Mapping, name: str, errors: list[FieldError], *, low: float, high: float) -> float:
    raw = values.get(name, DEFAULTS.get(name))
    text = str(raw if raw is not None else "").strip().rstrip("%").strip()
    try:
        number = float(text)
    except ValueError:
        errors.append(FieldError(name, f"'{text[:30]}' is not a number"))
        return float(DEFAULTS.get(name) or 0)
    if not low <= number <= high:
        errors.append(FieldError(name, f"must be from {low:g} to {high:g}"))
    return number


def _record_number(text: str) -> int | None:
    """A record's number from its digits, or None when they are no number or one too large for the database."""
    if not text.isdecimal() or len(text) > 19:
        return None
    number = int(text)
    return number if number <= plain.MAX_ID else None


def read(values: Mapping) -> dict:
    """The simulator's inputs with defaults, or Invalid naming each field that is wrong."""
    errors: list[FieldError] = []
    source = str(values.get("source") or "latest")
    if source not in ("latest", "segment"):
        errors.append(FieldError("source", "must be latest or segment"))
    out = {"source": source, "latest": int(_number(values, "latest", errors, low=1, high=samples.MAX_SAMPLE)),
           "seed": int(_number(values, "seed", errors, low=0, high=2**31)),
           "version": str(values.get("version") or "").strip() or None}
    segment = str(values.get("segment_id") or "").strip()
    out["segment_id"] = _record_number(segment)
    if segment.isdecimal() and out["segment_id"] is None:
        errors.append(FieldError("segment_id", plain.RANGE_REASON))
    elif source == "segment" and out["segment_id"] is None:
        errors.append(FieldError("segment_id", "choose a segment"))
    for name in RATE_FIELDS:
        out[name] = _number(values, name, errors, low=0, high=100)
    for name in ANSWER_FIELDS:
        out[f"answer_{name}"] = _number(values, f"answer_{name}", errors, low=0, high=100)
    out["start"] = None
    if str(values.get("start") or "").strip():
        try:
            out["start"] = parse_moment(str(values["start"]).strip())
        except ValueError as error:
            errors.append(FieldError("start", str(error)))
    if out["version"] is not None and not out["version"].isdecimal() and out["version"] != "draft":
        errors.append(FieldError("version", "a version's number, or draft"))
    elif out["version"] is not None and out["version"].isdecimal() and _record_number(out["version"]) is None:
        errors.append(FieldError("version", plain.RANGE_REASON))
    if errors:
        raise Invalid(errors)
    return out


def rates(inputs: Mapping) -> simulate.Rates:
    return simulate.Rates(delivered=inputs["delivered"] / 100, opened=inputs["opened"] / 100,
                          clicked=inputs["clicked"] / 100, survey_answered=inputs["survey_answered"] / 100,
                          answers={k: inputs[f"answer_{k}"] for k in ANSWER_FIELDS})


def definition_of(journey_id: int, version: str | None, *, session: Session) -> tuple[dict, str]:
    """The definition to simulate and its name: a version's, the draft's (the default when there is one), else
    the newest."""
    if version and version.isdecimal():
        found = queries.version(journey_id, int(version), session=session)
        return found.definition, f"version {found.number}"
    definition, current = drafts.working(journey_id, session=session)
    return definition, (f"the draft (version {current.number})" if current else "the newest version")


def _segment_members(segment_id: int, *, session: Session, limit: int) -> list[int]:
    from leadflow.segments import queries as segments_queries

    return segments_queries.member_ids(segment_id, session=session, limit=limit)


def run(journey_id: int, values: Mapping, actor: Actor, *, session: Session, start: datetime | None = None,
        keep_paths: int = 10) -> dict:
    queries.get(journey_id, session=session)
    inputs = read(values)
    raw, which = definition_of(journey_id, inputs["version"], session=session)
    try:
        definition = parse_definition(raw)
    except DefinitionError as error:
        raise Invalid([FieldError(drafts.where(p.path), p.reason) for p in error.problems]) from None
    lead_ids = None
    if inputs["source"] == "segment":
        lead_ids = _segment_members(inputs["segment_id"], session=session, limit=inputs["latest"])
    sample = samples.contexts(definition, actor, session=session, latest=inputs["latest"], lead_ids=lead_ids)
    result = simulate.simulate(definition, sample, rates=rates(inputs), seed=inputs["seed"],
                               start=inputs["start"] or start or clock.now(),
                               label=lambda c: str(c.get("label") or c.get("id")), keep_paths=keep_paths)
    inputs["start"] = inputs["start"].isoformat() if inputs["start"] else None
    return {"journey_id": journey_id, "simulated": which, "inputs": inputs, **result.as_dict(),
            "definition": raw}
