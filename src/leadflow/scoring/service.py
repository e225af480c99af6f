"""Scoring: the active rule set, live scoring of new events in constant time per event, fit rescoring when declared
fields or BANT answers change, full rescoring from the event history, and rule set versions.

score = round(fit points + behaviour points decayed to now), never below zero; band from the score, grade from the
fit points. Each lead's state lives in `lead_scores`; the `leads` columns (score, grade, band, score_explanation,
interests) follow it in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import (
    Text,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    null,
    select,
    table,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from leadflow import clock, outbox
from leadflow.errors import Invalid, NotFound
from leadflow.events import SCORING_REFRESH, SCORING_RESCORE, SCORING_RESCORED
from leadflow.leads.domain import company_facts
from leadflow.leads.models import Company, Lead
from leadflow.scoring import backtest as backtest_mod
from leadflow.scoring import bands, rules
from leadflow.scoring import replay as replay_mod
from leadflow.scoring.models import LeadScore, RuleSet, ScoringRun

CHUNK = 2000
# The events table belongs to tracking (above scoring): read with a plain table description, never its models.
# Events with an `unscored` reason (a repeat or machine email open) are kept for the record and never scored.
EVENTS = table("events", column("id"), column("lead_id"), column("type"), column("occurred_at"),
               column("properties"), column("unscored"))
EXPLANATION_ON_LEAD = 5
_compiled: dict[tuple, rules.RuleSet] = {}


# -- the rule set -----------------------------------------------------------------------------------------------

def default_definition() -> dict:
    return json.loads(resources.files("leadflow.scoring").joinpath("defaults.json").read_text("utf-8"))


def compile_definition(definition: dict) -> rules.RuleSet:
    return rules.parse(definition)


def active_rule_set(session: Session) -> tuple[int, rules.RuleSet]:
    """The active rule set's id and compiled rules (compiled once per version per process); the shipped defaults
    become version 1 on first use."""
    row = session.execute(
        select(RuleSet.id, RuleSet.version, RuleSet.activated_at).where(RuleSet.status == "active")
        .order_by(RuleSet.version.desc()).limit(1)).first()
    if row is None:
        return _install_defaults(session)
    key = (str(session.get_bind().engine.url), row.id, row.version, row.activated_at)
    compiled = _compiled.get(key)
    if compiled is None:
        definition = session.scalar(select(RuleSet.definition).where(RuleSet.id == row.id))
        compiled = rules.parse(definition)
        if len(_compiled) > 32:
            _compiled.clear()
        _compiled[key] = compiled
    return row.id, compiled


def _install_defaults(session: Session) -> tuple[int, rules.RuleSet]:
    definition = default_definition()
    compiled = rules.parse(definition)
    version = (session.scalar(select(func.max(RuleSet.version))) or 0) + 1
    try:
        with session.begin_nested():
            row = RuleSet(version=version, name=definition.get("name", "leadflow default"), status="active",
                          definition=definition, created_by="system", activated_at=clock.now(),
                          notes="The rule set leadflow ships with.")
            session.add(row)
            session.flush()
    except IntegrityError:  # another transaction installed it first
        return active_rule_set(session)
    schedule_refresh(session)
    return row.id, compiled


def schedule_refresh(session: Session) -> None:
    """The next nightly decay refresh (03:00 UTC), once per night whoever asks (outbox key by date)."""
    moment = clock.now()
    due = moment.replace(hour=3, minute=0, second=0, microsecond=0)
    if due <= moment:
        due += timedelta(days=1)
    key = f"{SCORING_REFRESH}:{due.date().isoformat()}"
    if session.scalar(select(outbox.OutboxMessage.id).where(outbox.OutboxMessage.key == key)) is None:
        outbox.publish(session, SCORING_REFRESH, {}, key=key, available_at=due)



def get_rule_set(session: Session, rule_set_id: int) -> RuleSet:
    row = session.get(RuleSet, rule_set_id)
    if row is None:
        raise NotFound("rule set", rule_set_id)
    return row


def list_rule_sets(session: Session) -> list[RuleSet]:
    active_rule_set(session)
    return list(session.scalars(select(RuleSet).order_by(RuleSet.version.desc())))


def create_draft(session: Session, definition: Any, *, actor: str, notes: str | None = None) -> RuleSet:
    """A new draft version (validated: Invalid carries every problem with its path)."""
    compiled = rules.parse(definition)
    active_rule_set(session)
    version = (session.scalar(select(func.max(RuleSet.version))) or 0) + 1
    row = RuleSet(version=version, name=compiled.name, status="draft", definition=definition, notes=notes,
                  created_by=actor)
    session.add(row)
    session.flush()
    return row


def update_draft(session: Session, rule_set_id: int, definition: Any, *, notes: str | None = None) -> RuleSet:
    row = get_rule_set(session, rule_set_id)
    if row.status != "draft":
        raise Invalid.one("status", "only a draft can be edited; save it as a new draft instead")
    compiled = rules.parse(definition)
    row.definition, row.name = definition, compiled.name
    if notes is not None:
        row.notes = notes
    session.flush()
    return row


def activate(session: Session, rule_set_id: int, *, actor: str) -> ScoringRun:
    """Make a version the active one (the previous one is retired) and queue the rescore of every lead."""
    row = get_rule_set(session, rule_set_id)
    rules.parse(row.definition)
    if row.status == "active":
        raise Invalid.one("status", "this rule set is already active")
    moment = clock.now()
    session.execute(update(RuleSet).where(RuleSet.status == "active", RuleSet.id != row.id)
                    .values(status="retired"))
    row.status, row.activated_at = "active", moment
    run = ScoringRun(kind="rescore", rule_set_id=row.id, status="queued", created_by=actor,
                     total=session.scalar(select(func.count()).select_from(Lead).where(Lead.merged_into_id.is_(None)))
                     or 0, done=0, last_lead_id=0, result={})
    session.add(run)
    session.flush()
    outbox.publish(session, SCORING_RESCORE, {"run_id": run.id}, key=f"{SCORING_RESCORE}:{run.id}")
    return run


def parse_text(body: str, fmt: str | None = None) -> Any:
    """A definition from JSON or YAML text (yaml.safe_load only); Invalid with the line where it fails."""
    import yaml

    body = body or ""
    if fmt == "json" or (fmt is None and body.lstrip().startswith("{")):
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise Invalid.one(f"line {exc.lineno}", f"not valid JSON: {exc.msg} (column {exc.colno})") from None
        except RecursionError:
            raise Invalid.one("definition", "is nested too deeply") from None
    try:
        return yaml.safe_load(body)
    except RecursionError:
        raise Invalid.one("definition", "is nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "definition"
        reason = getattr(exc, "problem", None) or str(exc)
        raise Invalid.one(where, f"not valid YAML: {reason}") from None


def export_text(definition: dict, fmt: str = "json") -> str:
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, width=120)
    return json.dumps(definition, indent=2, ensure_ascii=False) + "\n"


# -- declared fields --------------------------------------------------------------------------------------------

BANT_CRITERIA = ("budget", "authority", "need", "timeline")


def current_bant(session: Session, lead_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The newest answer per criterion (a plain query: bant_answers belongs to qualification, above scoring)."""
    ids = list(lead_ids)
    found: dict[int, dict[str, str | None]] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        statement = text("SELECT lead_id, criterion, value FROM bant_answers WHERE lead_id IN :ids "
                         "ORDER BY lead_id, criterion, set_at, id").bindparams(bindparam("ids", expanding=True))
        for lead_id, criterion, value in session.execute(statement, {"ids": part}):
            found.setdefault(lead_id, {})[criterion] = value
    return {lead_id: {c: v for c, v in answers.items() if v not in (None, "")} for lead_id, answers in found.items()}


def declared_fields(session: Session, lead_ids: list[int], bant: dict[int, dict[str, str]] | None = None
                    ) -> dict[int, dict[str, object]]:
    """Each lead's declared fields as the flat dict fit rules read (job_title, employees, custom.x, bant.need...)."""
    if not lead_ids:
        return {}
    if bant is None:
        bant = current_bant(session, lead_ids)
    result: dict[int, dict[str, object]] = {}
    columns = (Lead.id, Lead.job_title, Lead.company, Lead.country, Lead.language, Lead.email, Lead.city,
               Lead.region, Lead.channel, Lead.stage, Lead.custom_fields, Company.name, Company.industry,
               Company.employees, Company.revenue, Company.country)
    for start in range(0, len(lead_ids), 1000):
        part = lead_ids[start:start + 1000]
        query = select(*columns).outerjoin(Company, Company.id == Lead.company_id).where(Lead.id.in_(part))
        for row in session.execute(query):
            (lead_id, job_title, company, country, language, email, city, region, channel, stage, custom,
             company_name, industry, employees, revenue, company_country) = row
            custom = custom or {}
            facts = company_facts(custom, {"industry": industry, "employees": employees,
                                           "revenue": float(revenue) if revenue is not None else None})
            fields: dict[str, object] = {
                "job_title": job_title, "company": company or company_name, "country": country or company_country,
                "language": language, "email": email,
                "email_domain": email.rsplit("@", 1)[1] if email and "@" in email else None,
                "city": city, "region": region, "channel": channel, "stage": stage,
                **{name: fact[0] if fact else None for name, fact in facts.items()},
                "company.name": company_name, "company.industry": industry, "company.employees": employees,
                "company.revenue": float(revenue) if revenue is not None else None,
                "company.country": company_country,
            }
            for key, value in custom.items():
                fields[f"custom.{key}"] = value
            answers = bant.get(lead_id, {})
            for criterion, value in answers.items():
                fields[f"bant.{criterion}"] = value
            fields["bant_known"] = sum(1 for c in BANT_CRITERIA if answers.get(c) not in (None, ""))
            result[lead_id] = fields
    return result


# -- state <-> rows ---------------------------------------------------------------------------------------------

def _state_of(row: LeadScore) -> rules.BehaviourState:
    return rules.BehaviourState(points=row.behaviour or 0.0, as_of=clock.as_utc(row.as_of).timestamp(),
                                interests=dict(row.interests or {}),
                                contributions=[tuple(c) for c in (row.contributions or [])],
                                counters={k: dict(v) for k, v in (row.counters or {}).items() if k != "_fit"})


@dataclass
class Outcome:
    """A lead's scored result, ready to be written."""

    lead_id: int
    fit: rules.FitResult
    state: rules.BehaviourState
    score: int
    band: str
    explanation: list[dict]
    interests: dict[str, float]


def _outcome(compiled: rules.RuleSet, lead_id: int, fit: rules.FitResult, state: rules.BehaviourState,
             at: float) -> Outcome:
    behaviour = rules.behaviour_at(compiled, state, at)
    score = rules.total_score(fit.points, behaviour)
    if len(state.contributions) > compiled.explanation_size:
        rules.trim(state, compiled)
    return Outcome(lead_id, fit, state, score, bands.band_of(score, compiled.bands),
                   rules.explain(compiled, fit, state, at, EXPLANATION_ON_LEAD),
                   rules.interests_at(compiled, state, at))


def _row_values(rule_set_id: int, outcome: Outcome, moment) -> dict:
    state = outcome.state
    return {"lead_id": outcome.lead_id, "rule_set_id": rule_set_id, "behaviour": state.points,
            "as_of": _dt(state.as_of), "fit": round(outcome.fit.points), "grade": outcome.fit.grade,
            "score": outcome.score, "band": outcome.band, "interests": state.interests,
            "contributions": [list(c) for c in state.contributions], "counters": state.counters,
            "updated_at": moment, "fit_hits": [list(h) for h in outcome.fit.hits]}


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _write_leads(session: Session, outcomes: list[Outcome]) -> None:
    """The denormalized columns on leads: objects in the session are set directly, the rest updated in bulk."""
    bulk = []
    for o in outcomes:
        values = {"score": o.score, "grade": o.fit.grade, "band": o.band, "score_explanation": o.explanation,
                  "interests": o.interests}
        lead = session.identity_map.get(identity_key(Lead, o.lead_id))
        if lead is not None:
            for key, value in values.items():
                setattr(lead, key, value)
        else:
            bulk.append({"b_id": o.lead_id, **values})
    if bulk:
        table = Lead.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id")), bulk)


# -- live scoring -----------------------------------------------------------------------------------------------

def score_events(session: Session, events: list) -> set[int]:
    """Apply the behaviour rules to newly stored events of known leads (constant time per event); returns the ids
    of leads whose score, grade or band changed.

    Rows are read and written in bulk and always in lead id order, so concurrent batches on the same leads queue
    instead of deadlocking or failing on a duplicate key: missing `lead_scores` rows are inserted first with
    `ON CONFLICT (lead_id) DO NOTHING` (a row another transaction inserted meanwhile is updated instead), then on
    PostgreSQL the other rows are locked (`SELECT ... FOR UPDATE` ordered by lead id) before anything is computed
    from them, then the `leads` columns are updated in the same order.
    """
    by_lead: dict[int, list[tuple]] = {}
    for event in events:
        if event.lead_id is not None:
            by_lead.setdefault(event.lead_id, []).append(
                (clock.as_utc(event.occurred_at).timestamp(), event.id or 0, event.type, event.properties))
    if not by_lead:
        return set()
    rule_set_id, compiled = active_rule_set(session)
    session.flush()  # pending ORM changes of these rows first: the reads and writes below are plain statements
    lead_ids = sorted(by_lead)
    postgres = session.get_bind().dialect.name == "postgresql"
    # SQLite: one writer at a time, the rows as read stay true. PostgreSQL: which rows exist (no lock yet).
    rows = _read_scores(session, lead_ids, ids_only=postgres)
    at = clock.now().timestamp()
    moment = clock.now()
    matcher = _Matcher(compiled)
    outcomes: list[Outcome] = []
    changed: set[int] = set()
    inserted: set[int] = set()
    missing = [lead_id for lead_id in lead_ids if lead_id not in rows]
    if missing:
        declared = declared_fields(session, missing)
        fresh: dict[int, Outcome] = {}
        for lead_id in missing:
            if lead_id not in declared:
                continue  # the lead is gone
            state = rules.BehaviourState()
            matcher.apply(state, by_lead[lead_id])
            fresh[lead_id] = _outcome(compiled, lead_id, rules.evaluate_fit(compiled, declared[lead_id]), state, at)
        inserted = _insert_missing(session, [_insertable(_row_values(rule_set_id, fresh[lead_id], moment))
                                             for lead_id in sorted(fresh)])
        outcomes += [fresh[lead_id] for lead_id in sorted(inserted)]
        changed |= inserted
        taken = set(fresh) - inserted  # inserted by a concurrent transaction since our read: updated below
        if taken and not postgres:
            rows.update(_read_scores(session, sorted(taken)))
    if postgres:
        rows = _read_scores(session, sorted(set(lead_ids) - inserted), lock=True)
    stale = [lead_id for lead_id, row in rows.items() if row.rule_set_id != rule_set_id]
    if stale:  # scored under an older rule set (a rescore is on its way): this lead's history, once
        changed |= rescore_leads(session, stale)
        for lead_id in stale:
            rows.pop(lead_id)
    updates: list[dict] = []
    for lead_id in sorted(rows):
        row = rows[lead_id]
        fit = rules.FitResult(float(row.fit), row.grade, _fit_hits(row))
        state = _state_of(row)
        matcher.apply(state, by_lead[lead_id])
        outcome = _outcome(compiled, lead_id, fit, state, at)
        outcomes.append(outcome)
        values = _insertable(_row_values(rule_set_id, outcome, moment))
        updates.append({"b_lead_id": lead_id, **{k: values[k] for k in _BEHAVIOUR_COLUMNS}})
        if (row.score, row.grade, row.band) != (outcome.score, outcome.fit.grade, outcome.band):
            changed.add(lead_id)
    if updates:
        table = LeadScore.__table__
        session.execute(update(table).where(table.c.lead_id == bindparam("b_lead_id"))
                        .values({k: bindparam(k) for k in _BEHAVIOUR_COLUMNS}), updates)
    _forget_cached_scores(session, lead_ids)
    outcomes.sort(key=lambda o: o.lead_id)
    _write_leads(session, outcomes)
    return changed


_SCORE_COLUMNS = ("lead_id", "rule_set_id", "behaviour", "as_of", "fit", "grade", "score", "band", "interests",
                  "contributions", "counters")
_BEHAVIOUR_COLUMNS = ("behaviour", "as_of", "score", "band", "interests", "contributions", "counters", "updated_at")


def _read_scores(session: Session, lead_ids: list[int], *, lock: bool = False, ids_only: bool = False) -> dict:
    """The lead_scores rows of these (sorted) leads as plain rows (`ids_only`: just which exist); `lock`: FOR
    UPDATE on PostgreSQL, in lead id order, so concurrent writers of the same leads wait for each other in one
    order."""
    table = LeadScore.__table__
    columns = [table.c.lead_id] if ids_only else [table.c[name] for name in _SCORE_COLUMNS]
    postgres = session.get_bind().dialect.name == "postgresql"
    found = {}
    for start in range(0, len(lead_ids), 1000):
        query = (select(*columns).where(table.c.lead_id.in_(lead_ids[start:start + 1000]))
                 .order_by(table.c.lead_id))
        if lock and postgres:
            query = query.with_for_update()
        found.update((row.lead_id, row) for row in session.execute(query))
    return found


def _insert_missing(session: Session, rows: list[dict]) -> set[int]:
    """INSERT ... ON CONFLICT (lead_id) DO NOTHING, in lead id order; the ids this transaction inserted."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    table = LeadScore.__table__
    statement = (dialect_insert(table).on_conflict_do_nothing(index_elements=[table.c.lead_id])
                 .returning(table.c.lead_id))
    return set(session.execute(statement, rows).scalars())


def _forget_cached_scores(session: Session, lead_ids: Iterable[int]) -> None:
    for lead_id in lead_ids:
        cached = session.identity_map.get(identity_key(LeadScore, lead_id))
        if cached is not None:
            session.expire(cached)


class _Matcher:
    """Events applied to a state in time order, with the rules each one matches (by type: rules without property
    conditions are looked up once per type)."""

    def __init__(self, compiled: rules.RuleSet):
        self.compiled = compiled
        self.by_type: dict[str, tuple | None] = {}

    def apply(self, state: rules.BehaviourState, events: list[tuple]) -> None:
        compiled = self.compiled
        if len(events) > 1:
            events = sorted(events, key=lambda e: (e[0], e[1]))
        for epoch, event_id, event_type, properties in events:
            matched = self.by_type.get(event_type, _UNSEEN)
            if matched is _UNSEEN:
                candidates = compiled.rules_for(event_type)
                matched = self.by_type[event_type] = (
                    None if any(rule.where for rule in candidates) else candidates)
            if matched is None:
                matched = rules.matching_rules(compiled, event_type, properties or {})
            rules.apply_matched(compiled, state, event_type, matched, epoch, event_id or None)


_UNSEEN = object()


def _fit_hits(row: LeadScore) -> tuple:
    hits = (row.counters or {}).get("_fit") if isinstance(row.counters, dict) else None
    return tuple(tuple(h) for h in (hits or ()))


def _insertable(values: dict) -> dict:
    values = dict(values)
    hits = values.pop("fit_hits")
    values["counters"] = {**values["counters"], "_fit": hits}
    return values


def _set_row(row: LeadScore, values: dict) -> None:
    values = _insertable(values)
    for key, value in values.items():
        if key != "lead_id":
            setattr(row, key, value)


def rescore_fit(session: Session, lead_ids: list[int] | set[int], bant: dict[int, dict[str, str]] | None = None
                ) -> set[int]:
    """Declared fields or BANT answers changed: recompute fit points and grade, keep behaviour. Returns the ids
    whose score, grade or band changed."""
    ids = sorted(set(lead_ids))
    if not ids:
        return set()
    rule_set_id, compiled = active_rule_set(session)
    rows = {row.lead_id: row for row in session.scalars(select(LeadScore).where(LeadScore.lead_id.in_(ids)))}
    redo = [lead_id for lead_id in ids if lead_id not in rows or rows[lead_id].rule_set_id != rule_set_id]
    changed = rescore_leads(session, redo, bant=bant) if redo else set()
    keep = [lead_id for lead_id in ids if lead_id not in set(redo)]
    if bant is not None:
        bant = {**current_bant(session, [i for i in keep if i not in bant]), **bant}
    declared = declared_fields(session, keep, bant)
    at = clock.now().timestamp()
    moment = clock.now()
    outcomes = []
    for lead_id in keep:
        if lead_id not in declared:
            continue
        row = rows[lead_id]
        before = (row.score, row.grade, row.band)
        fit = rules.evaluate_fit(compiled, declared[lead_id])
        outcome = _outcome(compiled, lead_id, fit, _state_of(row), at)
        _set_row(row, _row_values(rule_set_id, outcome, moment))
        outcomes.append(outcome)
        if before != (outcome.score, outcome.fit.grade, outcome.band):
            changed.add(lead_id)
    _write_leads(session, outcomes)
    session.flush()
    return changed


# -- full rescoring from the history ----------------------------------------------------------------------------

def _epoch_column(session: Session):
    """occurred_at as seconds since the epoch, computed by the database (no datetime objects per event) and equal to
    the float live scoring gets from `datetime.timestamp()`: whole microseconds divided by 10**6."""
    if session.get_bind().dialect.name == "postgresql":
        return literal_column("extract(epoch from occurred_at)::float8")
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds, then the microseconds (strftime alone would round
    # to milliseconds, and .9995 up to the next second); anything else written by hand falls back to julianday
    return literal_column(
        "CASE WHEN length(occurred_at) = 26 AND substr(occurred_at, 20, 1) = '.' THEN "
        "(CAST(strftime('%s', substr(occurred_at, 1, 19)) AS INTEGER) * 1000000 "
        "+ CAST(substr(occurred_at, 21, 6) AS INTEGER))"
        " / 1000000.0 WHEN length(occurred_at) = 19 THEN CAST(strftime('%s', occurred_at) AS REAL) "
        "ELSE (julianday(occurred_at) - 2440587.5) * 86400.0 END")


STREAM_BATCH = 10_000


def stream_events(session: Session, lead_ids: list[int] | None = None, *, low: int | None = None,
                  high: int | None = None, property_types: list[str] | None = None) -> Iterator[tuple]:
    """(lead_id, event id, type, epoch seconds, properties as JSON text) ordered by lead, time and id: for a list of
    leads, or for every lead id in [low, high], streamed in batches (a server-side cursor on PostgreSQL). With
    `property_types`, properties come only for those types (None for the others: no rule reads them)."""
    table = EVENTS
    properties = cast(table.c.properties, Text)
    if property_types is not None:
        properties = (case((table.c.type.in_(property_types), properties), else_=null()) if property_types
                      else null())
    query = select(table.c.lead_id, table.c.id, table.c.type, _epoch_column(session), properties).where(
        table.c.unscored.is_(None))
    if lead_ids is not None:
        query = query.where(table.c.lead_id.in_(lead_ids))
    else:
        query = query.where(table.c.lead_id >= low, table.c.lead_id <= high)
    query = query.order_by(table.c.lead_id, table.c.occurred_at, table.c.id)
    result = session.execute(query, execution_options={"yield_per": STREAM_BATCH})
    for rows in result.partitions():
        yield from rows


_replays: dict[int, tuple[rules.RuleSet, replay_mod.Replay]] = {}


def replayer(compiled: rules.RuleSet) -> replay_mod.Replay:
    """The rule set compiled for replays, once per rule set object (its memos last across chunks)."""
    found = _replays.get(id(compiled))
    if found is None or found[0] is not compiled:
        if len(_replays) > 16:
            _replays.clear()
        found = _replays[id(compiled)] = (compiled, replay_mod.Replay(compiled))
    return found[1]


def replay(compiled: rules.RuleSet, declared: dict[int, dict], events: Iterable[tuple], at: float
           ) -> Iterator[Outcome]:
    """Each lead's outcome from its whole history (events ordered by lead and time); leads without events too."""
    engine = replayer(compiled)
    seen: set[int] = set()
    for lead_id, state in engine.states(events):
        fields = declared.get(lead_id)
        if fields is not None:
            seen.add(lead_id)
            yield _outcome(compiled, lead_id, engine.fit(fields), state, at)
    for lead_id, fields in declared.items():
        if lead_id not in seen:
            yield _outcome(compiled, lead_id, engine.fit(fields), rules.BehaviourState(), at)


def rescore_leads(session: Session, lead_ids: list[int] | set[int], rule_set: RuleSet | None = None, *,
                  bant: dict[int, dict[str, str]] | None = None) -> set[int]:
    """Score these leads from their whole event history under a rule set (the active one by default); returns
    the ids whose score, grade or band changed."""
    ids = sorted(set(lead_ids))
    if not ids:
        return set()
    if rule_set is None:
        rule_set_id, compiled = active_rule_set(session)
    else:
        rule_set_id, compiled = rule_set.id, rules.parse(rule_set.definition)
    changed: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        part_bant = None if bant is None else {**current_bant(session, [i for i in part if i not in bant]), **bant}
        changed |= rescore_chunk(session, rule_set_id, compiled, part, bant=part_bant)
    return changed


def rescore_chunk(session: Session, rule_set_id: int, compiled: rules.RuleSet, ids: list[int], *,
                  bant: dict[int, dict[str, str]] | None = None, by_range: bool = False) -> set[int]:
    """One chunk of a rescore: declared fields in one query, the events in one ordered query (by id range when the
    ids are a run of the leads table), then the rows written in bulk. Returns the ids that changed."""
    before, outcomes = score_chunk(session, compiled, ids, bant=bant, by_range=by_range)
    return write_chunk(session, rule_set_id, outcomes, before)


def score_chunk(session: Session, compiled: rules.RuleSet, ids: list[int], *,
                bant: dict[int, dict[str, str]] | None = None, by_range: bool = False, at: datetime | None = None
                ) -> tuple[dict[int, tuple], list[Outcome]]:
    """The reading half of a chunk: each lead's (score, grade, band) before, and its outcome from its history as of
    `at` (now by default; a run passes its own moment to every chunk)."""
    before: dict[int, tuple] = {}
    for start in range(0, len(ids), len(ids) if by_range else 1000):
        part = ids if by_range else ids[start:start + 1000]
        query = select(Lead.id, Lead.score, Lead.grade, Lead.band)
        query = (query.where(Lead.id >= part[0], Lead.id <= part[-1]) if by_range
                 else query.where(Lead.id.in_(part)))
        before.update((lead_id, (score, grade, band)) for lead_id, score, grade, band in session.execute(query))
    declared = declared_fields(session, ids, bant)
    property_types = replayer(compiled).property_types()
    events = (_event_rows(session, ids[0], ids[-1], property_types) if by_range
              else stream_events(session, ids, property_types=property_types))
    outcomes = list(replay(compiled, declared, events, (at or clock.now()).timestamp()))
    outcomes.sort(key=lambda o: o.lead_id)
    return before, outcomes


def _event_rows(session: Session, low: int, high: int, property_types: list[str] | None) -> Iterator[tuple]:
    """stream_events for a lead id range straight from the driver's cursor (a full rescore reads every event: no
    result objects per row); PostgreSQL reads through a server-side cursor."""
    raw = session.connection().connection.dbapi_connection
    if session.get_bind().dialect.name == "postgresql":
        mark, epoch, as_text, cursor = "%s", "extract(epoch from occurred_at)::float8", "properties::text", \
            raw.cursor(name=f"leadflow_rescore_{low}")
    else:
        mark, as_text, cursor = "?", "CAST(properties AS TEXT)", raw.cursor()
        epoch = str(_epoch_column(session))
    if property_types is None:
        properties, params = as_text, []
    elif property_types:
        properties = f"CASE WHEN type IN ({', '.join([mark] * len(property_types))}) THEN {as_text} END"
        params = list(property_types)
    else:
        properties, params = "NULL", []
    cursor.execute(f"SELECT lead_id, id, type, {epoch}, {properties} FROM events WHERE lead_id >= {mark} "
                   f"AND lead_id <= {mark} AND unscored IS NULL ORDER BY lead_id, occurred_at, id",
                   (*params, low, high))
    try:
        while rows := cursor.fetchmany(STREAM_BATCH):
            yield from rows
    finally:
        cursor.close()


def write_chunk(session: Session, rule_set_id: int, outcomes: list[Outcome], before: dict[int, tuple], *,
                moment: datetime | None = None) -> set[int]:
    """The writing half: the lead_scores rows upserted and the leads columns set with one executemany each, in
    lead id order. Returns the ids whose score, grade or band changed."""
    return write_rows(session, encode_chunk(session, rule_set_id, outcomes, before, moment=moment))


@dataclass
class ChunkRows:
    """A chunk's outcomes encoded for the database (JSON once, times as the dialect stores them), so a parallel
    rescore holds the write lock only for the statements."""

    outcomes: list[Outcome]
    scores: list[tuple]
    columns: list[tuple]
    changed: set[int]


def encode_chunk(session: Session, rule_set_id: int, outcomes: list[Outcome], before: dict[int, tuple], *,
                 moment: datetime | None = None) -> ChunkRows:
    """The rows of _UPSERT_SCORES and _UPDATE_LEADS: the same values _row_values, _insertable and _write_leads
    give."""
    dialect = session.get_bind().dialect
    stamp = LeadScore.__table__.c.as_of.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    dumps = _dumps
    updated_at = stamp(moment or clock.now())
    scores, columns = [], []
    for o in outcomes:
        state, fit = o.state, o.fit
        scores.append((o.lead_id, rule_set_id, state.points, stamp(_dt(state.as_of)), round(fit.points), fit.grade,
                       o.score, o.band, dumps(state.interests), dumps(state.contributions),
                       dumps({**state.counters, "_fit": fit.hits}), updated_at))
        columns.append((o.score, fit.grade, o.band, dumps(o.explanation), dumps(o.interests), o.lead_id))
    changed = {o.lead_id for o in outcomes if before.get(o.lead_id) != (o.score, o.fit.grade, o.band)}
    return ChunkRows(outcomes, scores, columns, changed)


_UPSERT_SCORES = ("INSERT INTO lead_scores (lead_id, rule_set_id, behaviour, as_of, fit, grade, score, band, "
                  "interests, contributions, counters, updated_at) VALUES ({marks}) ON CONFLICT (lead_id) DO UPDATE "
                  "SET rule_set_id = excluded.rule_set_id, behaviour = excluded.behaviour, as_of = excluded.as_of, "
                  "fit = excluded.fit, grade = excluded.grade, score = excluded.score, band = excluded.band, "
                  "interests = excluded.interests, contributions = excluded.contributions, "
                  "counters = excluded.counters, updated_at = excluded.updated_at")
_UPDATE_LEADS = ("UPDATE leads SET score = {m}, grade = {m}, band = {m}, score_explanation = {m}, interests = {m} "
                 "WHERE id = {m}")


def write_rows(session: Session, rows: ChunkRows) -> set[int]:
    """The lead_scores upsert and the leads columns, each one executemany on the driver's cursor (leads loaded in
    the session are set on their objects instead). Returns the ids whose score, grade or band changed."""
    if not rows.outcomes:
        return set()
    session.flush()
    mark = "%s" if session.get_bind().dialect.name == "postgresql" else "?"
    loaded = any(identity_key(Lead, o.lead_id) in session.identity_map for o in rows.outcomes)
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.executemany(_UPSERT_SCORES.format(marks=", ".join([mark] * 12)), rows.scores)
        if not loaded:
            cursor.executemany(_UPDATE_LEADS.format(m=mark), rows.columns)
    finally:
        cursor.close()
    for o in rows.outcomes:
        cached = session.identity_map.get(identity_key(LeadScore, o.lead_id))
        if cached is not None:
            session.expire(cached)
    if loaded:
        _write_leads(session, rows.outcomes)
        session.flush()
    return rows.changed


def _json_dumps() -> Callable[[object], str]:
    """json.dumps with its default settings, its C encoder made once rather than per call: the same text."""
    from json import encoder

    if encoder.c_make_encoder is None:
        return json.dumps
    make = encoder.c_make_encoder(None, json.JSONEncoder().default, encoder.encode_basestring_ascii, None, ": ",
                                  ", ", False, False, True)
    return lambda value: "".join(make(value, 0))


_dumps = _json_dumps()


def lead_id_chunks(session: Session, *, after: int = 0, size: int = CHUNK) -> Iterator[list[int]]:
    """The ids of leads that are not merged away, in chunks (keyset by id)."""
    while True:
        ids = list(session.scalars(select(Lead.id).where(Lead.id > after, Lead.merged_into_id.is_(None))
                                   .order_by(Lead.id).limit(size)))
        if not ids:
            return
        yield ids
        after = ids[-1]


def run_step(session: Session, run: ScoringRun, *, size: int = CHUNK) -> bool:
    """Rescore the next chunk of a run (the caller commits); False once the run is finished."""
    rule_set = session.get(RuleSet, run.rule_set_id) if run.rule_set_id else None
    if rule_set is None or rule_set.status != "active":
        run.status, run.finished_at = "superseded", clock.now()
        run.error = "another rule set was activated before this rescore finished"
        return False
    active_id, compiled = active_rule_set(session)  # compiled once per process
    if active_id != rule_set.id:
        compiled = rules.parse(rule_set.definition)
    ids = next(lead_id_chunks(session, after=run.last_lead_id, size=size), [])
    if not ids:
        finish_run(session, run)
        return False
    run.status = "running"
    changed = rescore_chunk(session, rule_set.id, compiled, ids, by_range=True)
    run.done += len(ids)
    run.last_lead_id = ids[-1]
    run.result = {**(run.result or {}), "changed": (run.result or {}).get("changed", 0) + len(changed)}
    session.flush()
    return True


def finish_run(session: Session, run: ScoringRun) -> None:
    """Every lead is scored under the run's rule set: `scoring.rescored` tells the stages that read scores (the
    Sales Ready rule), once per run."""
    run.status, run.finished_at = "done", clock.now()
    run.done = max(run.done, run.total)
    outbox.publish_once(session, SCORING_RESCORED, {"run_id": run.id, "rule_set_id": run.rule_set_id},
                        key=f"{SCORING_RESCORED}:{run.id}")


def refresh_decay(session: Session, *, after: int = 0, size: int = 5000) -> tuple[int, int]:
    """Bring one chunk of stored scores up to today's decay (the nightly refresh): only leads with behaviour points
    are read, and only those whose score or band moved are written. Returns (last lead id seen or 0, changed)."""
    rule_set_id, compiled = active_rule_set(session)
    rows = list(session.scalars(select(LeadScore).where(LeadScore.lead_id > after, LeadScore.behaviour != 0)
                                .order_by(LeadScore.lead_id).limit(size)))
    if not rows:
        return 0, 0
    at = clock.now().timestamp()
    outcomes = []
    for row in rows:
        if row.rule_set_id != rule_set_id:
            continue
        fit = rules.FitResult(float(row.fit), row.grade, _fit_hits(row))
        outcome = _outcome(compiled, row.lead_id, fit, _state_of(row), at)
        if (outcome.score, outcome.band) != (row.score, row.band):
            row.score, row.band = outcome.score, outcome.band
            outcomes.append(outcome)
    _write_leads(session, outcomes)
    session.flush()
    return rows[-1].lead_id, len(outcomes)


def explanation(session: Session, lead_id: int) -> dict:
    """A lead's score in full: fit rules hit, the strongest behaviour contributions decayed to now, interests, and
    the thresholds of bands and grades (the lead must already be visible to the caller)."""
    rule_set_id, compiled = active_rule_set(session)
    row = session.get(LeadScore, lead_id)
    if row is None or row.rule_set_id != rule_set_id:
        # Not scored under the active rules yet (the worker is on it): worked out from the history here and written
        # by nobody, so a page that only reads never collides with the writer.
        _, outcomes = score_chunk(session, compiled, [lead_id])
        if not outcomes:
            raise NotFound("lead", lead_id)
        state, fit = outcomes[0].state, outcomes[0].fit
    else:
        state, fit = _state_of(row), rules.FitResult(float(row.fit), row.grade, _fit_hits(row))
    at = clock.now().timestamp()
    behaviour = rules.behaviour_at(compiled, state, at)
    score = rules.total_score(fit.points, behaviour)
    reasons = rules.explain(compiled, fit, state, at, size=compiled.explanation_size + len(fit.hits))
    version = session.scalar(select(RuleSet.version).where(RuleSet.id == rule_set_id))
    return {
        "lead_id": lead_id, "score": score, "grade": fit.grade, "band": bands.band_of(score, compiled.bands),
        "fit_points": fit.points, "behaviour_points": round(behaviour, 1),
        "fit": [r for r in reasons if r["kind"] == "fit"],
        "behaviour": [r for r in reasons if r["kind"] == "behaviour"],
        "interests": rules.interests_at(compiled, state, at),
        "bands": compiled.bands, "grades": compiled.grades, "half_life_days": compiled.half_life_days,
        "rule_set": {"id": rule_set_id, "version": version, "name": compiled.name},
        "formula": "score = round(fit points + behaviour points decayed to now), never below zero",
    }


def get_run(session: Session, run_id: int) -> ScoringRun:
    run = session.get(ScoringRun, run_id)
    if run is None:
        raise NotFound("scoring run", run_id)
    return run


def latest_run(session: Session) -> ScoringRun | None:
    return session.scalar(select(ScoringRun).order_by(ScoringRun.id.desc()).limit(1))


WON_STAGES = ("customer",)


def backtest(session: Session, definitions: dict[str, dict], *, won_stages: tuple[str, ...] = WON_STAGES
             ) -> dict[str, backtest_mod.Figures]:
    """Replay every lead's history against each named definition (nothing is written) and compare the scores with
    the real outcomes (won: the lead reached one of `won_stages`)."""
    compiled = {name: rules.parse(definition) for name, definition in definitions.items()}
    results: dict[str, list] = {name: [] for name in definitions}
    at = clock.now().timestamp()
    for ids in lead_id_chunks(session):
        stages = dict(session.execute(select(Lead.id, Lead.stage).where(Lead.id.in_(ids))).all())
        declared = declared_fields(session, ids)
        for name, rule_set in compiled.items():
            for outcome in replay(rule_set, declared, stream_events(session, low=ids[0], high=ids[-1]), at):
                results[name].append((outcome.score, outcome.band, stages.get(outcome.lead_id) in won_stages))
    return {name: backtest_mod.figures(rows) for name, rows in results.items()}
