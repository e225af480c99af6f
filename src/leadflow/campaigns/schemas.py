"""Campaigns and cost entries in the JSON API; money is a decimal string with its currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from leadflow.inputs import Input

Channel = Literal["web", "email", "telemarketing", "trade_fair", "direct_mail", "print", "radio_tv", "social",
                  "paid_search", "partner", "other"]
Currency = Field(default="EUR", pattern=r"^[A-Za-z]{3}$")


class CampaignCreate(Input):
    name: str = Field(min_length=1, max_length=300)
    code: str = Field(min_length=1, max_length=200)
    channel: Channel = "other"
    source: str | None = Field(default=None, max_length=200)
    medium: str | None = Field(default=None, max_length=200)
    offer: str | None = Field(default=None, max_length=300)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    budget: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    currency: str = Currency
    parent_id: int | None = None
    description: str | None = Field(default=None, max_length=10_000)


class CampaignUpdate(CampaignCreate):
    name: str = Field(default=None, min_length=1, max_length=300)
    code: str = Field(default=None, min_length=1, max_length=200)
    channel: Channel = None
    currency: str = Field(default=None, pattern=r"^[A-Za-z]{3}$")


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    code: str
    channel: str
    source: str | None
    medium: str | None
    offer: str | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    budget: Decimal | None
    currency: str
    parent_id: int | None
    description: str | None
    created_automatically: bool
    created_at: dt.datetime

    @field_serializer("budget")
    def _money(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)


class CampaignDetail(CampaignRead):
    total_cost: dict[str, str]
    leads: int


class CampaignPage(BaseModel):
    items: list[CampaignRead]
    next_cursor: str | None


class CostCreate(Input):
    spent_on: dt.date = Field(alias="date")
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2,
                            description="what was spent, never negative: to correct an entry (a refund, a credit "
                                        "note), delete it and add the amount actually spent")
    currency: str = Currency
    note: str | None = Field(default=None, max_length=2000)


class CostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    campaign_id: int
    date: dt.date = Field(validation_alias="spent_on")
    amount: Decimal
    currency: str
    note: str | None

    @field_serializer("amount")
    def _money(self, value: Decimal) -> str:
        return str(value)
