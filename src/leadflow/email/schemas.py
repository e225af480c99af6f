"""Email's JSON input and output."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from leadflow.inputs import Id


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=300)
    preheader: str = Field(default="", max_length=300)
    body_mjml: str = Field(min_length=1, max_length=200_000)
    purpose: str = Field(default="marketing", min_length=1, max_length=100)


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    subject: str | None = Field(default=None, min_length=1, max_length=300)
    preheader: str | None = Field(default=None, max_length=300)
    body_mjml: str | None = Field(default=None, min_length=1, max_length=200_000)
    purpose: str | None = Field(default=None, min_length=1, max_length=100)


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    subject: str
    preheader: str
    body_mjml: str
    purpose: str
    version: int
    created_at: datetime
    updated_at: datetime


class TestSend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=3, max_length=320)


class MessageIn(BaseModel):
    """One message to one lead (a key makes a retry queue nothing twice; one is made from the lead and template)."""

    model_config = ConfigDict(extra="forbid")
    lead_id: Id = Field(gt=0)
    template_id: Id = Field(gt=0)
    key: str | None = Field(default=None, min_length=1, max_length=200)
    send_after: datetime | None = None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    key: str
    lead_id: int
    template_id: int
    template_version: int | None
    purpose: str | None
    to_address: str | None
    subject: str | None
    journey_run_id: int | None
    journey_step: str | None
    send_id: int | None
    variant: str | None
    status: str
    reason: str | None
    queued_at: datetime
    send_after: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    bounced_at: datetime | None
    bounce_kind: str | None
    attempts: int


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_name: str | None = Field(default=None, max_length=200)
    from_address: str | None = Field(default=None, max_length=320)
    reply_to: str | None = Field(default=None, max_length=320)
    quiet_start: int | None = Field(default=None, ge=0, le=1439, description="minutes after midnight, local time")
    quiet_end: int | None = Field(default=None, ge=0, le=1439)
    time_zone: str | None = Field(default=None, max_length=64)
    cap_messages: int | None = Field(default=None, ge=1, le=1_000_000)
    cap_days: int | None = Field(default=None, ge=1, le=365)
    default_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    bounce_imap_host: str | None = Field(default=None, max_length=300)
    bounce_imap_user: str | None = Field(default=None, max_length=300)
    bounce_imap_folder: str | None = Field(default=None, max_length=200)


class DomainLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_minute: int = Field(ge=1, le=1_000_000)


class SuppressionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(min_length=3, max_length=320)
    detail: str | None = Field(default=None, max_length=2000)
