"""The segments stage's tables: each segment (a saved condition) and its members, kept live by the worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class Segment(Base):
    """A saved condition in the condition language's `segment` scope. `version` counts changes of the condition:
    the rebuild of its members (segment.build) works for one version and stops when a newer one is saved.
    `built_at` is set when the members of the current version are complete (None while they are worked out)."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    built_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    member_count: Mapped[int] = mapped_column(Integer, default=0)


class SegmentMember(Base):
    """A lead in a segment now, since when. Derived: on leads.merged the merged lead's rows are removed (it is no
    lead of any list any more) and the survivor is checked again."""

    __tablename__ = "segment_members"
    __table_args__ = (Index("ix_segment_members_lead_id", "lead_id"),)

    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
