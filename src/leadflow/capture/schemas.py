"""A lead as a client submits it, and captures as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadflow.capture.domain import ATTRIBUTION_FIELDS, LEAD_FIELDS, Submission

Text = str | int | float


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=1, max_length=100)
    granted: bool = True
    text: str | None = Field(default=None, max_length=10_000)


class LeadCreate(BaseModel):
    """A lead submitted to the API; attribution fields are named as in a URL."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: Text | None = None
    mobile: Text | None = None
    job_title: str | None = None
    company: str | None = None
    street: str | None = None
    postal_code: Text | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    language: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    consents: list[ConsentIn] = Field(default_factory=list, max_length=50)
    do_not_contact: bool | None = None
    campaign: str | None = Field(default=None, description="a campaign code; created when new")
    external_id: str | None = Field(default=None, max_length=300)
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    gclid: str | None = None
    fbclid: str | None = None
    msclkid: str | None = None
    referrer: str | None = None
    landing_page: str | None = None

    def to_submission(self) -> Submission:
        from leadflow.capture.domain import attribution_from

        data = self.model_dump()
        return Submission(
            fields={name: data[name] for name in LEAD_FIELDS},
            custom_fields=data["custom_fields"],
            attribution=attribution_from({name: data[name] for name in ATTRIBUTION_FIELDS}),
            consents=data["consents"], campaign=self.campaign, external_id=self.external_id,
            do_not_contact=self.do_not_contact,
        )


class LeadBatch(BaseModel):
    leads: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class BatchItem(BaseModel):
    index: int
    status: int
    outcome: str
    capture_id: int
    lead_id: int | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class BatchResult(BaseModel):
    created: int
    merged: int
    rejected: int
    items: list[BatchItem]


class CaptureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    received_at: datetime
    content_type: str | None
    external_id: str | None
    client: str | None
    campaign_id: int | None
    attribution: dict[str, Any]
    outcome: str = Field(description="created, merged, rejected, pending (processed again by the worker at "
                                      "retry_at, or a Meta lead awaiting its fields) or failed (after the last retry)")
    reasons: list[dict[str, Any]]
    lead_id: int | None
    form_id: int | None
    import_id: int | None
    attempts: int = 0
    retry_at: datetime | None = None


class CaptureDetail(CaptureRead):
    payload: str


class CapturePage(BaseModel):
    items: list[CaptureRead]
    next_cursor: str | None
