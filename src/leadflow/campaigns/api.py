"""JSON routes for campaigns and their cost entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from leadflow.campaigns import queries
from leadflow.campaigns import service as campaigns_service
from leadflow.campaigns.schemas import (
    CampaignCreate, CampaignDetail, CampaignPage, CampaignRead, CampaignUpdate, Channel, CostCreate, CostRead,
)
from leadflow.http import DbSession
from leadflow.inputs import Id
from leadflow.people.deps import permitted
from leadflow.people.service import Actor

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])

Reader = Annotated[Actor, permitted("campaigns:read")]
Writer = Annotated[Actor, permitted("campaigns:write")]


def _campaign_leads(request: Request) -> queries.CampaignLeads:
    """The leads stage's reader of a campaign's leads, handed in by the composition root."""
    return request.app.state.campaign_leads


LeadsOfCampaigns = Annotated[queries.CampaignLeads, Depends(_campaign_leads)]


def _detail(session, campaign, actor: Actor, leads: queries.CampaignLeads) -> CampaignDetail:
    """Its leads are those the caller may see, counted as the campaign page counts them (one query for both)."""
    return CampaignDetail(**CampaignRead.model_validate(campaign).model_dump(),
                          total_cost=queries.total_cost(campaign.id, session=session),
                          leads=leads.counts(actor, [campaign.id], session=session).get(campaign.id, 0))


@router.post("", response_model=CampaignDetail, status_code=201)
def create_campaign(body: CampaignCreate, session: DbSession, actor: Writer, leads: LeadsOfCampaigns):
    values = body.model_dump()
    values["currency"] = values["currency"].upper()
    campaign = campaigns_service.create(session=session, values=values)
    session.commit()
    return _detail(session, campaign, actor, leads)


@router.get("", response_model=CampaignPage)
def list_campaigns(session: DbSession, actor: Reader, channel: Channel | None = None, q: str | None = None,
                   parent_id: Id | None = None, cursor: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50):
    rows, next_cursor = queries.campaign_page(session=session, channel=channel, q=q, parent_id=parent_id, cursor=cursor,
                                              limit=limit)
    return CampaignPage(items=[CampaignRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{campaign_id}", response_model=CampaignDetail)
def get_campaign(campaign_id: Id, session: DbSession, actor: Reader, leads: LeadsOfCampaigns):
    return _detail(session, campaigns_service.get(campaign_id, session=session), actor, leads)


@router.patch("/{campaign_id}", response_model=CampaignDetail)
def update_campaign(campaign_id: Id, body: CampaignUpdate, session: DbSession, actor: Writer,
                    leads: LeadsOfCampaigns):
    campaign = campaigns_service.get(campaign_id, session=session)
    values = body.model_dump(exclude_unset=True)
    if values.get("currency"):
        values["currency"] = values["currency"].upper()
    campaigns_service.update(session=session, campaign=campaign, values=values)
    session.commit()
    return _detail(session, campaign, actor, leads)


@router.post("/{campaign_id}/costs", response_model=CostRead, status_code=201)
def add_cost(campaign_id: Id, body: CostCreate, session: DbSession, actor: Writer):
    campaign = campaigns_service.get(campaign_id, session=session)
    cost = campaigns_service.add_cost(session=session, campaign=campaign, spent_on=body.spent_on, amount=body.amount,
                                      currency=body.currency, note=body.note)
    session.commit()
    return CostRead.model_validate(cost)


@router.delete("/{campaign_id}/costs/{cost_id}", status_code=204, response_class=Response)
def delete_cost(campaign_id: Id, cost_id: Id, session: DbSession, actor: Writer) -> Response:
    """Remove a wrong entry (a cost is never negative: a refund is corrected by entering what was really spent)."""
    campaign = campaigns_service.get(campaign_id, session=session)
    campaigns_service.remove_cost(session=session, campaign=campaign, cost_id=cost_id)
    session.commit()
    return Response(status_code=204)


@router.get("/{campaign_id}/costs", response_model=list[CostRead])
def list_costs(campaign_id: Id, session: DbSession, actor: Reader):
    campaign = campaigns_service.get(campaign_id, session=session)
    return [CostRead.model_validate(c) for c in queries.costs(campaign.id, session=session)]
