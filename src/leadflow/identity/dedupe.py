"""Batch deduplication over the whole database: index, pair by blocking keys, score, cluster, merge or queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from leadflow.clock import now
from leadflow.identity import blocking, merges
from leadflow.identity import service as identity_service
from leadflow.identity.match import MatchResult, Model, cluster, compare, estimate
from leadflow.identity.models import LeadMatchKey, PossibleDuplicate
from leadflow.identity.normalize import prepare
from leadflow.leads.models import Lead

CHUNK = 2000
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
    dry_run: bool = True


def _noop(stage: str, advance: int, total: int | None) -> None:
    return None


def index_missing(factory: sessionmaker[Session], progress: Progress = _noop) -> int:
    """Blocking keys for every surviving lead that has none (leads from before the matcher, or bulk loads)."""
    done = 0
    with factory() as session:
        missing = list(session.scalars(
            select(Lead.id).where(Lead.merged_into_id.is_(None),
                                  ~select(LeadMatchKey.id).where(LeadMatchKey.lead_id == Lead.id).exists())
            .order_by(Lead.id)))
    progress("indexing", 0, len(missing))
    for start in range(0, len(missing), CHUNK):
        ids = missing[start:start + CHUNK]
        with factory() as session, session.begin():
            identity_service.index_many(session, list(session.scalars(select(Lead).where(Lead.id.in_(ids)))))
        done += len(ids)
        progress("indexing", len(ids), None)
    return done


def candidate_pairs(session: Session, progress: Progress = _noop) -> set[tuple[int, int]]:
    """Pairs of surviving leads that share a blocking key held by at most MAX_BLOCK leads (streamed by key)."""
    pairs: set[tuple[int, int]] = set()
    current, members = None, []

    def flush() -> None:
        if 1 < len(members) <= blocking.MAX_BLOCK:
            pairs.update(combinations(sorted(members), 2))

    rows = session.execute(select(LeadMatchKey.key, LeadMatchKey.lead_id).order_by(LeadMatchKey.key)
                           .execution_options(yield_per=20000))
    for key, lead_id in rows:
        if key != current:
            flush()
            current, members = key, []
        members.append(lead_id)
    flush()
    progress("pairing", len(pairs), None)
    return pairs


def run(factory: sessionmaker[Session], *, dry_run: bool, threshold: float | None = None, estimate_model: bool = False,
        actor: str = "dedupe", progress: Progress = _noop) -> Report:
    report = Report(dry_run=dry_run)
    if not dry_run:
        report.indexed = index_missing(factory, progress)
    with factory() as session:
        if dry_run:  # keys for unindexed leads in this transaction only: it is rolled back
            missing = session.scalars(select(Lead).where(
                Lead.merged_into_id.is_(None),
                ~select(LeadMatchKey.id).where(LeadMatchKey.lead_id == Lead.id).exists())).all()
            identity_service.index_many(session, list(missing))
            session.flush()
        report.leads = session.scalar(select(func.count()).select_from(Lead).where(
            Lead.merged_into_id.is_(None))) or 0
        pairs = candidate_pairs(session, progress)
        report.pairs = len(pairs)
        ids = sorted({i for pair in pairs for i in pair})
        prepared = {}
        progress("scoring", 0, len(pairs))
        for start in range(0, len(ids), CHUNK):
            for lead in session.scalars(select(Lead).where(Lead.id.in_(ids[start:start + CHUNK]),
                                                           Lead.merged_into_id.is_(None))):
                prepared[lead.id] = prepare(identity_service.person_record(lead))
        model = identity_service.model(session)
        if estimate_model and pairs:
            model = estimate((compare(prepared[a], prepared[b]) for a, b in sorted(pairs)
                              if a in prepared and b in prepared), start=model)
            if not dry_run:
                with factory() as writer, writer.begin():
                    identity_service.save_model(writer, model)
        if threshold is not None:
            model = Model.from_dict({**model.to_dict(), "auto_threshold": threshold})
        scored, apart = _score(pairs, prepared, model, progress)
        del pairs
        not_same = [(p.lead_id, p.other_id) for p in session.scalars(
            select(PossibleDuplicate).where(PossibleDuplicate.status == "not_same"))]
    result = cluster(scored + apart, not_the_same=not_same)
    report.clusters = [sorted(c) for c in result.clusters]
    report.review = len(result.review)
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
        report.queued = _queue(session, result.review)
    return report


_DISTINCT = MatchResult(weight=0.0, probability=0.0, decision="distinct", reasons=())


def _score(pairs: set[tuple[int, int]], prepared: dict, model: Model, progress: Progress
           ) -> tuple[list[tuple[int, int, MatchResult]], list[tuple[int, int, MatchResult]]]:
    """Score pair by pair, keeping only what clustering reads: merge and review results, and the distinct pairs
    between leads that have a merge pair (the chain guard), without their reasons. Holding every comparison and
    result of millions of pairs took gigabytes."""
    scored: list[tuple[int, int, MatchResult]] = []
    distinct: list[tuple[int, int]] = []
    step = 0
    for a, b in pairs:
        if a in prepared and b in prepared:
            result = model.score(compare(prepared[a], prepared[b]))
            if result.decision == "distinct":
                distinct.append((a, b))
            else:
                scored.append((min(a, b), max(a, b), result))
        step += 1
        if step == 10_000:
            progress("scoring", step, None)
            step = 0
    progress("scoring", step, None)
    scored.sort(key=lambda item: (item[0], item[1]))
    merging = {x for a, b, r in scored if r.decision == "merge" for x in (a, b)}
    apart = [(a, b, _DISTINCT) for a, b in distinct if a in merging and b in merging]
    return scored, apart


def _queue(session: Session, review: list[tuple[int, int, MatchResult]]) -> int:
    """suggest_review for many pairs: the pairs already queued or judged read once, the new ones inserted in bulk."""
    wanted = {tuple(sorted((a, b))): result for a, b, result in review}
    if not wanted:
        return 0
    low = sorted({pair[0] for pair in wanted})
    known: set[tuple[int, int]] = set()
    for start in range(0, len(low), identity_service.IN_BATCH):
        known.update(session.execute(select(PossibleDuplicate.lead_id, PossibleDuplicate.other_id).where(
            PossibleDuplicate.lead_id.in_(low[start:start + identity_service.IN_BATCH]))).tuples())
    moment = now()
    rows = [{"lead_id": a, "other_id": b, "probability": r.probability, "weight": r.weight,
             "reasons": identity_service.reasons_json(r), "status": "open", "found_by": "dedupe",
             "created_at": moment} for (a, b), r in sorted(wanted.items()) if (a, b) not in known]
    for start in range(0, len(rows), 5000):
        session.execute(insert(PossibleDuplicate), rows[start:start + 5000])
    return len(rows)
