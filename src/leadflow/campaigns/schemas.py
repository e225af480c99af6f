"""Campaigns and cost entries in the JSON API; money is a decimal string with its currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from leadflow.inputs import Id, Input

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
    parent_id: Id | None = None
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
    until: dt.date | None = Field(default=None, validation_alias="spent_until",
                                  description="the last day a cost over several days covers; null: the one day `date`")
    amount: Decimal
    currency: str
    note: str | None
    platform: str | None = Field(default=None, description="the ad platform of an imported cost")
    external_ref: str | None = Field(default=None, description="the platform's campaign id, when its report has one")
    spend_import_id: int | None = Field(default=None, description="the spend import that wrote (or last replaced) it")

    @field_serializer("amount")
    def _money(self, value: Decimal) -> str:
        return str(value)


SpendPlatform = Literal["google", "meta", "linkedin", "generic"]


class SpendCampaign(BaseModel):
    id: int
    name: str
    code: str


class SpendReplaced(BaseModel):
    amount: str = Field(description="the figure an earlier import had written for this campaign and period")
    spend_import_id: int | None


class SpendCostRead(BaseModel):
    row: int = Field(description="the file's line of the row (the first, when several rows were added up)")
    rows: list[int]
    platform_campaign: str
    external_id: str | None
    campaign: SpendCampaign
    created: bool
    matched: Literal["linked", "code", "name", "created"] = Field(
        description="linked: by the platform's campaign id an earlier import linked; code: a campaign whose code is "
                    "the platform's campaign name or id; name: a campaign of the same name; created: made for it")
    amount: str
    currency: str
    starts_on: dt.date
    ends_on: dt.date
    cost_id: int
    replaced: SpendReplaced | None = Field(description="set when this replaced an earlier import's figure")


class SpendSkipRead(BaseModel):
    row: int
    campaign: str
    reason: str


class SpendRejectRead(BaseModel):
    row: int
    campaign: str | None
    reason: str


class SpendImportRead(BaseModel):
    id: int
    filename: str
    platform: str | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    actor: str
    created_at: dt.datetime
    size_bytes: int
    costs: int
    skipped: int
    rejects: int
    totals: dict[str, str]
    error: str | None = Field(description="why the file could not be read, when it could not")

    @classmethod
    def of(cls, record, size: int, **more):
        summary = record.summary or {}
        return cls(id=record.id, filename=record.filename, platform=record.platform, starts_on=record.starts_on,
                   ends_on=record.ends_on, actor=record.actor, created_at=record.created_at, size_bytes=size,
                   costs=len(summary.get("rows", [])), skipped=len(summary.get("skipped", [])),
                   rejects=len(summary.get("rejects", [])), totals=summary.get("totals", {}),
                   error=summary.get("error"), **more)


class SpendImportDetail(SpendImportRead):
    columns: dict[str, str] = Field(description="each column read: campaign, campaign_id, amount, currency, date, "
                                                "start, end; and the file's header it was read from")
    rows: list[SpendCostRead]
    skipped_rows: list[SpendSkipRead]
    rejected_rows: list[SpendRejectRead]

    @classmethod
    def of(cls, record, size: int, **more):
        summary = record.summary or {}
        return super().of(record, size, columns=summary.get("columns", {}), rows=summary.get("rows", []),
                          skipped_rows=summary.get("skipped", []), rejected_rows=summary.get("rejects", []), **more)


class SpendImportPage(BaseModel):
    items: list[SpendImportRead]
    next_cursor: str | None
