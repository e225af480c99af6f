"""Follow-up's JSON: policies (what `leadflow followup policies import` reads too), follow-ups and a lead's state."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.inputs import Input

Clock = Literal["working_days", "working_hours", "calendar"]
TaskKind = Literal["call", "email", "meeting", "visit", "send_quote", "other"]


class PolicyWrite(Input):
    """A policy: the first active one whose `when` holds for a lead handed over sets its follow-up (docs/followup.md).
    `position` places it (0: tried first); left out, a new policy goes last and an edited one stays where it is."""

    name: str = Field(max_length=200)
    when: str = Field(default="", max_length=2000)
    hours: int = 24
    clock: Clock = "working_days"
    remind_before_minutes: int | None = 120
    escalate: bool = True
    reassign_after_hours: int | None = None
    task_kind: TaskKind | None = None
    active: bool = True
    position: int | None = None


class PolicyMove(Input):
    position: int


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    name: str
    when: str
    hours: int
    clock: str
    remind_before_minutes: int | None
    escalate: bool
    reassign_after_hours: int | None
    task_kind: str | None
    active: bool
    updated_by: str
    updated_at: datetime


class FollowupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    owner_id: int | None
    team_id: int | None
    assignment_id: int | None
    source: str | None
    campaign_id: int | None
    policy_id: int | None
    policy: dict[str, Any]
    handed_at: datetime
    due_at: datetime
    status: str
    state: str = "none"  # due, overdue, followed_up or none, now
    first_contact_at: datetime | None
    contact_id: int | None
    closed_at: datetime | None
    close_reason: str | None
    remind_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    reassign_at: datetime | None
    reassigned_at: datetime | None
    next_at: datetime | None
    next_step: str | None


class StateRead(BaseModel):
    """A lead's follow-up now (`none`: never handed over, or its last follow-up was closed otherwise)."""

    lead_id: int
    status: Literal["due", "overdue", "followed_up", "none"]
    due_at: datetime | None = None
    overdue_minutes: int | None = None
    first_contact_at: datetime | None = None
    owner_id: int | None = None
    followup_id: int | None = None
    label: str = ""
