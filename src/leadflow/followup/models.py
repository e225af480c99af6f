"""Follow-up's tables: the follow-up policies (due times), one follow-up per hand-over with its timers, the sales
contacts logged against a lead (calls, emails, meetings, visits with their outcomes), tasks, recycles, and the
scorecard's norms."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class FollowupPolicy(Base):
    """How long a salesperson has to follow up a lead handed to them, and what happens around the due time. Tried in
    `position` order; the first whose condition (`when`, the one condition language) holds applies; none: the
    built-in default (24 hours on the owner's working days)."""

    __tablename__ = "followup_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    when: Mapped[str] = mapped_column(Text, default="")  # a condition; empty: every lead
    hours: Mapped[int] = mapped_column(Integer, default=24)
    clock: Mapped[str] = mapped_column(String(16), default="working_days")  # working_days, working_hours, calendar
    remind_before_minutes: Mapped[int | None] = mapped_column(Integer, default=120)  # None: no reminder
    escalate: Mapped[bool] = mapped_column(Boolean, default=True)  # tell the owner's manager at the due time
    reassign_after_hours: Mapped[int | None] = mapped_column(Integer)  # None: never reassigned
    task_kind: Mapped[str | None] = mapped_column(String(20))  # a task made at the hand-over ("call"), due with it
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="system")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Followup(Base):
    """One hand-over of a lead to a salesperson and whether they followed it up in time: its due time (from the
    policy, in the owner's working time), its timers (the next one in `next_at`, claimed by the worker), and the
    first contact that closed it. Copies what the scorecard groups by (team, source, campaign) as of the hand-over."""

    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_next_at", "next_at", postgresql_where=text("next_at IS NOT NULL"),
              sqlite_where=text("next_at IS NOT NULL")),
        Index("ix_followups_lead_id_status", "lead_id", "status"),
        Index("ix_followups_owner_id_handed_at", "owner_id", "handed_at"),
        Index("ix_followups_handed_at", "handed_at"),
        Index("ix_followups_owner_open_due", "owner_id", "due_at", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(Integer)  # the owner's team at the hand-over
    assignment_id: Mapped[int | None] = mapped_column(BigId)  # routing's assignment that handed it over
    source: Mapped[str | None] = mapped_column(String(200))  # the lead's source at the hand-over
    campaign_id: Mapped[int | None] = mapped_column(Integer)  # the lead's campaign at the hand-over
    policy_id: Mapped[int | None] = mapped_column(Integer)
    policy: Mapped[dict] = mapped_column(JSON, default=dict)  # the policy as applied: name, hours, clock, ...
    handed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, followed_up, reassigned, closed
    first_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contact_id: Mapped[int | None] = mapped_column(BigId)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(40))  # reassigned, stage, merged, ...
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reassign_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reassigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the next timer (remind, due, reassign); None: none
    next_step: Mapped[str | None] = mapped_column(String(16))  # remind, escalate, reassign


class Contact(Base):
    """A contact attempt a salesperson logged: a call, email, meeting or visit with its outcome (sales feedback).
    The owner's first one follows the lead up."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_lead_id_occurred_at", "lead_id", "occurred_at"),
                      Index("ix_contacts_user_id_occurred_at", "user_id", "occurred_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # call, email, meeting, visit
    outcome: Mapped[str] = mapped_column(String(32))  # reached, no_answer, call_back, meeting_booked, ...
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # the next step it set, a call-back time, ...
    actor: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Task(Base):
    """Something a salesperson is to do for a lead by a time: call, email, visit, send a quote, made by hand, by a
    policy at the hand-over, by a contact's outcome, or by a recycled lead coming back."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_owner_id_status_due_at", "owner_id", "status", "due_at"),
                      Index("ix_tasks_lead_id_status", "lead_id", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # call, email, meeting, visit, send_quote, other
    title: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, done, canceled
    origin: Mapped[str] = mapped_column(String(16), default="manual")  # manual, policy, outcome, recycle
    contact_id: Mapped[int | None] = mapped_column(BigId)  # the contact whose outcome made it
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_by: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Recycle(Base):
    """A lead sales handed back to marketing: why, and the day it comes back to the inbox (a durable timer)."""

    __tablename__ = "recycles"
    __table_args__ = (Index("ix_recycles_lead_id", "lead_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(40))  # a key of the managed list (pipeline's close reasons, recycle)
    note: Mapped[str] = mapped_column(Text, default="")
    revisit_on: Mapped[date] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # who handed it back
    recycled_by: Mapped[str] = mapped_column(String(200), default="system")
    recycled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when it came back to the inbox


class ScorecardNorm(Base):
    """A norm the admin set for a scorecard figure (followed_up_pct >= 80, overdue_pct <= 10, ...)."""

    __tablename__ = "scorecard_norms"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))  # for money norms (average order value)
    updated_by: Mapped[str] = mapped_column(String(200), default="system")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
