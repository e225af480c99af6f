"""Scores from the whole event history: a lead or a chunk of leads replayed under a rule set, the rescore run a
chunk at a time, the nightly decay refresh, and backtests of draft rule sets against real outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import clock, outbox
from leadflow.events import SCORING_RESCORED
from leadflow.leads.models import Lead
from leadflow.scoring import backtest as backtest_mod
from leadflow.scoring import bulk, rules, sources
from leadflow.scoring.fields import current_bant, declared_fields
from leadflow.scoring.models import LeadScore, RuleSet, ScoringRun
from leadflow.scoring.outcomes import Outcome, fit_hits, outcome_of, state_of, write_leads
from leadflow.scoring.rule_sets import active_rule_set


CHUNK = 2000


def stream_events(lead_ids: list[int] | None = None, *, session: Session, low: int | None = None,
                  high: int | None = None, property_types: list[str] | None = None) -> Iterator[tuple]:
    """(lead_id, event id, type, epoch seconds, properties as JSON text) ordered by lead, time and id: for a list of
    leads, or for every lead id in [low, high] (tracking's scored history, through its reader). With
    `property_types`, properties come only for those types (None for the others: no rule reads them)."""
    return sources.current().history(session=session, lead_ids=lead_ids, low=low, high=high,
                                     property_types=property_types)


def replay(compiled: rules.RuleSet, declared: dict[int, dict], events: Iterable[tuple], at: float
           ) -> Iterator[Outcome]:
    """Each lead's outcome from its whole history (events ordered by lead and time); leads without events too."""
    engine = bulk.replayer(compiled)
    seen: set[int] = set()
    for lead_id, state in engine.states(events):
        fields = declared.get(lead_id)
        if fields is not None:
            seen.add(lead_id)
            yield outcome_of(compiled, lead_id, engine.fit(fields), state, at)
    for lead_id, fields in declared.items():
        if lead_id not in seen:
            yield outcome_of(compiled, lead_id, engine.fit(fields), rules.BehaviourState(), at)


def rescore_leads(lead_ids: list[int] | set[int], rule_set: RuleSet | None = None, *,
                  session: Session, bant: dict[int, dict[str, str]] | None = None) -> set[int]:
    """Score these leads from their whole event history under a rule set (the active one by default); returns
    the ids whose score, grade or band changed."""
    ids = sorted(set(lead_ids))
    if not ids:
        return set()
    if rule_set is None:
        rule_set_id, compiled = active_rule_set(session=session)
    else:
        rule_set_id, compiled = rule_set.id, rules.parse(rule_set.definition)
    changed: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        part_bant = None if bant is None else {**current_bant([i for i in part if i not in bant], session=session),
                                               **bant}
        changed |= rescore_chunk(rule_set_id, compiled, part, session=session, bant=part_bant)
    return changed


def rescore_chunk(rule_set_id: int, compiled: rules.RuleSet, ids: list[int], *,
                  session: Session, bant: dict[int, dict[str, str]] | None = None, by_range: bool = False) -> set[int]:
    """One chunk of a rescore: declared fields in one query, the events in one ordered query (by id range when the
    ids are a run of the leads table), then the rows written in bulk. Returns the ids that changed."""
    before, outcomes = score_chunk(compiled, ids, session=session, bant=bant, by_range=by_range)
    return write_chunk(rule_set_id, outcomes, before, session=session)


def score_chunk(compiled: rules.RuleSet, ids: list[int], *,
                session: Session, bant: dict[int, dict[str, str]] | None = None, by_range: bool = False,
                at: datetime | None = None
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
    declared = declared_fields(ids, bant, session=session)
    property_types = bulk.replayer(compiled).property_types()
    if by_range:
        events = sources.current().history_by_range(session=session, low=ids[0], high=ids[-1],
                                                    property_types=property_types)
    else:
        events = stream_events(ids, session=session, property_types=property_types)
    outcomes = list(replay(compiled, declared, events, (at or clock.now()).timestamp()))
    outcomes.sort(key=lambda o: o.lead_id)
    return before, outcomes


def write_chunk(rule_set_id: int, outcomes: list[Outcome], before: dict[int, tuple], *,
                session: Session, moment: datetime | None = None) -> set[int]:
    """The writing half: the lead_scores rows upserted and the leads columns set with one executemany each, in
    lead id order. Returns the ids whose score, grade or band changed."""
    return bulk.write_rows(bulk.encode_chunk(rule_set_id, outcomes, before, session=session, moment=moment),
                           session=session)


def lead_id_chunks(*, session: Session, after: int = 0, size: int = CHUNK) -> Iterator[list[int]]:
    """The ids of leads that are not merged away, in chunks (keyset by id)."""
    while True:
        ids = list(session.scalars(select(Lead.id).where(Lead.id > after, Lead.merged_into_id.is_(None))
                                   .order_by(Lead.id).limit(size)))
        if not ids:
            return
        yield ids
        after = ids[-1]


def run_step(run: ScoringRun, *, session: Session, size: int = CHUNK) -> bool:
    """Rescore the next chunk of a run (the caller commits); False once the run is finished."""
    rule_set = session.get(RuleSet, run.rule_set_id) if run.rule_set_id else None
    if rule_set is None or rule_set.status != "active":
        run.status, run.finished_at = "superseded", clock.now()
        run.error = "another rule set was activated before this rescore finished"
        return False
    active_id, compiled = active_rule_set(session=session)  # compiled once per process
    if active_id != rule_set.id:
        compiled = rules.parse(rule_set.definition)
    ids = next(lead_id_chunks(session=session, after=run.last_lead_id, size=size), [])
    if not ids:
        finish_run(run, session=session)
        return False
    run.status = "running"
    changed = rescore_chunk(rule_set.id, compiled, ids, session=session, by_range=True)
    run.done += len(ids)
    run.last_lead_id = ids[-1]
    run.result = {**(run.result or {}), "changed": (run.result or {}).get("changed", 0) + len(changed)}
    session.flush()
    return True


def finish_run(run: ScoringRun, *, session: Session) -> None:
    """Every lead is scored under the run's rule set: `scoring.rescored` tells the stages that read scores (the
    Sales Ready rule), once per run."""
    run.status, run.finished_at = "done", clock.now()
    run.done = max(run.done, run.total)
    outbox.publish_once(session, SCORING_RESCORED, {"run_id": run.id, "rule_set_id": run.rule_set_id},
                        key=f"{SCORING_RESCORED}:{run.id}")


def refresh_decay(*, session: Session, after: int = 0, size: int = 5000) -> tuple[int, int]:
    """Bring one chunk of stored scores up to today's decay (the nightly refresh): only leads with behaviour points
    are read, and only those whose score or band moved are written. Returns (last lead id seen or 0, changed)."""
    rule_set_id, compiled = active_rule_set(session=session)
    rows = list(session.scalars(select(LeadScore).where(LeadScore.lead_id > after, LeadScore.behaviour != 0)
                                .order_by(LeadScore.lead_id).limit(size)))
    if not rows:
        return 0, 0
    at = clock.now().timestamp()
    outcomes = []
    for row in rows:
        if row.rule_set_id != rule_set_id:
            continue
        fit = rules.FitResult(float(row.fit), row.grade, fit_hits(row))
        outcome = outcome_of(compiled, row.lead_id, fit, state_of(row), at)
        if (outcome.score, outcome.band) != (row.score, row.band):
            row.score, row.band = outcome.score, outcome.band
            outcomes.append(outcome)
    write_leads(outcomes, session=session)
    session.flush()
    return rows[-1].lead_id, len(outcomes)


WON_STAGES = ("customer",)


def backtest(definitions: dict[str, dict], *, session: Session, won_stages: tuple[str, ...] = WON_STAGES
             ) -> dict[str, backtest_mod.Figures]:
    """Replay every lead's history against each named definition (nothing is written) and compare the scores with
    the real outcomes (won: the lead reached one of `won_stages`)."""
    compiled = {name: rules.parse(definition) for name, definition in definitions.items()}
    results: dict[str, list] = {name: [] for name in definitions}
    at = clock.now().timestamp()
    for ids in lead_id_chunks(session=session):
        stages = dict(session.execute(select(Lead.id, Lead.stage).where(Lead.id.in_(ids))).all())
        declared = declared_fields(ids, session=session)
        for name, rule_set in compiled.items():
            for outcome in replay(rule_set, declared, stream_events(session=session, low=ids[0], high=ids[-1]), at):
                results[name].append((outcome.score, outcome.band, stages.get(outcome.lead_id) in won_stages))
    return {name: backtest_mod.figures(rows) for name, rows in results.items()}
