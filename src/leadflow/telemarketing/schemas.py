"""Call lists, claims, calls and call scripts as the JSON API takes and shows them (the rules live in calling.py,
service.py and scripts.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from leadflow.inputs import Id, Input
from leadflow.surveys.schemas import QuestionIn

Source = Literal["manual", "segment", "condition", "journey", "import"]
Outcome = Literal["no_answer", "busy", "call_back", "wrong_number", "not_interested", "qualified", "do_not_call"]


class Targets(Input):
    """Per agent and calling day; minutes_per_call is the most a call should take."""

    calls: float | None = Field(default=None, ge=0, le=100_000)
    reached: float | None = Field(default=None, ge=0, le=100_000)
    qualified: float | None = Field(default=None, ge=0, le=100_000)
    minutes_per_call: float | None = Field(default=None, ge=0, le=100_000)


class ListFields(Input):
    owner_id: Id | None = Field(default=None, description="who runs the list (default: you)")
    team_id: Id | None = Field(default=None, description="the team of agents who call it: they all see its leads")
    source: Source = Field(default="manual", description="where its leads come from; segment, condition and import "
                           "lists are filled by the worker a chunk at a time")
    segment_id: Id | None = None
    condition: str | None = Field(default=None, max_length=4000,
                                  description="in the condition language, e.g. band == \"hot\" and country == \"FI\"")
    import_id: Id | None = None
    live: bool = Field(default=False, description="a segment list: leads that come into the segment join it")
    script_id: Id | None = Field(default=None, description="the script; else the lead's campaign's script")
    campaign_id: Id | None = None
    hours_from: int = Field(default=9 * 60, ge=0, le=24 * 60 - 1, description="local calling hours start, minutes "
                            "after midnight in the lead's time zone (540 = 09:00)")
    hours_to: int = Field(default=18 * 60, ge=1, le=24 * 60)
    days: str = Field(default="12345", min_length=1, max_length=7, description="ISO weekdays called, 1 = Monday")
    default_zone: str = Field(default="UTC", max_length=64, description="the zone of a lead whose number and "
                              "country tell none")
    claim_minutes: int = Field(default=15, ge=1, le=240, description="how long a claim holds without renewal")
    retry_minutes: int = Field(default=120, ge=5, le=7 * 24 * 60, description="no answer: tried again after")
    max_attempts: int = Field(default=5, ge=1, le=50)
    targets: Targets = Field(default_factory=Targets)
    status: Literal["active", "paused"] = "active"


class ListCreate(ListFields):
    name: str = Field(min_length=1, max_length=200)


class ListUpdate(Input):
    """Every field given replaces the stored one; a new source refills the list."""

    name: str = Field(default=None, min_length=1, max_length=200)
    owner_id: Id = None
    team_id: Id | None = None
    source: Source = None
    segment_id: Id | None = None
    condition: str | None = Field(default=None, max_length=4000)
    import_id: Id | None = None
    live: bool = None
    script_id: Id | None = None
    campaign_id: Id | None = None
    hours_from: int = Field(default=None, ge=0, le=24 * 60 - 1)
    hours_to: int = Field(default=None, ge=1, le=24 * 60)
    days: str = Field(default=None, min_length=1, max_length=7)
    default_zone: str = Field(default=None, max_length=64)
    claim_minutes: int = Field(default=None, ge=1, le=240)
    retry_minutes: int = Field(default=None, ge=5, le=7 * 24 * 60)
    max_attempts: int = Field(default=None, ge=1, le=50)
    targets: Targets = None
    status: Literal["active", "paused"] = None


class QueueCounts(BaseModel):
    waiting: int
    due: int
    held: int
    done: int
    callbacks: int


class ListRead(BaseModel):
    id: int
    name: str
    owner_id: int
    owner: str
    team_id: int | None
    source: str
    segment_id: int | None
    condition: str | None
    import_id: int | None
    live: bool
    script_id: int | None
    campaign_id: int | None
    hours_from: int
    hours_to: int
    days: str
    default_zone: str
    zones: list[str]
    claim_minutes: int
    retry_minutes: int
    max_attempts: int
    targets: dict
    status: str
    built: bool
    added: int
    skipped: dict
    counts: QueueCounts
    created_at: datetime


class LeadsAdd(Input):
    lead_ids: list[Id] = Field(min_length=1, max_length=10_000)


class AddedRead(BaseModel):
    added: int
    reopened: int
    skipped: dict[str, int]
    not_added: dict[str, str] = Field(description="lead id -> why it was not added")


class EntryRead(BaseModel):
    call_list_id: int
    lead_id: int
    state: str
    tier: int
    zone: str
    due_at: datetime | None
    callback_user_id: int | None
    claimed_by: int | None
    claimed_until: datetime | None
    attempts: int
    last_outcome: str | None
    why: str | None
    added_at: datetime
    done_at: datetime | None


class ClaimLead(BaseModel):
    id: int
    name: str
    phone: str | None
    mobile: str | None
    company: str | None
    country: str | None
    score: int | None
    band: str | None
    stage: str


class ClaimRead(BaseModel):
    """The lead held for the agent, or none with the reason and when somebody will be callable."""

    claimed: bool
    entry: EntryRead | None = None
    lead: ClaimLead | None = None
    again: bool = False
    script_id: int | None = None
    script_version: int | None = None
    reason: str | None = None
    next_at: datetime | None = None


class CallCreate(Input):
    lead_id: Id
    outcome: Outcome
    callback_at: datetime | None = Field(default=None, description="call_back: when, with its time zone")
    answers: dict[str, str | int | float | bool | list[str] | None] = Field(
        default_factory=dict, description="the script's answers by question key")
    note: str = Field(default="", max_length=5000)
    seconds: int | None = Field(default=None, ge=0, le=24 * 3600, description="how long the call took (a "
                                "dialler knows; else from the claim to now)")
    started_at: datetime | None = None
    key: str | None = Field(default=None, min_length=1, max_length=200,
                            description="the dialler's own id of the call: reported twice, recorded once")


class CallRead(BaseModel):
    id: int
    call_list_id: int | None
    lead_id: int
    user_id: int | None
    outcome: str
    reached: bool
    started_at: datetime
    ended_at: datetime
    seconds: int
    callback_at: datetime | None
    script_id: int | None
    script_version: int | None
    answers: dict
    note: str
    next_step: str
    contact_id: int | None
    key: str | None


class CallResult(BaseModel):
    call: CallRead
    done: bool = Field(description="the lead is done with the list")
    next_step: str
    did: list[str]
    again: bool = Field(description="the same call (key) reported again: nothing new was done")


class ThroughputRow(BaseModel):
    call_list_id: int | None
    list: str
    user_id: int | None
    agent: str
    calls: int
    reached: int
    qualified: int
    reach_rate: float | None
    minutes_per_call: float | None
    days: int
    calls_per_day: float
    reached_per_day: float
    qualified_per_day: float
    against_targets: dict


class ScriptCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    intro: str = Field(default="", max_length=5000, description="what the agent says first")
    questions: list[QuestionIn] = Field(min_length=1, max_length=30)
    campaign_id: Id | None = Field(default=None, description="calls to this campaign's leads use this script")
    active: bool = True


class ScriptUpdate(Input):
    name: str = Field(default=None, min_length=1, max_length=200)
    intro: str = Field(default=None, max_length=5000)
    questions: list[QuestionIn] = Field(default=None, min_length=1, max_length=30)
    campaign_id: Id | None = None
    active: bool = None


class ScriptRead(BaseModel):
    id: int
    name: str
    intro: str
    questions: list[dict]
    version: int
    campaign_id: int | None
    active: bool
    created_at: datetime
    updated_at: datetime
