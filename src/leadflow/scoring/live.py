"""Live scoring: newly stored events applied to their leads' behaviour points in constant time per event, rows
read and written in bulk in lead id order (see `score_events`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from leadflow import clock
from leadflow.scoring import rules
from leadflow.scoring.fields import declared_fields
from leadflow.scoring.history import rescore_leads
from leadflow.scoring.models import LeadScore
from leadflow.scoring.outcomes import (
    Outcome,
    fit_hits,
    insertable,
    outcome_of,
    row_values,
    state_of,
    write_leads,
)
from leadflow.scoring.rule_sets import active_rule_set


def score_events(events: list, *, session: Session) -> set[int]:
    """Apply the behaviour rules to newly stored events of known leads (constant time per event); returns the ids
    of leads whose score, grade or band changed.

    Rows are read and written in bulk and always in lead id order, so concurrent batches on the same leads queue
    instead of deadlocking or failing on a duplicate key: missing `lead_scores` rows are inserted first with
    `ON CONFLICT (lead_id) DO NOTHING` (a row another transaction inserted meanwhile is updated instead), then on
    PostgreSQL the other rows are locked (a locking read ordered by lead id) before anything is computed from
    them, then the lead's score columns are written in the same order.
    """
    by_lead: dict[int, list[tuple]] = {}
    for event in events:
        if event.lead_id is not None:
            by_lead.setdefault(event.lead_id, []).append(
                (clock.as_utc(event.occurred_at).timestamp(), event.id or 0, event.type, event.properties))
    if not by_lead:
        return set()
    rule_set_id, compiled = active_rule_set(session=session)
    session.flush()  # pending ORM changes of these rows first: the reads and writes below are plain statements
    lead_ids = sorted(by_lead)
    postgres = session.get_bind().dialect.name == "postgresql"
    # SQLite: one writer at a time, the rows as read stay true. PostgreSQL: which rows exist (no lock yet).
    rows = _read_scores(lead_ids, session=session, ids_only=postgres)
    at = clock.now().timestamp()
    moment = clock.now()
    matcher = _Matcher(compiled)
    outcomes: list[Outcome] = []
    changed: set[int] = set()
    inserted: set[int] = set()
    missing = [lead_id for lead_id in lead_ids if lead_id not in rows]
    if missing:
        declared = declared_fields(missing, session=session)
        fresh: dict[int, Outcome] = {}
        for lead_id in missing:
            if lead_id not in declared:
                continue  # the lead is gone
            state = rules.BehaviourState()
            matcher.apply(state, by_lead[lead_id])
            fresh[lead_id] = outcome_of(compiled, lead_id, rules.evaluate_fit(compiled, declared[lead_id]), state, at)
        inserted = _insert_missing([insertable(row_values(rule_set_id, fresh[lead_id], moment))
                                             for lead_id in sorted(fresh)], session=session)
        outcomes += [fresh[lead_id] for lead_id in sorted(inserted)]
        changed |= inserted
        taken = set(fresh) - inserted  # inserted by a concurrent transaction since our read: updated below
        if taken and not postgres:
            rows.update(_read_scores(sorted(taken), session=session))
    if postgres:
        rows = _read_scores(sorted(set(lead_ids) - inserted), session=session, lock=True)
    stale = [lead_id for lead_id, row in rows.items() if row.rule_set_id != rule_set_id]
    if stale:  # scored under an older rule set (a rescore is on its way): this lead's history, once
        changed |= rescore_leads(stale, session=session)
        for lead_id in stale:
            rows.pop(lead_id)
    updates: list[dict] = []
    for lead_id in sorted(rows):
        row = rows[lead_id]
        fit = rules.FitResult(float(row.fit), row.grade, fit_hits(row))
        state = state_of(row)
        matcher.apply(state, by_lead[lead_id])
        outcome = outcome_of(compiled, lead_id, fit, state, at)
        outcomes.append(outcome)
        values = insertable(row_values(rule_set_id, outcome, moment))
        updates.append({"b_lead_id": lead_id, **{k: values[k] for k in _BEHAVIOUR_COLUMNS}})
        if (row.score, row.grade, row.band) != (outcome.score, outcome.fit.grade, outcome.band):
            changed.add(lead_id)
    if updates:
        table = LeadScore.__table__
        session.execute(update(table).where(table.c.lead_id == bindparam("b_lead_id"))
                        .values({k: bindparam(k) for k in _BEHAVIOUR_COLUMNS}), updates)
    _forget_cached_scores(lead_ids, session=session)
    outcomes.sort(key=lambda o: o.lead_id)
    write_leads(outcomes, session=session)
    return changed


_SCORE_COLUMNS = ("lead_id", "rule_set_id", "behaviour", "as_of", "fit", "grade", "score", "band", "interests",
                  "contributions", "counters")


_BEHAVIOUR_COLUMNS = ("behaviour", "as_of", "score", "band", "interests", "contributions", "counters", "updated_at")


def _read_scores(lead_ids: list[int], *, session: Session, lock: bool = False, ids_only: bool = False) -> dict:
    """The lead_scores rows of these (sorted) lead ids as plain rows (`ids_only`: just which exist); `lock`: a
    locking read on PostgreSQL, in lead id order, so concurrent writers of the same rows wait for each other in one
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


def _insert_missing(rows: list[dict], *, session: Session) -> set[int]:
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


def _forget_cached_scores(lead_ids: Iterable[int], *, session: Session) -> None:
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
