"""The filters every analytics route, page and command takes, read once: a period (named or from/to dates) and any
of campaign (its subtree), source, medium, channel, offer, country, industry, owner, team."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from leadflow import clock
from leadflow.analytics.queries import Filters
from leadflow.errors import Invalid
from leadflow import periods

PERIODS = periods.PERIODS
PERIOD_LABELS = {"this_month": "This month", "last_month": "Last month", "quarter": "This quarter",
                 "last_12_months": "Last 12 months", "this_year": "This year", "custom": "Dates"}


def _id(name: str, text: str | None) -> int | None:
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if not text.isdecimal() or len(text) > 18 or int(text) < 1:
        raise Invalid.one(name, f"{text[:40]!r} is not an id (a whole number from 1)")
    return int(text)


def _text(name: str, text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > 200:
        raise Invalid.one(name, "at most 200 characters")
    return text or None


def filters(*, period: str | None = None, start: str | None = None, end: str | None = None,
            campaign: str | None = None, source: str | None = None, medium: str | None = None,
            channel: str | None = None, offer: str | None = None, country: str | None = None,
            industry: str | None = None, owner: str | None = None, team: str | None = None,
            default_period: str = "last_12_months") -> Filters:
    if period not in (None, "") and period not in PERIODS:
        raise Invalid.one("period", f"one of {', '.join(PERIODS)}")
    first, after, _ = periods.period(period or (None if (start or end) else default_period), start, end,
                                       today=clock.now().date())
    return Filters(start=first, end=after, campaign_id=_id("campaign", campaign), source=_text("source", source),
                   medium=_text("medium", medium), channel=_text("channel", channel), offer=_text("offer", offer),
                   country=_text("country", country), industry=_text("industry", industry),
                   owner_id=_id("owner", owner), team_id=_id("team", team))


def period_name(period: str | None, start: str | None, end: str | None, default: str = "last_12_months") -> str:
    if start or end:
        return "custom"
    return period if period in PERIODS else default


class FilterQuery:
    """The filters as FastAPI query parameters (a dependency: `f: Annotated[FilterQuery, Depends()]`)."""

    def __init__(self,
                 period: Annotated[str | None, Query(max_length=20, description=", ".join(PERIODS))] = None,
                 start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
                 end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
                 campaign: Annotated[str | None, Query(max_length=40)] = None,
                 source: Annotated[str | None, Query(max_length=200)] = None,
                 medium: Annotated[str | None, Query(max_length=200)] = None,
                 channel: Annotated[str | None, Query(max_length=200)] = None,
                 offer: Annotated[str | None, Query(max_length=200)] = None,
                 country: Annotated[str | None, Query(max_length=200)] = None,
                 industry: Annotated[str | None, Query(max_length=200)] = None,
                 owner: Annotated[str | None, Query(max_length=40)] = None,
                 team: Annotated[str | None, Query(max_length=40)] = None):
        self.values = {"period": period, "start": start, "end": end, "campaign": campaign, "source": source,
                       "medium": medium, "channel": channel, "offer": offer, "country": country,
                       "industry": industry, "owner": owner, "team": team}

    def filters(self) -> Filters:
        return filters(**self.values)
