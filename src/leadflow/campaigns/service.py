"""Campaigns: find or create the campaign a capture names, create and change them, record costs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.campaigns.domain import CHANNELS, channel_for, code_key
from leadflow.campaigns.models import Campaign, CampaignCost
from leadflow import events, outbox
from leadflow.clock import now
from leadflow.db import insert_ignore
from leadflow.errors import Conflict, Invalid, NotFound
from leadflow.hierarchy import check_parent


def resolve(*, session: Session, code: str | None, attribution: dict, capture_channel: str) -> int | None:
    """The campaign a capture belongs to, by code or utm_campaign; created when it does not exist yet."""
    code = code or attribution.get("utm_campaign")
    if not code:
        return None
    key = code_key(code)[:200]
    found = session.scalar(select(Campaign.id).where(Campaign.code_key == key))
    if found is not None:
        return found
    values = dict(
        name=code[:300], code=code[:200], code_key=key,
        channel=channel_for(capture_channel=capture_channel, utm_medium=attribution.get("utm_medium"),
                            utm_source=attribution.get("utm_source")),
        source=attribution.get("utm_source"), medium=attribution.get("utm_medium"),
        created_automatically=True, created_at=now(), currency="EUR",
    )
    # Two captures may name the same new campaign at once: insert-or-ignore, then read.
    session.execute(insert_ignore(session.get_bind(), Campaign, values, ["code_key"]))
    return session.scalar(select(Campaign.id).where(Campaign.code_key == key))


def get(campaign_id: int, *, session: Session) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    return campaign


def _check(values: dict, campaign: Campaign | None = None, *, session: Session) -> None:
    if "channel" in values and values["channel"] not in CHANNELS:
        raise Invalid.one("channel", f"must be one of {', '.join(CHANNELS)}")
    starts = values.get("starts_on", campaign.starts_on if campaign else None)
    ends = values.get("ends_on", campaign.ends_on if campaign else None)
    if starts and ends and ends < starts:
        raise Invalid.one("ends_on", "is before starts_on")
    if values.get("parent_id") is not None:
        check_parent(session, Campaign, node_id=campaign.id if campaign else None, parent_id=values["parent_id"],
                     what="campaign")


def create(*, session: Session, values: dict) -> Campaign:
    _check(values, session=session)
    key = code_key(values["code"])
    if session.scalar(select(Campaign.id).where(Campaign.code_key == key)) is not None:
        raise Conflict(f"a campaign with code {values['code']!r} exists already")
    campaign = Campaign(**values, code_key=key, created_at=now())
    session.add(campaign)
    session.flush()
    return campaign


def update(*, session: Session, campaign: Campaign, values: dict) -> Campaign:
    _check(values, campaign, session=session)
    if "code" in values:
        key = code_key(values["code"])
        other = session.scalar(select(Campaign.id).where(Campaign.code_key == key, Campaign.id != campaign.id))
        if other is not None:
            raise Conflict(f"a campaign with code {values['code']!r} exists already")
        campaign.code_key = key
    changed = sorted(name for name in ("channel", "source", "medium", "offer")
                     if name in values and values[name] != getattr(campaign, name))
    for name, value in values.items():
        setattr(campaign, name, value)
    session.flush()
    if changed:  # what the figures per source, medium, channel and offer group its leads by
        outbox.publish(session, events.CAMPAIGN_CHANGED, {"campaign_id": campaign.id, "fields": changed})
    return campaign


def add_cost(*, session: Session, campaign: Campaign, spent_on: date, amount: Decimal, currency: str,
             note: str | None) -> CampaignCost:
    """What was spent; never negative (a refund corrects the entry it refunds: remove_cost, then add_cost)."""
    if amount < 0:
        raise Invalid.one("amount", "must not be negative: to correct a cost, delete its entry and add the amount "
                                    "actually spent")
    cost = CampaignCost(campaign_id=campaign.id, spent_on=spent_on, amount=amount, currency=currency.upper(),
                        note=note, created_at=now())
    session.add(cost)
    session.flush()
    return cost


def remove_cost(*, session: Session, campaign: Campaign, cost_id: int) -> None:
    cost = session.get(CampaignCost, cost_id)
    if cost is None or cost.campaign_id != campaign.id:
        raise NotFound("cost entry", cost_id)
    session.delete(cost)
    session.flush()
