"""JSON routes: the review queue of possible duplicates, merging two leads, undoing a merge, survivorship rules."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from leadflow.errors import Conflict, NotFound
from leadflow.http import DbSession, retry_races
from leadflow.identity import merges, queries
from leadflow.identity.schemas import (
    DuplicatePage, DuplicateRead, MergeRead, MergeRequest, SurvivorshipRules, Verdict,
)
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.leads.domain import LEAD_FIELDS
from leadflow.leads.schemas import LeadRead
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1", tags=["identity"])

Reader = Annotated[Actor, permitted("leads:read")]
Merger = Annotated[Actor, permitted("leads:merge")]
RuleMaker = Annotated[Actor, permitted("identity:rules")]


def _read(pair, leads) -> DuplicateRead:
    lead, other = leads[pair.lead_id], leads[pair.other_id]
    differences = [f for f in LEAD_FIELDS if getattr(lead, f) and getattr(other, f)
                   and getattr(lead, f) != getattr(other, f)]
    return DuplicateRead(id=pair.id, status=pair.status, probability=pair.probability, weight=pair.weight,
                         reasons=pair.reasons, found_by=pair.found_by, created_at=pair.created_at,
                         decided_at=pair.decided_at, decided_by=pair.decided_by, lead=LeadRead.model_validate(lead),
                         other=LeadRead.model_validate(other), differences=differences)


@router.get("/duplicates", response_model=DuplicatePage)
def list_duplicates(session: DbSession, actor: Reader,
                    status: Literal["open", "merged", "not_same"] | None = "open", lead_id: Id | None = None,
                    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Possible duplicates side by side, with the score and the reasons; open ones by default."""
    pairs, next_cursor = queries.duplicate_page(actor, session=session, status=status, lead_id=lead_id, cursor=cursor,
                                                limit=limit)
    leads = queries.leads_of(pairs, session=session)
    return DuplicatePage(items=[_read(p, leads) for p in pairs], next_cursor=next_cursor)


@router.get("/duplicates/{pair_id}", response_model=DuplicateRead)
def get_duplicate(pair_id: Id, session: DbSession, actor: Reader):
    pair = merges.get_pair(session, pair_id)
    _visible_pair(session, actor, pair)
    return _read(pair, queries.leads_of([pair], session=session))


def _visible_pair(session, actor, pair) -> None:
    for lead_id in (pair.lead_id, pair.other_id):
        if queries.merged_lead(actor, lead_id, session=session) is None:
            leads_queries.visible_lead(actor, lead_id, session=session)


@router.post("/duplicates/{pair_id}/decision", response_model=MergeRead | None)
@retry_races
def decide_duplicate(pair_id: Id, body: Verdict, session: DbSession, actor: Merger):
    """A person's verdict: merge the pair, or mark it "not the same" (remembered: never suggested or merged again)."""
    pair = merges.get_pair(session, pair_id)
    _visible_pair(session, actor, pair)
    record = merges.decide(session, pair=pair, verdict=body.verdict, actor=actor.label, survivor_id=body.survivor_id)
    session.commit()
    return MergeRead.model_validate(record) if record else None


@router.post("/leads/{lead_id}/merge", response_model=MergeRead, status_code=201)
@retry_races
def merge_leads(lead_id: Id, body: MergeRequest, session: DbSession, actor: Merger):
    """Fold another lead into this one; 409 when either was merged away meanwhile."""
    survivor = _surviving(session, actor, lead_id)
    other = _surviving(session, actor, body.other_id)
    record = merges.merge(session, survivor=survivor, other=other, actor=actor.label)
    session.commit()
    return MergeRead.model_validate(record)


def _surviving(session, actor: Actor, lead_id: int):
    """A lead the actor sees, still surviving: a lead merged away (into one the actor sees) is a conflict, not
    unknown; a lead the actor may not see stays a 404."""
    if queries.merged_lead(actor, lead_id, session=session) is not None:
        raise Conflict(f"lead {lead_id} was merged into another lead already")
    return leads_queries.visible_lead(actor, lead_id, session=session)


@router.post("/leads/{lead_id}/unmerge", response_model=LeadRead)
@retry_races
def unmerge_lead(lead_id: Id, session: DbSession, actor: Merger):
    """Undo the merge that folded this lead into another: it comes back with everything that belonged to it."""
    lead = queries.merged_lead(actor, lead_id, session=session)
    if lead is None:
        leads_queries.visible_lead(actor, lead_id, session=session)  # 404 when unknown or not the actor's
        raise NotFound("merged lead", lead_id)
    restored = merges.unmerge(session, merged=lead, actor=actor.label)
    session.commit()
    return leads_queries.read(restored, session=session)


@router.get("/leads/{lead_id}/merges", response_model=list[MergeRead])
def lead_merges(lead_id: Id, session: DbSession, actor: Reader):
    if queries.merged_lead(actor, lead_id, session=session) is None:
        leads_queries.visible_lead(actor, lead_id, session=session)
    return [MergeRead.model_validate(m) for m in queries.merges_of(lead_id, session=session)]


@router.get("/identity/survivorship", response_model=SurvivorshipRules)
def get_rules(session: DbSession, actor: Reader):
    return SurvivorshipRules(rules=merges.rules(session))


@router.put("/identity/survivorship", response_model=SurvivorshipRules)
def put_rules(body: SurvivorshipRules, session: DbSession, actor: RuleMaker):
    """Per field: newest (default), oldest, survivor or longest; a value a person edited by hand always wins."""
    saved = merges.save_rules(session, dict(body.rules))
    session.commit()
    return SurvivorshipRules(rules=saved)
