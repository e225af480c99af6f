"""Qualification tables: BANT answers with who gave them, the stage history, and the agreed Sales Ready rule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime
from leadflow.leads.models import StageChange  # noqa: F401  (the stage history lives with the lead)


class BantAnswer(Base):
    """One answer to budget, authority, need or timeline; the newest per criterion is the lead's current one."""

    __tablename__ = "bant_answers"
    __table_args__ = (Index("ix_bant_answers_lead_id_criterion_set_at", "lead_id", "criterion", "set_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    criterion: Mapped[str] = mapped_column(String(12))  # budget, authority, need, timeline
    value: Mapped[str | None] = mapped_column(Text)     # None: the answer was withdrawn (unknown again)
    source: Mapped[str] = mapped_column(String(20))     # lead (form, survey), telemarketer, sales, marketing, import
    actor: Mapped[str] = mapped_column(String(200), default="system")
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class SalesReadyRule(Base):
    """The one rule marketing and sales agree on, as an expression; versions are kept, the newest is in force."""

    __tablename__ = "sales_ready_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    expression: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
