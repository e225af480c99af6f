"""The telemarketing stage's tables: how each call list is fed, called and measured (its plan), the leads waiting
on it with their place in the queue and who holds them (entries), every call made with its outcome, and the call
scripts with each version of their questions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class CallScript(Base):
    """What an agent asks on a call, as questions in the surveys' shape (each may fill a BANT criterion, a lead field
    or a custom field). A change to the questions makes a new `version`; each call keeps the one it used. A script
    may belong to a campaign: a list without its own script uses the script of the lead's campaign."""

    __tablename__ = "call_scripts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    intro: Mapped[str] = mapped_column(Text, default="")  # what the agent says first
    questions: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class CallScriptVersion(Base):
    __tablename__ = "call_script_versions"
    __table_args__ = (UniqueConstraint("script_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("call_scripts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    intro: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class CallPlan(Base):
    """How one call list (people's `call_lists`: its name, owner and team) is fed, called and measured."""

    __tablename__ = "call_list_plans"

    call_list_id: Mapped[int] = mapped_column(ForeignKey("call_lists.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual, segment, condition, journey, import
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"), index=True)
    condition: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"))
    live: Mapped[bool] = mapped_column(Boolean, default=False)  # keep adding the source's new leads
    script_id: Mapped[int | None] = mapped_column(ForeignKey("call_scripts.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    # Local calling hours (minutes after midnight in the lead's time zone) and days (ISO weekdays, "12345").
    hours_from: Mapped[int] = mapped_column(Integer, default=9 * 60)
    hours_to: Mapped[int] = mapped_column(Integer, default=18 * 60)
    days: Mapped[str] = mapped_column(String(7), default="12345")
    default_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # for a lead whose zone is unknown
    zones: Mapped[list] = mapped_column(JSON, default=list)  # the time zones of the leads added so far
    claim_minutes: Mapped[int] = mapped_column(Integer, default=15)
    retry_minutes: Mapped[int] = mapped_column(Integer, default=120)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    targets: Mapped[dict] = mapped_column(JSON, default=dict)  # per agent and day: calls, reached, qualified, minutes
    status: Mapped[str] = mapped_column(String(10), default="active")  # active, paused
    build_run: Mapped[int] = mapped_column(Integer, default=0)  # the pass that fills it from its source
    built_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    added_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[dict] = mapped_column(JSON, default=dict)  # why leads of the source were not added: counts
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class CallEntry(Base):
    """A lead waiting on a list (or done with it), its place in the queue and who holds it now.

    The queue's order is (tier, rank, lead_id): tier 0 holds the call-backs and tier 1 the retries, each ranked by
    the minute they fall due; tiers 2-5 the fresh leads by band (hot, warm, cold, none), ranked by score, highest
    first. An agent claims the first waiting entry that is due, in calling hours and held by nobody
    (FOR UPDATE SKIP LOCKED); the claim lapses at `claimed_until` unless renewed."""

    __tablename__ = "call_list_entries"
    __table_args__ = (
        Index("ix_call_list_entries_queue", "call_list_id", "state", "tier", "rank", "lead_id"),
        Index("ix_call_list_entries_claimed_by", "claimed_by"),
    )

    call_list_id: Mapped[int] = mapped_column(ForeignKey("call_lists.id", ondelete="CASCADE"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True, index=True)
    state: Mapped[str] = mapped_column(String(8), default="waiting")  # waiting, done
    tier: Mapped[int] = mapped_column(SmallInteger, default=5)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    zone: Mapped[str] = mapped_column(String(64), default="UTC")
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    callback_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    why: Mapped[str | None] = mapped_column(String(300))  # how it was added, or why it is done
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Call(Base):
    """One call an agent made (or a dialler reported): its outcome, how long it took, the script version and the
    answers given, and the contact it logged on the lead's history."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_call_list_id_ended_at", "call_list_id", "ended_at"),
                      Index("ix_calls_user_id_ended_at", "user_id", "ended_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_list_id: Mapped[int | None] = mapped_column(ForeignKey("call_lists.id", ondelete="SET NULL"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(20))
    reached: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    callback_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    script_id: Mapped[int | None] = mapped_column(ForeignKey("call_scripts.id", ondelete="SET NULL"))
    script_version: Mapped[int | None] = mapped_column(Integer)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(String(300), default="")  # what the outcome did, in words
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    key: Mapped[str | None] = mapped_column(String(200), unique=True)  # a dialler's own id of the call
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
