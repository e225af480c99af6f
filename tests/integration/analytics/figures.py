"""Campaigns, costs and leads with what they became, for the analytics settings, alerts and digest tests: plain
add-and-flush over the models, then the leads' facts refreshed as the worker's pass would."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

from leadflow.analytics import facts
from leadflow.campaigns.models import Campaign, CampaignCost
from leadflow.leads.models import Lead
from leadflow.pipeline.models import Opportunity

_numbers = itertools.count(1)


def campaign(session, *, source: str, name: str | None = None, medium: str | None = None) -> int:
    n = next(_numbers)
    row = Campaign(name=name or f"{source} campaign {n}", code=f"c-{source}-{n}", code_key=f"c-{source}-{n}".casefold(),
                   channel="paid", source=source, medium=medium)
    session.add(row)
    session.flush()
    return row.id


def cost(session, campaign_id: int, *, amount: str, on: date, currency: str = "EUR") -> None:
    session.add(CampaignCost(campaign_id=campaign_id, spent_on=on, amount=Decimal(amount), currency=currency))
    session.flush()


def lead(session, *, campaign_id: int | None, created_at: datetime, stage: str = "new",
         owner_id: int | None = None, won: str | None = None, currency: str = "EUR") -> int:
    row = Lead(email=f"figures{next(_numbers)}@example.com", campaign_id=campaign_id, stage=stage, owner_id=owner_id,
               created_at=created_at, updated_at=created_at)
    session.add(row)
    session.flush()
    if won is not None:
        session.add(Opportunity(lead_id=row.id, name="Deal", value=Decimal(won), currency=currency, stage="won",
                                status="won", closed_at=created_at, owner_id=owner_id))
        session.flush()
    return row.id


def refresh(session, lead_ids: list[int]) -> None:
    facts.refresh(lead_ids, session=session)
    session.flush()
