"""Batch deduplication over the whole database: index, pair by blocking keys, score, cluster, merge or queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

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
        comparisons = {pair: compare(prepared[pair[0]], prepared[pair[1]]) for pair in sorted(pairs)
                       if pair[0] in prepared and pair[1] in prepared}
        model = identity_service.model(session)
        if estimate_model and comparisons:
            model = estimate(comparisons.values(), start=model)
            if not dry_run:
                with factory() as writer, writer.begin():
                    identity_service.save_model(writer, model)
        if threshold is not None:
            model = Model.from_dict({**model.to_dict(), "auto_threshold": threshold})
        scored: list[tuple[int, int, MatchResult]] = []
        for (a, b), comparison in comparisons.items():
            scored.append((a, b, model.score(comparison)))
            progress("scoring", 1, None)
        not_same = [(p.lead_id, p.other_id) for p in session.scalars(
            select(PossibleDuplicate).where(PossibleDuplicate.status == "not_same"))]
    result = cluster(scored, not_the_same=not_same)
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
        for a, b, pair_result in result.review:
            report.queued += identity_service.suggest_review(session, a, [(b, pair_result)], found_by="dedupe")
    return report
