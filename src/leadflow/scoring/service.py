"""Scoring: the active rule set, live scoring of new events in constant time per event, fit rescoring when declared
fields or BANT answers change, full rescoring from the event history, and rule set versions.

score = round(fit points + behaviour points decayed to now), never below zero; band from the score, grade from the
fit points. Each lead's state lives in `lead_scores`; the `leads` columns (score, grade, band, score_explanation,
interests) follow it in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import (
    Text,
    bindparam,
    column,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from leadflow import clock, outbox
from leadflow.errors import Invalid, NotFound
from leadflow.events import SCORING_REFRESH, SCORING_RESCORE
from leadflow.leads.models import Company, Lead
from leadflow.scoring import backtest as backtest_mod
from leadflow.scoring import bands, rules
from leadflow.scoring.models import LeadScore, RuleSet, ScoringRun

CHUNK = 2000
# The events table belongs to tracking (above scoring): read with a plain table description, never its models.
EVENTS = table("events", column("id"), column("lead_id"), column("type"), column("occurred_at"),
               column("properties"))
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
    try:
        return yaml.safe_load(body)
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
            fields: dict[str, object] = {
                "job_title": job_title, "company": company or company_name, "country": country or company_country,
                "language": language, "email": email,
                "email_domain": email.rsplit("@", 1)[1] if email and "@" in email else None,
                "city": city, "region": region, "channel": channel, "stage": stage,
                "industry": custom.get("industry") or industry,
                "employees": custom.get("employees") or employees,
                "revenue": custom.get("revenue") or (float(revenue) if revenue is not None else None),
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
    of leads whose score, grade or band changed."""
    by_lead: dict[int, list] = {}
    for event in events:
        if event.lead_id is not None:
            by_lead.setdefault(event.lead_id, []).append(event)
    if not by_lead:
        return set()
    rule_set_id, compiled = active_rule_set(session)
    lead_ids = sorted(by_lead)
    rows = {row.lead_id: row for row in session.scalars(select(LeadScore).where(LeadScore.lead_id.in_(lead_ids)))}
    stale = [lead_id for lead_id, row in rows.items() if row.rule_set_id != rule_set_id]
    changed: set[int] = set()
    if stale:  # scored under an older rule set (a rescore is on its way): this lead's history, once
        changed |= rescore_leads(session, stale)
        for lead_id in stale:
            by_lead.pop(lead_id, None)
            rows.pop(lead_id, None)
    missing = [lead_id for lead_id in by_lead if lead_id not in rows]
    declared = declared_fields(session, missing)
    before = {lead_id: (row.score, row.grade, row.band) for lead_id, row in rows.items()}
    at = clock.now().timestamp()
    outcomes: list[Outcome] = []
    new_rows: list[dict] = []
    moment = clock.now()
    for lead_id, lead_events in by_lead.items():
        row = rows.get(lead_id)
        if row is None:
            if lead_id not in declared:
                continue  # the lead is gone
            fit = rules.evaluate_fit(compiled, declared[lead_id])
            state = rules.BehaviourState()
        else:
            fit = rules.FitResult(float(row.fit), row.grade, _fit_hits(row))
            state = _state_of(row)
        for event in sorted(lead_events, key=lambda e: (clock.as_utc(e.occurred_at), e.id or 0)):
            rules.apply_event(compiled, state, event.type, event.properties or {},
                              clock.as_utc(event.occurred_at).timestamp(), event.id)
        outcome = _outcome(compiled, lead_id, fit, state, at)
        outcomes.append(outcome)
        values = _row_values(rule_set_id, outcome, moment)
        if row is None:
            new_rows.append(values)
            changed.add(lead_id)
        else:
            _set_row(row, values)
            if before[lead_id] != (outcome.score, outcome.fit.grade, outcome.band):
                changed.add(lead_id)
    if new_rows:
        session.execute(insert(LeadScore), [_insertable(v) for v in new_rows])
    _write_leads(session, outcomes)
    session.flush()
    return changed


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
    """occurred_at as seconds since the epoch, computed by the database (no datetime objects per event)."""
    if session.get_bind().dialect.name == "postgresql":
        return literal_column("extract(epoch from occurred_at)::float8")
    return literal_column("(julianday(occurred_at) - 2440587.5) * 86400.0")


def stream_events(session: Session, lead_ids: list[int] | None = None, *, low: int | None = None,
                  high: int | None = None) -> Iterator[tuple]:
    """(lead_id, event id, type, epoch seconds, properties) ordered by lead and time: for a list of leads, or for
    every lead id in [low, high]. Properties come as stored (JSON text on SQLite, parsed on PostgreSQL)."""
    table = EVENTS
    query = select(table.c.lead_id, table.c.id, table.c.type, _epoch_column(session),
                   type_coerce(table.c.properties, Text))
    if lead_ids is not None:
        query = query.where(table.c.lead_id.in_(lead_ids))
    else:
        query = query.where(table.c.lead_id >= low, table.c.lead_id <= high)
    query = query.order_by(table.c.lead_id, table.c.occurred_at, table.c.id)
    yield from session.execute(query)


def replay(compiled: rules.RuleSet, declared: dict[int, dict], events: Iterable[tuple], at: float
           ) -> Iterator[Outcome]:
    """Each lead's outcome from its whole history (events ordered by lead and time); leads without events too."""
    apply = rules.apply_matched
    matching = rules.matching_rules
    needs_properties = {t: any(r.where for r in rs) for t, rs in compiled.by_type.items()}
    wildcard_needs = needs_properties.get("*", False)
    matched_by: dict[tuple, tuple] = {}  # (type, properties as stored) -> rules: pages and links repeat
    seen: set[int] = set()
    current_id = None
    state = None
    for lead_id, event_id, event_type, epoch, properties in events:
        if lead_id != current_id:
            if current_id is not None and current_id in declared:
                yield _outcome(compiled, current_id, rules.evaluate_fit(compiled, declared[current_id]), state, at)
                seen.add(current_id)
            current_id, state = lead_id, rules.BehaviourState()
        if needs_properties.get(event_type, wildcard_needs):
            key = (event_type, properties if isinstance(properties, str) else json.dumps(properties,
                                                                                      sort_keys=True))
            matched = matched_by.get(key)
            if matched is None:
                parsed = json.loads(properties) if isinstance(properties, str) else properties
                matched = matching(compiled, event_type, parsed or {})
                if len(matched_by) > 200_000:
                    matched_by.clear()
                matched_by[key] = matched
        else:
            matched = matched_by.get(event_type)
            if matched is None:
                matched = matched_by[event_type] = matching(compiled, event_type, _EMPTY)
        apply(compiled, state, event_type, matched, epoch, event_id)
    if current_id is not None and current_id in declared:
        yield _outcome(compiled, current_id, rules.evaluate_fit(compiled, declared[current_id]), state, at)
        seen.add(current_id)
    for lead_id, fields in declared.items():
        if lead_id not in seen:
            yield _outcome(compiled, lead_id, rules.evaluate_fit(compiled, fields), rules.BehaviourState(), at)


_EMPTY: dict = {}


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
    ids are a run of the leads table), then the rows written in bulk."""
    declared = declared_fields(session, ids, bant)
    events = (stream_events(session, low=ids[0], high=ids[-1]) if by_range else stream_events(session, ids))
    outcomes = list(replay(compiled, declared, events, clock.now().timestamp()))
    return _write_outcomes(session, rule_set_id, outcomes)


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
    compiled = rules.parse(rule_set.definition)
    ids = next(lead_id_chunks(session, after=run.last_lead_id, size=size), [])
    if not ids:
        run.status, run.finished_at = "done", clock.now()
        run.done = max(run.done, run.total)
        return False
    run.status = "running"
    changed = rescore_chunk(session, rule_set.id, compiled, ids, by_range=True)
    run.done += len(ids)
    run.last_lead_id = ids[-1]
    run.result = {**(run.result or {}), "changed": (run.result or {}).get("changed", 0) + len(changed)}
    session.flush()
    return True


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


def _write_outcomes(session: Session, rule_set_id: int, outcomes: list[Outcome]) -> set[int]:
    """Replace the lead_scores rows of these leads and set their columns; returns the ids that changed."""
    if not outcomes:
        return set()
    ids = [o.lead_id for o in outcomes]
    table = LeadScore.__table__
    before = {lead_id: (score, grade, band) for lead_id, score, grade, band in session.execute(
        select(Lead.id, Lead.score, Lead.grade, Lead.band).where(Lead.id.in_(ids)))}
    session.execute(table.delete().where(table.c.lead_id.in_(ids)))
    moment = clock.now()
    session.execute(insert(table), [_insertable(_row_values(rule_set_id, o, moment)) for o in outcomes])
    for lead_id in ids:
        cached = session.identity_map.get(identity_key(LeadScore, lead_id))
        if cached is not None:
            session.expire(cached)
    _write_leads(session, outcomes)
    session.flush()
    return {o.lead_id for o in outcomes if before.get(o.lead_id) != (o.score, o.fit.grade, o.band)}


def explanation(session: Session, lead_id: int) -> dict:
    """A lead's score in full: fit rules hit, the strongest behaviour contributions decayed to now, interests, and
    the thresholds of bands and grades (the lead must already be visible to the caller)."""
    rule_set_id, compiled = active_rule_set(session)
    row = session.get(LeadScore, lead_id)
    if row is None or row.rule_set_id != rule_set_id:
        rescore_leads(session, [lead_id])
        row = session.get(LeadScore, lead_id)
        if row is None:
            raise NotFound("lead", lead_id)
    at = clock.now().timestamp()
    state = _state_of(row)
    fit = rules.FitResult(float(row.fit), row.grade, _fit_hits(row))
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
