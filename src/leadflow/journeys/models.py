"""The journeys stage's tables: journeys and their versions (the definition JSON), the runs (a lead's pass through a
journey's version), the durable step rows the worker claims (each (run, step, visit) once), and the events a run
heard while it was active (what its waits and branches read)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime

STATUSES = ("draft", "live", "paused", "archived")
RUN_STATUSES = ("active", "done", "exited", "goal")


class Journey(Base):
    """A nurture journey: its name, whether it is live, and which version new runs start on (`live_version_id`);
    the editor's working copy is its newest unpublished version (the draft)."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, live, paused, archived
    live_version_id: Mapped[int | None] = mapped_column(BigId)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class JourneyVersion(Base):
    """One version of a journey's definition (docs/journeys.md). Published versions never change: runs finish on
    the version they started on."""

    __tablename__ = "journey_versions"
    __table_args__ = (UniqueConstraint("journey_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_by: Mapped[str | None] = mapped_column(String(200))


class JourneyRun(Base):
    """A lead's pass through a journey (on one version): where it is, how it ended and why, what brought it in.
    `number` counts the lead's entries into the journey (re-entry makes the next)."""

    __tablename__ = "journey_runs"
    __table_args__ = (UniqueConstraint("journey_id", "lead_id", "number"),
                      Index("ix_journey_runs_lead_id_status", "lead_id", "status"),
                      Index("ix_journey_runs_journey_id_status", "journey_id", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("journey_versions.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, done, exited, goal
    step_id: Mapped[str | None] = mapped_column(String(40))  # the step it is at (the last one when ended)
    visits: Mapped[dict | None] = mapped_column(JSON)  # step id -> visits, for steps on a loop only
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(300))
    entry: Mapped[str] = mapped_column(String(200), default="by hand")


class JourneyStep(Base):
    """A run's step, as a durable timer: due at `due_at` (a wait's end, a wait_until's timeout; now for the rest),
    waiting for `waits_for` (events that make it due at once), claimed by the worker's passes and done once:
    UNIQUE(run_id, step_id, visit) is each (lead, step) happening once. `outcome` says what it did or which way
    it went."""

    __tablename__ = "journey_steps"
    __table_args__ = (UniqueConstraint("run_id", "step_id", "visit"),
                      Index("ix_journey_steps_due", "due_at", postgresql_where=text("done_at IS NULL"),
                            sqlite_where=text("done_at IS NULL")),
                      Index("ix_journey_steps_journey_id_step_id", "journey_id", "step_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("journey_runs.id", ondelete="CASCADE"))
    journey_id: Mapped[int] = mapped_column(BigId)  # the run's (a paused journey's rows are not claimed)
    step_id: Mapped[str] = mapped_column(String(40))
    visit: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)  # when the run arrived at the step
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    waits_for: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    timeout_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(300))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class JourneyEvent(Base):
    """An event an active run heard (a survey answered, its email opened, a form sent, a call's outcome): what its
    wait_until steps and branches read."""

    __tablename__ = "journey_events"
    __table_args__ = (Index("ix_journey_events_run_id", "run_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("journey_runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    form_id: Mapped[int | None] = mapped_column(BigId)
    outcome: Mapped[str | None] = mapped_column(String(100))
    message_id: Mapped[int | None] = mapped_column(BigId)
