"""Scoring's speed tricks, each behind the benchmark that justifies it: the compiled rule set and the replay engine
cached per process (module-wide, emptied when they grow: bench/events.py, bench/rescore.py), and a rescore chunk's
rows encoded once with a private C JSON encoder and written with one executemany each on the driver's cursor
(bench/rescore.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from leadflow import clock
from leadflow.leads import service as leads_service
from leadflow.leads.models import Lead
from leadflow.scoring import replay as replay_mod
from leadflow.scoring import rules
from leadflow.scoring.models import LeadScore
from leadflow.scoring.outcomes import Outcome, to_datetime, write_leads


_compiled: dict[tuple, rules.RuleSet] = {}


def compiled_once(key: tuple, definition: Callable[[], object]) -> rules.RuleSet:
    """The active rule set compiled once per (database, id, version, activation) per process: live scoring asks for
    it on every event batch (bench/events.py). Emptied past 32 entries."""
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = rules.parse(definition())
        if len(_compiled) > 32:
            _compiled.clear()
        _compiled[key] = compiled
    return compiled


_replays: dict[int, tuple[rules.RuleSet, replay_mod.Replay]] = {}


def replayer(compiled: rules.RuleSet) -> replay_mod.Replay:
    """The rule set compiled for replays, once per rule set object (its memos last across chunks)."""
    found = _replays.get(id(compiled))
    if found is None or found[0] is not compiled:
        if len(_replays) > 16:
            _replays.clear()
        found = _replays[id(compiled)] = (compiled, replay_mod.Replay(compiled))
    return found[1]


@dataclass
class ChunkRows:
    """A chunk's outcomes encoded for the database (JSON once, times as the dialect stores them), so a parallel
    rescore holds the write lock only for the statements."""

    outcomes: list[Outcome]
    scores: list[tuple]
    columns: list[tuple]
    changed: set[int]


def encode_chunk(rule_set_id: int, outcomes: list[Outcome], before: dict[int, tuple], *,
                 session: Session, moment: datetime | None = None) -> ChunkRows:
    """The rows of _UPSERT_SCORES and of leads' score columns: the same values outcomes.row_values, insertable and
    write_leads give."""
    dialect = session.get_bind().dialect
    stamp = LeadScore.__table__.c.as_of.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    dumps = _dumps
    updated_at = stamp(moment or clock.now())
    scores, columns = [], []
    for o in outcomes:
        state, fit = o.state, o.fit
        scores.append((o.lead_id, rule_set_id, state.points, stamp(to_datetime(state.as_of)), round(fit.points),
                       fit.grade, o.score, o.band, dumps(state.interests), dumps(state.contributions),
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


def write_rows(rows: ChunkRows, *, session: Session) -> set[int]:
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
    finally:
        cursor.close()
    if not loaded:
        leads_service.set_scores_encoded(rows.columns, session=session)
    for o in rows.outcomes:
        cached = session.identity_map.get(identity_key(LeadScore, o.lead_id))
        if cached is not None:
            session.expire(cached)
    if loaded:
        write_leads(rows.outcomes, session=session)
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
