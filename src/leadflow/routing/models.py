"""Routing's tables: rule sets (versioned, one active), round-robin cursors, members' capacities, and assignments
with their reasons (the lead's owner history)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class RoutingRuleSet(Base):
    """Ordered routing rules as data (docs/routing.md); saving makes a draft version, one version is active."""

    __tablename__ = "routing_rule_sets"
    __table_args__ = (UniqueConstraint("version"), Index("ix_routing_rule_sets_status", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft, active, retired
    definition: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RoutingCursor(Base):
    """A team's round-robin position, persisted so fairness survives restarts and holds across workers."""

    __tablename__ = "routing_cursors"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class RoutingMember(Base):
    """What routing may give a salesperson: at most this many open leads, or new leads a day; a weight for their
    share of a team's leads. No row: no limit, weight 1."""

    __tablename__ = "routing_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    max_open: Mapped[int | None] = mapped_column(Integer)
    max_per_day: Mapped[int | None] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Assignment(Base):
    """One change of a lead's owner or queue, with why: by routing (the rule, the members considered, who was skipped
    and why) or by a person. The newest row per lead is its current assignment; older rows are its history."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_lead_id_assigned_at", "lead_id", "assigned_at"),
                      Index("ix_assignments_user_id_assigned_at", "user_id", "assigned_at"),
                      Index("ix_assignments_queue_assigned_at", "queue", "assigned_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queue: Mapped[str | None] = mapped_column(String(200))
    previous_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(20))  # rule, manual, fallback
    trigger: Mapped[str] = mapped_column(String(40))  # sales_ready, stage_sql, capture, manual, reroute
    rule: Mapped[str | None] = mapped_column(String(200))
    rule_set_version: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)  # matched, considered, skipped, explanation
    actor: Mapped[str] = mapped_column(String(200), default="system")
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
