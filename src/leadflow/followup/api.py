"""Follow-up JSON API: the policies (due times, reminders, escalation, reassignment), a lead's follow-ups and state,
and the follow-ups one sees (mine, overdue, ...)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from leadflow import clock
from leadflow.errors import Invalid
from leadflow.followup import queries, service
from leadflow.followup.schemas import FollowupRead, PolicyMove, PolicyRead, PolicyWrite, StateRead
from leadflow.http import DbSession, retry_races
from leadflow.inputs import Id
from leadflow.leads import queries as leads_queries
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1", tags=["followup"])

Reader = Annotated[Actor, permitted("leads:read")]
PolicyMaker = Annotated[Actor, permitted("followup:policies")]


@router.get("/followup/policies", response_model=list[PolicyRead])
def list_policies(session: DbSession, actor: PolicyMaker):
    """The policies in the order they are tried; a lead none of them takes gets the default (24 hours on working
    days, a reminder 2 hours before, the manager told at the due time, no reassignment)."""
    return service.policy_rows(session=session)


@router.post("/followup/policies", response_model=PolicyRead, status_code=201)
@retry_races
def create_policy(body: PolicyWrite, session: DbSession, actor: PolicyMaker):
    row = service.create_policy(body.model_dump(exclude_unset=True), session=session, actor=actor.label)
    session.commit()
    return row


@router.get("/followup/policies/{policy_id}", response_model=PolicyRead)
def get_policy(policy_id: Id, session: DbSession, actor: PolicyMaker):
    return service.get_policy(policy_id, session=session)


@router.put("/followup/policies/{policy_id}", response_model=PolicyRead)
@retry_races
def update_policy(policy_id: Id, body: PolicyWrite, session: DbSession, actor: PolicyMaker):
    """The whole policy (fields left out take their defaults); follow-ups already open keep the times they got."""
    row = service.update_policy(policy_id, body.model_dump(exclude_unset=True), session=session, actor=actor.label)
    session.commit()
    return row


@router.post("/followup/policies/{policy_id}/move", response_model=list[PolicyRead])
@retry_races
def move_policy(policy_id: Id, body: PolicyMove, session: DbSession, actor: PolicyMaker):
    """Put the policy at `position` (0: tried first); answers every policy in the new order."""
    service.move_policy(policy_id, body.position, session=session, actor=actor.label)
    session.commit()
    return service.policy_rows(session=session)


@router.delete("/followup/policies/{policy_id}", status_code=204)
@retry_races
def delete_policy(policy_id: Id, session: DbSession, actor: PolicyMaker):
    service.delete_policy(policy_id, session=session)
    session.commit()
    return Response(status_code=204)


def _reads(rows, moment) -> list[FollowupRead]:
    found = []
    for row in rows:
        read = FollowupRead.model_validate(row)
        read.state = queries.state_of(row, moment).status if row.status in ("open", "followed_up") else "none"
        found.append(read)
    return found


@router.get("/leads/{lead_id}/followups", response_model=list[FollowupRead])
def lead_followups(lead_id: Id, session: DbSession, actor: Reader):
    """Every hand-over's follow-up of the lead, newest first: due time and why (`policy.reasons`), timers, how it
    closed."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return _reads(queries.history(lead.id, session=session), clock.now())


@router.get("/leads/{lead_id}/followup", response_model=StateRead)
def lead_followup_state(lead_id: Id, session: DbSession, actor: Reader):
    """The lead's follow-up now: due, overdue, followed_up or none."""
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    state = queries.states([lead.id], session=session, moment=clock.now())[lead.id]
    return StateRead(lead_id=lead.id, label=state.label, **state.as_dict())


@router.get("/followups", response_model=list[FollowupRead])
def list_followups(session: DbSession, actor: Reader,
                   owner: Annotated[str | None, Query(max_length=20, description="me, or a user id")] = None,
                   state: Literal["due", "overdue", "followed_up"] | None = None,
                   after: Annotated[Id | None, Query(ge=1, description="the last id of the previous page")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """The follow-ups of the leads one sees, newest first; `owner=me` for one's own, `state` to narrow."""
    owner_id = None
    if owner == "me":
        if actor.user_id is None:
            raise Invalid.one("owner", "this key acts for no user: give a user id")
        owner_id = actor.user_id
    elif owner is not None:
        if not owner.isdecimal():
            raise Invalid.one("owner", "write me or a user id")
        owner_id = int(owner)
    moment = clock.now()
    rows = queries.page(actor, session=session, moment=moment, owner_id=owner_id, state=state, after=after,
                        limit=limit)
    return _reads(rows, moment)
