"""A salesperson's day as JSON: contacts logged (with the next step their outcome set), tasks, recycling, my day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.inputs import Id, Input

ContactKind = Literal["call", "email", "meeting", "visit"]
TaskKind = Literal["call", "email", "meeting", "visit", "send_quote", "other"]


class NextTaskCreate(Input):
    """The next step the person chose instead of the one the outcome sets."""

    kind: TaskKind
    title: str = Field(min_length=1, max_length=300)
    due_at: datetime


class ContactCreate(Input):
    """A contact with the lead: its kind and outcome (the outcomes each kind allows: docs/sales-day.md), a note, when
    it happened (now when left out; never in the future), how long it took; `at` is the call-back's or the meeting's
    time. The outcome's next step becomes a task unless `next_task` replaces it or `no_next_step` is true."""

    kind: ContactKind = "call"
    outcome: str = Field(min_length=1, max_length=32)
    note: str = Field(default="", max_length=5000)
    occurred_at: datetime | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=1440)
    at: datetime | None = None
    next_task: NextTaskCreate | None = None
    no_next_step: bool = False


class NextStepRead(BaseModel):
    task_kind: str | None
    title: str | None
    due_at: datetime | None
    reason: str
    suggest: list[str]


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    owner_id: int | None
    kind: str
    title: str
    due_at: datetime
    status: str
    origin: str
    contact_id: int | None
    done_at: datetime | None
    done_by: str | None
    created_by: str
    created_at: datetime


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    user_id: int | None
    kind: str
    outcome: str
    note: str
    occurred_at: datetime
    duration_minutes: int | None
    data: dict
    actor: str
    created_at: datetime


class ContactLogged(ContactRead):
    next_step: NextStepRead
    task: TaskRead | None


class TaskCreate(Input):
    """A task for the lead; `owner_id`: the lead's owner when left out (a manager may pick a teammate)."""

    kind: TaskKind = "call"
    title: str = Field(min_length=1, max_length=300)
    due_at: datetime
    owner_id: Id | None = None


class TaskUpdate(Input):
    """`status: done` or `canceled` finishes an open task; `due_at` moves it."""

    status: Literal["done", "canceled"] | None = None
    due_at: datetime | None = None


class RecycleCreate(Input):
    """Hand the lead back to marketing: a reason of the managed list (GET /api/v1/recycle-reasons), a note and the
    day to look at it again (after today)."""

    reason: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=5000)
    revisit_on: date


class RecycleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    reason: str
    note: str
    revisit_on: date
    owner_id: int | None
    recycled_by: str
    recycled_at: datetime
    returned_at: datetime | None


class ReasonRead(BaseModel):
    key: str
    label: str


class DayLead(BaseModel):
    lead_id: int
    name: str
    company: str | None = None


class DayFollowup(BaseModel):
    lead_id: int
    name: str
    due_at: datetime
    overdue: bool


class MyDayRead(BaseModel):
    """The person's day, as /my-day shows it: new leads, follow-ups due (soonest first), tasks due today or overdue,
    call-backs (tasks made by a call-back) with their time."""

    user_id: int | None
    timezone: str
    new_leads: list[DayLead]
    followups: list[DayFollowup]
    tasks: list[TaskRead]
    call_backs: list[TaskRead]
