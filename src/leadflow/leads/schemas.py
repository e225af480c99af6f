"""Leads, companies and the timeline as the JSON API shows and takes them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from leadflow.inputs import Id, Input

Stage = Literal["new", "mql", "sql", "opportunity", "customer", "nurture", "disqualified", "recycled"]


class LeadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    mobile: str | None
    job_title: str | None
    company: str | None
    company_id: int | None
    street: str | None
    postal_code: str | None
    city: str | None
    region: str | None
    country: str | None
    language: str | None
    custom_fields: dict[str, Any]
    stage: str
    owner: int | None = Field(validation_alias="owner_id")
    owner_email: str | None = None  # the owner by email as well as by id
    queue: str | None = None  # the routing queue the lead waits in, when nobody could take it
    assigned_at: datetime | None = None  # when the current owner got the lead
    do_not_contact: bool
    channel: str | None
    campaign_id: int | None
    first_touch: dict[str, Any]
    last_touch: dict[str, Any]
    manual_fields: list[str]
    # Every other email and phone the person was captured or merged with (still matched on; never sent to).
    other_emails: list[str] = Field(default_factory=list)
    other_phones: list[str] = Field(default_factory=list)
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime
    # Kept by scoring: round(fit + decayed behaviour points), grade A-D from fit, band hot/warm/cold, and why.
    score: int | None = None
    grade: str | None = None
    band: str | None = None
    score_explanation: list[dict[str, Any]] | None = None
    interests: dict[str, float] | None = None
    predicted_probability: float | None = None  # kept by predictive scoring (`leadflow predict train`)


class LeadUpdate(Input):
    """A person's edit: every field given is set and marked as edited by hand; null clears a text field or the owner."""

    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    mobile: str | None = Field(default=None, max_length=64)
    job_title: str | None = Field(default=None, max_length=300)
    company: str | None = Field(default=None, max_length=300)
    street: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=16)
    custom_fields: dict[str, Any] = Field(default=None, description="merged key by key; a key set to null is removed")
    stage: Stage = None
    owner: Id | None = None
    do_not_contact: bool = None
    # The whole list (empty clears it): an address left out is no longer this lead's (a person's correction).
    other_emails: list[Annotated[str, Field(max_length=320)]] = Field(default=None, max_length=50)
    other_phones: list[Annotated[str, Field(max_length=64)]] = Field(default=None, max_length=50)


class LeadPage(BaseModel):
    items: list[LeadRead]
    next_cursor: str | None


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    occurred_at: datetime
    actor: str
    summary: str
    data: dict[str, Any]
    capture_id: int | None


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    purpose: str
    granted: bool
    recorded_at: datetime
    text: str | None
    capture_id: int | None


class NoteCreate(Input):
    text: str = Field(min_length=1, max_length=20_000)


class CompanyCreate(Input):
    name: str = Field(min_length=1, max_length=300)
    domain: str | None = Field(default=None, max_length=253)
    industry: str | None = Field(default=None, max_length=200)
    employees: int | None = Field(default=None, ge=0)
    revenue: Decimal | None = Field(default=None, ge=0)
    currency: str = Field(default="EUR", pattern=r"^[A-Za-z]{3}$")
    country: str | None = Field(default=None, max_length=100)
    street: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    parent_id: Id | None = None


class CompanyUpdate(CompanyCreate):
    name: str = Field(default=None, min_length=1, max_length=300)
    currency: str = Field(default=None, pattern=r"^[A-Za-z]{3}$")


class CompanyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    domain: str | None
    industry: str | None
    employees: int | None
    revenue: Decimal | None
    currency: str
    country: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    region: str | None
    parent_id: int | None
    created_at: datetime
    updated_at: datetime

    @field_serializer("revenue")
    def _money(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)


class CompanyNode(CompanyRead):
    depth: int


class CompanyPage(BaseModel):
    items: list[CompanyRead]
    next_cursor: str | None


class CompanySuggestion(BaseModel):
    company: CompanyRead
    reason: str
