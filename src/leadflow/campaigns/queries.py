"""Campaign reads: pages, costs per currency."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from leadflow.campaigns.models import Campaign, CampaignCost
from leadflow.pages import keyset_page


def campaign_page(session: Session, *, channel: str | None, q: str | None, parent_id: int | None,
                  cursor: str | None, limit: int) -> tuple[list[Campaign], str | None]:
    query = select(Campaign)
    if channel:
        query = query.where(Campaign.channel == channel)
    if q:
        query = query.where(or_(Campaign.name.ilike(f"%{q}%"), Campaign.code.ilike(f"%{q}%")))
    if parent_id is not None:
        query = query.where(Campaign.parent_id == parent_id)
    return keyset_page(session, query, Campaign.id, cursor=cursor, limit=limit)


def total_cost(session: Session, campaign_id: int) -> dict[str, str]:
    rows = session.execute(select(CampaignCost.currency, func.sum(CampaignCost.amount))
                           .where(CampaignCost.campaign_id == campaign_id).group_by(CampaignCost.currency))
    return {currency: f"{amount:.2f}" for currency, amount in rows}


def costs(session: Session, campaign_id: int) -> list[CampaignCost]:
    return list(session.scalars(select(CampaignCost).where(CampaignCost.campaign_id == campaign_id)
                                .order_by(CampaignCost.spent_on, CampaignCost.id)))
