"""Leads (people), companies with their hierarchy, the activity timeline and consents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime
from leadflow.leads.lifecycle import STAGES  # noqa: F401  (the stage machine owns the list)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), index=True)  # normalized name, for matching
    domain: Mapped[str | None] = mapped_column(String(253), index=True)
    industry: Mapped[str | None] = mapped_column(String(200))
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    country: Mapped[str | None] = mapped_column(String(2))
    street: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now, onupdate=now)


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_created_at_id", "created_at", "id"),
        # The inbox's sorts and filters (migration 0004, which also holds the expression indexes
        # ix_leads_sort_name/_company/_country, ix_leads_stage_sort_name and the full-text search).
        Index("ix_leads_updated_at_id", "updated_at", "id"),
        Index("ix_leads_country_created_at_id", "country", "created_at", "id"),
        Index("ix_leads_stage_created_at_id", "stage", "created_at", "id"),
        Index("ix_leads_owner_id_created_at_id", "owner_id", "created_at", "id"),
        Index("ix_leads_stage_id", "stage", "id"),
        Index("ix_leads_last_campaign_id", "last_campaign_id"),
        Index("ix_leads_score_id", "score", "id"),
        Index("ix_leads_band_score_id", "band", "score", "id"),
        Index("ix_leads_grade_score_id", "grade", "score", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    # Folded "first last" (diacritics, case and spacing gone): finds leads known by name only.
    name_key: Mapped[str | None] = mapped_column(String(401), index=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)  # normalized
    phone: Mapped[str | None] = mapped_column(String(32), index=True)  # E.164
    mobile: Mapped[str | None] = mapped_column(String(32), index=True)  # E.164
    # Every other email and phone (E.164) the person was ever captured or merged with: still theirs, still found
    # by the matcher (identity indexes them as blocking keys), never dropped when a newer one becomes the primary.
    other_emails: Mapped[list] = mapped_column(JSON, default=list)
    other_phones: Mapped[list] = mapped_column(JSON, default=list)
    job_title: Mapped[str | None] = mapped_column(String(300))
    company: Mapped[str | None] = mapped_column(String(300))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    street: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(16))
    custom_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    stage: Mapped[str] = mapped_column(String(20), default="new", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Kept by routing: the queue a lead waits in when no rule or nobody could take it (managers see queued leads).
    queue: Mapped[str | None] = mapped_column(String(200), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when the current owner got the lead
    owner_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when that owner first opened it ("new")
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # Fields a person edited by hand: intake never overwrites them.
    manual_fields: Mapped[list] = mapped_column(JSON, default=list)
    channel: Mapped[str | None] = mapped_column(String(32), index=True)  # channel of the first capture
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )  # first-touch campaign
    last_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    first_touch: Mapped[dict] = mapped_column(JSON, default=dict)
    last_touch: Mapped[dict] = mapped_column(JSON, default=dict)
    # Kept by scoring and qualification (their state lives in their own tables): what the inbox filters and sorts
    # on and what a lead's JSON carries.
    score: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(1))
    band: Mapped[str | None] = mapped_column(String(8))
    score_explanation: Mapped[list] = mapped_column(JSON, default=list)
    interests: Mapped[dict] = mapped_column(JSON, default=dict)
    predicted_probability: Mapped[float | None] = mapped_column(Float)
    sales_ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disqualify_reason: Mapped[str | None] = mapped_column(String(40))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Activity(Base):
    """One entry of a lead's timeline; later stages add their own kinds (events, emails, calls)."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_lead_id_occurred_at", "lead_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    actor: Mapped[str] = mapped_column(String(200), default="system")  # "system", "user:3", "api_key:2"
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class StageChange(Base):
    """Who moved a lead from which stage to which, when, and why (every stage change, whoever makes it)."""

    __tablename__ = "stage_changes"
    __table_args__ = (Index("ix_stage_changes_lead_id_changed_at", "lead_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))  # disqualification reason, "sales_ready", ...
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200), default="system")
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_lead_id_purpose", "lead_id", "purpose"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(100))
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    text: Mapped[str | None] = mapped_column(Text)  # the exact wording shown to the person
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id", ondelete="SET NULL"))


class SavedView(Base):
    """A user's named inbox filters and sort, kept as the inbox's query string; each user sees only their own."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
