"""Batch deduplication over the whole database: pair and score (Splink on DuckDB, or our own matcher over the
blocking keys), our guards, cluster, merge the sure clusters, queue the best unsure pairs."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadflow import db
from leadflow.identity import blocking, guards, linkage, merges
from leadflow.identity import service as identity_service
from leadflow.identity.match import MatchResult, Model, cluster, compare, estimate
from leadflow.identity.models import LeadMatchKey, PossibleDuplicate
from leadflow.identity.normalize import prepare
from leadflow.leads.models import Lead

CHUNK = 2000
ENGINES = ("splink", "matcher")
Progress = Callable[[str, int, int | None], None]  # (stage, advance, total)


@dataclass
class Report:
    leads: int = 0
    indexed: int = 0
    pairs: int = 0
    clusters: list[list[int]] = field(default_factory=list)
    merged: int = 0
    review: int = 0
    queued: int = 0
    not_queued: int = 0           # unsure pairs past the queue's cap (the weakest), reported only
    dry_run: bool = True
    engine: str = "splink"
    trained: list[str] = field(default_factory=list)


def _noop(stage: str, advance: int, total: int | None) -> None:
    return None


def index_missing(factory: sessionmaker[Session], progress: Progress = _noop) -> int:
    """Blocking keys for every surviving lead that has none (leads from before the matcher, or bulk loads)."""
    done = 0
    table = Lead.__table__
    with factory() as session:
        missing = list(session.scalars(
            select(Lead.id).where(Lead.merged_into_id.is_(None),
                                  ~select(LeadMatchKey.id).where(LeadMatchKey.lead_id == Lead.id).exists())
            .order_by(Lead.id)))
    progress("indexing", 0, len(missing))
    for start in range(0, len(missing), CHUNK):
        ids = missing[start:start + CHUNK]
        with factory() as session, session.begin():
            rows = session.execute(select(*(table.c[name] for name in identity_service.MATCH_COLUMNS))
                                   .where(table.c.id.in_(ids))).mappings().all()
            identity_service.index_many([dict(row) for row in rows], session=session)
        done += len(ids)
        progress("indexing", len(ids), None)
    return done


def candidate_pairs(session: Session, progress: Progress = _noop, *, per_lead: int | None = None) -> np.ndarray:
    """Pairs of surviving leads that share a blocking key held by at most MAX_BLOCK leads, as packed int64
    (low id << 32 | high id), each once. As for a single capture, each lead keeps only the `per_lead` leads that
    share the most keys with it: a common name in a large city pairs a lead with a hundred others, and scoring
    every such pair made a run over a million leads take hours."""
    per_lead = identity_service.MAX_CANDIDATES if per_lead is None else per_lead
    members, sizes = array("q"), array("l")
    current, block = None, []

    def close() -> None:
        if 1 < len(block) <= blocking.MAX_BLOCK:
            members.extend(block)
            sizes.append(len(block))

    rows = session.execute(select(LeadMatchKey.key, LeadMatchKey.lead_id).order_by(LeadMatchKey.key)
                           .execution_options(yield_per=20000))
    for key, lead_id in rows:
        if key != current:
            close()
            current, block = key, []
        block.append(lead_id)
    close()
    kept = _top_pairs(np.frombuffer(members, dtype=np.int64), np.frombuffer(sizes, dtype=np.int64), per_lead)
    progress("pairing", int(kept.size), None)
    return kept


PAIRS_PER_PASS = 8_000_000  # pair occurrences held at once: a pass over a share of the leads stays in memory


def _block_pairs(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray, part: int, passes: int):
    """(me, other) for every ordered pair inside each block whose `me` falls in this pass, generated a slice of
    blocks at a time so that no array is larger than about PAIRS_PER_PASS."""
    for size in np.unique(sizes):
        i, j = np.nonzero(~np.eye(size, dtype=bool))
        firsts = starts[sizes == size]
        step = max(1, PAIRS_PER_PASS // (size * (size - 1)))
        for begin in range(0, firsts.size, step):
            block = members[firsts[begin:begin + step, None] + np.arange(size)]
            me, other = block[:, i].ravel(), block[:, j].ravel()
            if passes > 1:
                mine = me % passes == part
                me, other = me[mine], other[mine]
            yield me, other


def _top_pairs(members: np.ndarray, sizes: np.ndarray, per_lead: int) -> np.ndarray:
    """From blocks (members laid end to end, their sizes): for every lead, the `per_lead` others sharing the most
    blocks with it (ties: the lower id); a pair is kept when either side keeps it."""
    if members.size == 0:
        return np.empty(0, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    occurrences = int((sizes * (sizes - 1)).sum())          # both directions
    passes = max(1, -(-occurrences // PAIRS_PER_PASS))
    kept = []
    for part in range(passes):
        codes = [(me << 32) | other for me, other in _block_pairs(members, starts, sizes, part, passes)]
        codes, shared = np.unique(np.concatenate(codes), return_counts=True)
        me = codes >> 32
        order = np.lexsort((codes & 0xFFFFFFFF, -shared, me))            # per lead: most shared first
        me, codes = me[order], codes[order]
        first = np.searchsorted(me, me, side="left")
        top = codes[np.arange(me.size) - first < per_lead]
        low, high = top >> 32, top & 0xFFFFFFFF
        kept.append(np.unique((np.minimum(low, high) << 32) | np.maximum(low, high)))
        del codes, shared, order, me, first, top, low, high
    return np.unique(np.concatenate(kept))


def run(factory: sessionmaker[Session], *, dry_run: bool, threshold: float | None = None, estimate_model: bool = False,
        engine: str = "splink", estimate_with: str = "matcher", actor: str = "dedupe",
        progress: Progress = _noop) -> Report:
    """`estimate_with` says whose training the per-capture model keeps: our EM on the candidate pairs a capture
    sees (the default: it kept precision at 0.99 where Splink's mapped weights did not, docs/benchmarks.md), or
    Splink's m and u mapped onto our levels."""
    if engine not in ENGINES or estimate_with not in ENGINES:
        raise ValueError(f"engine and estimate_with must be one of {', '.join(ENGINES)}")
    report = Report(dry_run=dry_run, engine=engine)
    if not dry_run:
        report.indexed = index_missing(factory, progress)
    # A dry run writes keys for unindexed leads in its transaction only (rolled back); a real run reads here in a
    # transaction that holds no write lock while it scores every pair, and writes in short ones of its own below.
    with (factory if dry_run else db.reading(factory))() as session:
        if dry_run:  # keys for unindexed leads in this transaction only: it is rolled back
            missing = session.scalars(select(Lead).where(
                Lead.merged_into_id.is_(None),
                ~select(LeadMatchKey.id).where(LeadMatchKey.lead_id == Lead.id).exists())).all()
            identity_service.index_many(list(missing), session=session)
            session.flush()
        report.leads = session.scalar(select(func.count()).select_from(Lead).where(
            Lead.merged_into_id.is_(None))) or 0
        model = identity_service.model(session=session)
        if engine == "splink":
            scored, apart, trained = _splink(session, model, report, progress,
                                             estimate_model=estimate_model and estimate_with == "splink",
                                             threshold=threshold)
            if estimate_model:
                model = trained if estimate_with == "splink" else _estimate(session, model, report, progress)
        else:
            scored, apart, model = _matcher(session, model, report, progress, estimate_model=estimate_model,
                                            threshold=threshold)
        not_same = [(p.lead_id, p.other_id) for p in session.scalars(
            select(PossibleDuplicate).where(PossibleDuplicate.status == "not_same"))]
        open_pairs = session.scalar(select(func.count()).select_from(PossibleDuplicate).where(
            PossibleDuplicate.status == "open")) or 0
    if estimate_model and not dry_run:
        with factory() as writer, writer.begin():
            identity_service.save_model(model, session=writer)
    result = cluster(scored + apart, not_the_same=not_same)
    report.clusters = [sorted(c) for c in result.clusters]
    report.review = len(result.review)
    merged_away = sum(len(c) - 1 for c in report.clusters)
    room = max(0, identity_service.review_cap(report.leads - merged_away) - open_pairs)
    review = sorted(result.review, key=lambda item: -item[2].probability)
    report.not_queued = max(0, len(review) - room)
    if dry_run:
        return report
    best = {(a, b): r for a, b, r in scored}
    progress("merging", 0, len(report.clusters))
    for members in report.clusters:
        with factory() as session, session.begin():
            survivor = session.get(Lead, members[0])
            for other_id in members[1:]:
                other = session.get(Lead, other_id)
                if survivor is None or other is None or other.merged_into_id is not None:
                    continue
                pair_result = best.get((min(survivor.id, other_id), max(survivor.id, other_id)))
                merges.merge(session, survivor=survivor, other=other, actor=actor, automatic=True,
                             result=pair_result)
                report.merged += 1
        progress("merging", 1, None)
    with factory() as session, session.begin():
        report.queued = _queue(session, review[:room])
    return report


def _matcher(session: Session, model: Model, report: Report, progress: Progress, *, estimate_model: bool,
             threshold: float | None) -> tuple[list, list, Model]:
    """Our own matcher: pairs from the blocking keys in lead_match_keys, scored by match.Model."""
    if report.dry_run:  # keys for unindexed leads in this transaction only: it is rolled back
        missing = session.scalars(select(Lead).where(
            Lead.merged_into_id.is_(None),
            ~select(LeadMatchKey.id).where(LeadMatchKey.lead_id == Lead.id).exists())).all()
        identity_service.index_many(list(missing), session=session)
        session.flush()
    pairs = candidate_pairs(session, progress)
    report.pairs = int(pairs.size)
    prepared = _prepared(session, np.union1d(pairs >> 32, pairs & _LOW), progress)
    if estimate_model and pairs.size:
        model = estimate((compare(prepared[a], prepared[b]) for a, b in _each(pairs)
                          if a in prepared and b in prepared), start=model)
    saved = model
    if threshold is not None:
        model = Model.from_dict({**model.to_dict(), "auto_threshold": threshold})
    scored, apart = _score(pairs, prepared, model, progress)
    return scored, apart, saved


def _estimate(session: Session, model: Model, report: Report, progress: Progress) -> Model:
    """Our EM over the pairs of the blocking keys, as `--engine matcher --estimate` trains it."""
    if report.dry_run:
        return model
    pairs = candidate_pairs(session, progress)
    if not pairs.size:
        return model
    prepared = _prepared(session, np.union1d(pairs >> 32, pairs & _LOW), progress)
    return estimate((compare(prepared[a], prepared[b]) for a, b in _each(pairs)
                     if a in prepared and b in prepared), start=model)


def _splink(session: Session, model: Model, report: Report, progress: Progress, *, estimate_model: bool,
            threshold: float | None) -> tuple[list, list, Model]:
    """Splink: every surviving lead, normalized as our matcher sees it, into DuckDB; a model trained on them (EM,
    u from random pairs, term frequencies); the pairs at or above the review threshold judged with our guards.
    With `estimate_model` the trained m and u are mapped onto our per-capture model (returned to be saved)."""
    run = linkage.Linkage()
    try:
        table = Lead.__table__
        rows = session.execute(select(*(table.c[name] for name in identity_service.MATCH_COLUMNS))
                               .where(table.c.merged_into_id.is_(None)).order_by(table.c.id)
                               .execution_options(yield_per=20000))
        progress("reading", 0, report.leads)
        batch = []
        for row in rows:
            batch.append(linkage.row(prepare(identity_service.person_record(row._asdict()))))
            if len(batch) == 20_000:
                run.add(batch)
                progress("reading", len(batch), None)
                batch = []
        run.add(batch)
        progress("reading", len(batch), None)
        if run.count < 2:
            return [], [], model
        progress("training", 0, 1)
        report.trained = run.train()
        progress("training", 1, None)
        parameters = run.parameters()
        if estimate_model:
            model = linkage.to_model(parameters, start=model)
        deciding = model if threshold is None else Model.from_dict({**model.to_dict(), "auto_threshold": threshold})
        found = list(run.predict(deciding.review_threshold))
    finally:
        run.close()
    report.pairs = len(found)
    prepared = _prepared(session, np.array(sorted({x for p in found for x in (p.low, p.high)}), dtype=np.int64),
                         progress)
    level_weights = linkage.weights(parameters)
    progress("scoring", 0, len(found))
    scored = [(p.low, p.high, guards.judge(p.low, p.high, p.probability, p.weight, p.levels, level_weights,
                                           prepared, deciding))
              for p in found if p.low in prepared and p.high in prepared]
    progress("scoring", len(found), None)
    kept = [s for s in scored if s[2].decision != "distinct"]
    apart = [s for s in scored if s[2].decision == "distinct"] + guards.apart_within(kept, prepared)
    return kept, apart, model


_DISTINCT = MatchResult(weight=0.0, probability=0.0, decision="distinct", reasons=())


_LOW = 0xFFFFFFFF


def _each(pairs: np.ndarray, step: int = 100_000):
    """(low, high) of packed pairs, a slice at a time (a list of millions of Python ints would not fit)."""
    for start in range(0, pairs.size, step):
        part = pairs[start:start + step]
        yield from zip((part >> 32).tolist(), (part & _LOW).tolist(), strict=True)


def _prepared(session: Session, ids: np.ndarray, progress: Progress) -> dict:
    """The matcher's view of every lead in a pair, streamed from one ordered read of the surviving leads."""
    wanted = set(ids.tolist())
    table = Lead.__table__
    rows = session.execute(select(*(table.c[name] for name in identity_service.MATCH_COLUMNS))
                           .where(table.c.merged_into_id.is_(None)).order_by(table.c.id)
                           .execution_options(yield_per=20000))
    prepared = {}
    progress("preparing", 0, len(wanted))
    for row in rows:
        if row.id in wanted:
            prepared[row.id] = prepare(identity_service.person_record(row._asdict()))
            if len(prepared) % 10_000 == 0:
                progress("preparing", 10_000, None)
    return prepared


def _score(pairs: np.ndarray, prepared: dict, model: Model, progress: Progress
           ) -> tuple[list[tuple[int, int, MatchResult]], list[tuple[int, int, MatchResult]]]:
    """Score pair by pair, keeping only what clustering reads: merge and review results, and the distinct pairs
    between leads that have a merge pair (the chain guard), without their reasons. Holding every comparison and
    result of millions of pairs took gigabytes."""
    scored: list[tuple[int, int, MatchResult]] = []
    distinct = array("q")   # packed like the pairs: ten million tuples took a gigabyte
    step = 0
    progress("scoring", 0, int(pairs.size))
    for a, b in _each(pairs):
        if a in prepared and b in prepared:
            result = model.score(compare(prepared[a], prepared[b]), explain=False)
            if result.decision == "distinct":
                distinct.append((a << 32) | b)
            else:
                scored.append((a, b, result))
        step += 1
        if step == 10_000:
            progress("scoring", step, None)
            step = 0
    progress("scoring", step, None)
    scored.sort(key=lambda item: (item[0], item[1]))
    merging = np.array(sorted({x for a, b, r in scored if r.decision == "merge" for x in (a, b)}), dtype=np.int64)
    codes = np.frombuffer(distinct, dtype=np.int64) if len(distinct) else np.empty(0, dtype=np.int64)
    guard = codes[np.isin(codes >> 32, merging) & np.isin(codes & _LOW, merging)]
    apart = [(a, b, _DISTINCT) for a, b in _each(guard)]
    return scored, apart


def _queue(session: Session, review: list[tuple[int, int, MatchResult]]) -> int:
    """The unsure pairs into the review queue (pairs queued or judged before stay as they are): how many were new."""
    before = session.scalar(select(func.count()).select_from(PossibleDuplicate)) or 0
    identity_service.suggest_many(review, session=session, found_by="dedupe")
    return (session.scalar(select(func.count()).select_from(PossibleDuplicate)) or 0) - before
