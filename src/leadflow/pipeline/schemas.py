"""The pipeline's JSON: opportunities (money as strings), quotes, competitors, the weighted pipeline, the managed
lists."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from leadflow.inputs import Id, Input

Amount = str | int | float  # checked by the pipeline's rules (0 or more, two decimals): 422 names the field


class OpportunityCreate(Input):
    """For a lead (`lead_id`) or a company (`company_id`); the owner is the lead's unless given, else the creator."""

    lead_id: Id | None = None
    company_id: Id | None = None
    name: str = Field(max_length=300)
    value: Amount
    currency: str = Field(default="EUR", max_length=3)
    expected_close: date | None = None
    stage: str | None = Field(default=None, max_length=40)
    probability: int | None = None
    owner_id: Id | None = None


class OpportunityUpdate(Input):
    """The fields to change; `probability: null` goes back to the stage's default; `stage` moves it (a won or lost
    stage needs `reason`)."""

    name: str = Field(default=None, max_length=300)
    value: Amount = None
    currency: str = Field(default=None, max_length=3)
    expected_close: date | None = None
    stage: str = Field(default=None, max_length=40)
    probability: int | None = None
    owner_id: Id = None
    reason: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=5000)


class CloseCreate(Input):
    reason: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=5000)


class ReopenCreate(Input):
    stage: str | None = Field(default=None, max_length=40)


class OpportunityRead(BaseModel):
    id: int
    name: str
    lead_id: int | None
    company_id: int | None
    lead: str | None
    company: str | None
    stage: str
    stage_label: str
    status: str
    value: str
    currency: str
    expected_close: date | None
    probability: int | None = Field(description="the rep's own probability; null: the stage's default applies")
    effective_probability: int
    probability_source: str = Field(description="won, lost, rep or stage")
    predicted_probability: float | None = Field(description="the model's, 0-1, shown beside; never used in weighting")
    weighted_value: str
    owner_id: int | None
    owner: str | None
    team_id: int | None
    team: str | None
    close_reason: str | None
    close_note: str | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class QuoteCreate(Input):
    opportunity_id: Id | None = None
    reference: str | None = Field(default=None, max_length=100)
    amount: Amount
    currency: str = Field(default="EUR", max_length=3)
    status: str = Field(default="draft", max_length=10)
    sent_on: date | None = None
    decided_on: date | None = None
    note: str | None = Field(default=None, max_length=5000)


class QuoteUpdate(Input):
    status: str = Field(max_length=10)
    sent_on: date | None = None
    decided_on: date | None = None


class QuoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    opportunity_id: int | None
    reference: str | None
    amount: str
    currency: str
    status: str
    sent_on: date | None
    decided_on: date | None
    note: str
    created_by: str
    created_at: datetime
    updated_at: datetime


class CompetitorCreate(Input):
    """A competitor in play for the lead: one from the list (`competitor_id`) or by name (made when new)."""

    competitor_id: Id | None = None
    name: str | None = Field(default=None, max_length=200)
    opportunity_id: Id | None = None
    note: str | None = Field(default=None, max_length=2000)


class CompetitorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    active: bool


class MentionRead(BaseModel):
    id: int
    lead_id: int
    competitor_id: int
    competitor: str
    opportunity_id: int | None
    note: str
    actor: str
    created_at: datetime


class StageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    label: str
    probability: int
    position: int
    outcome: str
    active: bool


class ReasonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    key: str
    label: str
    active: bool


class ForecastLineRead(BaseModel):
    group: str
    key: str | int | None
    label: str
    currency: str
    count: int
    value: str
    weighted: str
    won: str


class ForecastRead(BaseModel):
    group: str
    lines: list[ForecastLineRead]
    totals: list[ForecastLineRead] = Field(description="per currency; never summed across currencies")


class AccuracyLineRead(BaseModel):
    owner_id: int | None = Field(description="when grouped by owner (null: nobody owned them)")
    owner: str | None
    currency: str
    forecast: str | None = Field(description="null: no forecast was recorded before the month")
    actual: str
    difference: str | None = Field(description="actual - forecast")
    error_percent: str | None = Field(description="(actual - forecast) / forecast x 100; null without a forecast "
                                                  "above zero")


class AccuracyMonthRead(BaseModel):
    month: str
    snapshot_on: date | None = Field(description="the day of the snapshot used as the month's forecast")
    forecast_recorded: bool
    note: str | None
    lines: list[AccuracyLineRead]


class AccuracySummaryRead(BaseModel):
    owner_id: int | None
    owner: str | None
    currency: str
    months: int = Field(description="the months with a forecast above zero in this currency")
    mape: str | None = Field(description="mean absolute error, percent")
    bias: str | None = Field(description="mean signed error, percent (above zero: more won than forecast)")
    forecast: str
    actual: str


class AccuracyRead(BaseModel):
    months_asked: int
    lead_days: int
    group: str | None
    months: list[AccuracyMonthRead] = Field(description="oldest first")
    summaries: list[AccuracySummaryRead] = Field(description="per currency (and owner); never across currencies")
