"""Hosted form definitions as the JSON API takes and shows them; the rules live in capture/forms.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from leadflow.inputs import Id, Input

FieldType = Literal["text", "email", "tel", "textarea", "select", "checkbox", "hidden"]
Texts = dict[Annotated[str, Field(max_length=20)], Annotated[str, Field(max_length=10_000)]]


class OptionIn(Input):
    value: str = Field(min_length=1, max_length=200)
    label: Texts = Field(default_factory=dict, description="per language; the value when absent")


class FieldIn(Input):
    maps_to: str = Field(min_length=1, max_length=120, description="a lead field (email, first_name, company, ...)"
                         " or custom_fields.<name>")
    type: FieldType | None = Field(default=None, description="email for email, tel for phone/mobile, else text")
    required: bool = False
    label: Texts = Field(default_factory=dict, description="per language, e.g. {\"en\": \"Email\"}")
    help: Texts = Field(default_factory=dict)
    options: list[OptionIn] = Field(default_factory=list, max_length=200)
    value: str | None = Field(default=None, max_length=2000, description="the fixed value of a hidden field")


class ConsentIn(Input):
    purpose: str = Field(min_length=1, max_length=100)
    text: Texts = Field(description="the exact text beside the checkbox, per language")
    required: bool = False


class FormCreate(Input):
    name: str = Field(min_length=1, max_length=300)
    slug: str | None = Field(default=None, max_length=100, description="the /f/{slug} address; from the name when"
                             " absent")
    default_language: str = Field(default="en", max_length=20)
    languages: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list, max_length=30,
                                                                  description="other languages")
    title: Texts = Field(default_factory=dict)
    submit_label: Texts = Field(default_factory=dict)
    fields: list[FieldIn] = Field(min_length=1, max_length=100)
    consents: list[ConsentIn] = Field(default_factory=list, max_length=20)
    honeypot: str = Field(default="website_url", max_length=64)
    thank_you: Texts = Field(default_factory=dict)
    redirect_url: str | None = Field(default=None, max_length=2000)
    campaign_id: Id | None = None
    campaign: str | None = Field(default=None, max_length=200, description="a campaign code, instead of its id")
    allowed_origins: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=50)
    active: bool = True


class FormUpdate(Input):
    """Every field given replaces the stored one (null clears the redirect or the campaign); the whole definition is
    checked again."""

    name: str = Field(default=None, min_length=1, max_length=300)
    slug: str = Field(default=None, min_length=1, max_length=100)
    default_language: str = Field(default=None, max_length=20)
    languages: list[Annotated[str, Field(max_length=20)]] = Field(default=None, max_length=30)
    title: Texts = None
    submit_label: Texts = None
    fields: list[FieldIn] = Field(default=None, min_length=1, max_length=100)
    consents: list[ConsentIn] = Field(default=None, max_length=20)
    honeypot: str = Field(default=None, max_length=64)
    thank_you: Texts = None
    redirect_url: str | None = Field(default=None, max_length=2000)
    campaign_id: Id | None = None
    campaign: str | None = Field(default=None, max_length=200)
    allowed_origins: list[Annotated[str, Field(max_length=300)]] = Field(default=None, max_length=50)
    active: bool = None


class FormRead(BaseModel):
    id: int
    slug: str
    name: str
    active: bool
    default_language: str
    languages: list[str]
    title: dict[str, str]
    submit_label: dict[str, str]
    fields: list[dict]
    consents: list[dict]
    honeypot: str
    thank_you: dict[str, str]
    redirect_url: str | None
    campaign_id: int | None
    allowed_origins: list[str]
    page_url: str
    embed_code: str = Field(description="paste into any page of an allowed origin")
    created_at: datetime
    updated_at: datetime


class FormPage(BaseModel):
    items: list[FormRead]
    next_cursor: str | None
