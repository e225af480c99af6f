"""Tracking tables: first-party visitors (the cookie) and every behaviour event, known or still anonymous."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class Visitor(Base):
    """A browser known by the first-party cookie of /t/lf.js; joined to a lead when the visitor identifies."""

    __tablename__ = "visitors"
    __table_args__ = (Index("ix_visitors_lead_id", "lead_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    identified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    identified_by: Mapped[str | None] = mapped_column(String(40))  # form_submit, email_click, api


class Event(Base):
    """One thing a lead (or a visitor not yet known) did, as it arrived; scores are computed from these."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_lead_id_occurred_at", "lead_id", "occurred_at"),
        Index("ix_events_visitor_id_occurred_at", "visitor_id", "occurred_at"),
        Index("ix_events_type_occurred_at", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    source: Mapped[str] = mapped_column(String(20), default="api")  # script, email, api, form, telemarketing
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)  # a client's id: a retry adds nothing
    # Why the event counts for nothing (a repeat or machine open of an email): kept and shown, never scored.
    unscored: Mapped[str | None] = mapped_column(String(80))
