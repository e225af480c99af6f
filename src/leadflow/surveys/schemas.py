"""Surveys as the JSON API takes and shows them; the rules for questions live in surveys/domain.py."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from leadflow.inputs import Input

Kind = Literal["single", "multiple", "text", "number"]


class OptionIn(Input):
    value: str = Field(min_length=1, max_length=100, description="what is stored: for a BANT question a BANT value "
                       "(need: high, medium, low, none; timeline: 1m, 3m, 6m, 12m, later, none; ...)")
    label: str | None = Field(default=None, max_length=300, description="what the lead reads; the value when absent")


class QuestionIn(Input):
    key: str = Field(min_length=1, max_length=40, description="the answer's name: a-z, 0-9, _ (next_step is the "
                     "well-known 'what next' question: quote, meeting, call, nothing)")
    label: str = Field(min_length=1, max_length=300, description="the question as the lead reads it")
    kind: Kind
    options: list[OptionIn] = Field(default_factory=list, max_length=50)
    maps_to: str | None = Field(default=None, max_length=60, description="bant.budget | bant.authority | bant.need "
                                "| bant.timeline | a lead field (job_title, phone, company, ...) | custom.NAME")
    required: bool = False
    help: str | None = Field(default=None, max_length=300)


class SurveyCreate(Input):
    key: str = Field(min_length=1, max_length=80, description="a slug, e.g. brochure-followup")
    name: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=300, description="the page's heading; the name when absent")
    intro: str = Field(default="", max_length=4000)
    thanks: str = Field(default="", max_length=4000, description="shown after the answers are sent")
    questions: list[QuestionIn] = Field(min_length=1, max_length=30)
    active: bool = True


class SurveyUpdate(Input):
    """Every field given replaces the stored one; new questions make a new version."""

    key: str = Field(default=None, min_length=1, max_length=80)
    name: str = Field(default=None, min_length=1, max_length=200)
    title: str = Field(default=None, min_length=1, max_length=300)
    intro: str = Field(default=None, max_length=4000)
    thanks: str = Field(default=None, max_length=4000)
    questions: list[QuestionIn] = Field(default=None, min_length=1, max_length=30)
    active: bool = None


class SurveyRead(BaseModel):
    id: int
    key: str
    name: str
    title: str
    intro: str
    thanks: str
    questions: list[dict]
    version: int
    active: bool
    responses: int
    created_at: datetime
    updated_at: datetime


class ResponseRead(BaseModel):
    id: int
    lead_id: int
    message_id: int | None
    survey_version: int
    answers: dict
    times: int = Field(description="how many times the lead sent it (answering again updates it)")
    first_submitted_at: datetime
    submitted_at: datetime
    lead_name: str | None
    lead_email: str | None


class ResponsePage(BaseModel):
    items: list[ResponseRead]
    next_before: int | None = Field(description="pass as ?before= for the next (older) page")


class LinkRequest(Input):
    lead_id: int = Field(ge=1)
    message_id: int | None = Field(default=None, ge=1, description="the email message carrying the link, if any")


class LinkRead(BaseModel):
    url: str
    survey_id: int
    lead_id: int
    message_id: int | None


def values_given(body: BaseModel) -> dict:
    """The fields a client gave, each question without the keys it left empty (but `maps_to`, which may be
    cleared): what a survey's or a call script's service takes."""
    values = body.model_dump(exclude_unset=True)
    if values.get("questions") is not None:
        values["questions"] = [{k: v for k, v in q.items() if v is not None or k == "maps_to"}
                               for q in values["questions"]]
    return values
