"""Campaign reads: pages, costs per currency; and the reader of a campaign's leads that the leads stage (above this
one) hands in through the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer

from leadflow.campaigns.models import Campaign, CampaignCost, SpendImport
from leadflow.pages import keyset_page


@dataclass(frozen=True)
class CampaignLeads:
    """How many leads of each campaign an actor sees, and whether they see every lead: read by the leads stage
    (`leads/stage.py` gives it; `app.state.campaign_leads` holds it), so campaigns import nothing of leads."""

    counts: Callable[..., dict[int, int]]  # (actor, campaign_ids, *, session) -> {campaign_id: leads}
    sees_all: Callable[..., bool]  # (actor) -> bool


def campaign_page(*, session: Session, channel: str | None, q: str | None, parent_id: int | None,
                  cursor: str | None, limit: int) -> tuple[list[Campaign], str | None]:
    query = select(Campaign)
    if channel:
        query = query.where(Campaign.channel == channel)
    if q:
        query = query.where(or_(Campaign.name.ilike(f"%{q}%"), Campaign.code.ilike(f"%{q}%")))
    if parent_id is not None:
        query = query.where(Campaign.parent_id == parent_id)
    return keyset_page(session, query, Campaign.id, cursor=cursor, limit=limit)


def total_cost(campaign_id: int, *, session: Session) -> dict[str, str]:
    rows = session.execute(select(CampaignCost.currency, func.sum(CampaignCost.amount))
                           .where(CampaignCost.campaign_id == campaign_id).group_by(CampaignCost.currency))
    return {currency: f"{amount:.2f}" for currency, amount in rows}


def costs(campaign_id: int, *, session: Session) -> list[CampaignCost]:
    return list(session.scalars(select(CampaignCost).where(CampaignCost.campaign_id == campaign_id)
                                .order_by(CampaignCost.spent_on, CampaignCost.id)))


def campaign_list(*, session: Session, q: str | None, channel: str | None, offset: int, limit: int
                  ) -> tuple[list[Campaign], bool]:
    """A page of campaigns for the workspace, latest start date first (undated last); and whether more follow."""
    query = select(Campaign)
    if channel:
        query = query.where(Campaign.channel == channel)
    if q:
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Campaign.name.ilike(pattern, escape="\\"), Campaign.code.ilike(pattern, escape="\\"),
                                Campaign.source.ilike(pattern, escape="\\"),
                                Campaign.medium.ilike(pattern, escape="\\")))
    query = query.order_by(Campaign.starts_on.is_(None), Campaign.starts_on.desc(), Campaign.id.desc())
    rows = list(session.scalars(query.offset(offset).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def total_costs(campaign_ids: list[int], *, session: Session) -> dict[int, dict[str, str]]:
    """Total cost per currency of each campaign, for a page of campaigns: one grouped query."""
    if not campaign_ids:
        return {}
    totals: dict[int, dict[str, str]] = {}
    rows = session.execute(select(CampaignCost.campaign_id, CampaignCost.currency, func.sum(CampaignCost.amount))
                           .where(CampaignCost.campaign_id.in_(campaign_ids))
                           .group_by(CampaignCost.campaign_id, CampaignCost.currency))
    for campaign_id, currency, amount in rows:
        totals.setdefault(campaign_id, {})[currency] = f"{amount:.2f}"
    return totals


def programs(campaign: Campaign, *, session: Session) -> tuple[list[Campaign], list[Campaign]]:
    """The programs above a campaign (top first) and the campaigns directly under it."""
    chain, seen, parent_id = [], {campaign.id}, campaign.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = session.get(Campaign, parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
        parent_id = parent.parent_id
    children = list(session.scalars(select(Campaign).where(Campaign.parent_id == campaign.id)
                                    .order_by(Campaign.name, Campaign.id)))
    return list(reversed(chain)), children


def choices(*, session: Session, limit: int = 500) -> list[tuple[int, str, str]]:
    """(id, name, code) of campaigns for a select, by name."""
    return [tuple(row) for row in session.execute(select(Campaign.id, Campaign.name, Campaign.code)
                                                  .order_by(Campaign.name, Campaign.id).limit(limit))]


def attributes(*, session: Session) -> list:
    """Every campaign's place in the tree and what it is: (id, parent_id, name, code, channel, source, medium,
    offer, currency), for the figures per campaign, program, source, medium, channel and offer."""
    return list(session.execute(select(Campaign.id, Campaign.parent_id, Campaign.name, Campaign.code,
                                       Campaign.channel, Campaign.source, Campaign.medium, Campaign.offer,
                                       Campaign.currency).order_by(Campaign.id)))


def cost_rows(start, end, *, session: Session) -> list:
    """The cost entries that touch the days [start, end): (campaign_id, spent_on, spent_until, amount, currency);
    spent_until is the last day a cost covers (the same day when it covers one)."""
    until = _until()
    query = select(CampaignCost.campaign_id, CampaignCost.spent_on, until, CampaignCost.amount,
                   CampaignCost.currency).where(until >= start) if start is not None else select(
        CampaignCost.campaign_id, CampaignCost.spent_on, until, CampaignCost.amount, CampaignCost.currency)
    if end is not None:
        query = query.where(CampaignCost.spent_on < end)
    return list(session.execute(query))


def _until():
    return func.coalesce(CampaignCost.spent_until, CampaignCost.spent_on)


def spend_imports(*, session: Session, cursor: str | None, limit: int) -> tuple[list[SpendImport], str | None]:
    """Past spend imports, newest first, without their files' bytes (spend_import_sizes reads their sizes)."""
    return keyset_page(session, select(SpendImport).options(defer(SpendImport.data)), SpendImport.id, cursor=cursor,
                       limit=limit)


def spend_import_sizes(import_ids: list[int], *, session: Session) -> dict[int, int]:
    if not import_ids:
        return {}
    return dict(session.execute(select(SpendImport.id, func.length(SpendImport.data))
                                .where(SpendImport.id.in_(import_ids))).all())
