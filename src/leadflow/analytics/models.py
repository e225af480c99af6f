"""Analytics' tables: one row of facts per lead (what it became and when, kept current by the worker), the credit
each touch of a converted lead earns under each attribution model, the leads waiting to be refreshed, exchange
rates, ROI norms and the alerts they raised, revenue targets and the weekly digests sent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class LeadFact(Base):
    """A lead as the figures count it: its origin (campaign, source, medium, channel, offer: the campaign's where it
    has one, else the first touch's), its segment (country, industry), its owner and team, when it first reached
    each step of the funnel, and its orders and revenue in the reporting currency. Derived: rebuilt from the lead,
    its stage changes, quotes and won opportunities."""

    __tablename__ = "lead_facts"
    __table_args__ = (Index("ix_lead_facts_created_at", "created_at"),
                      Index("ix_lead_facts_campaign_id_created_at", "campaign_id", "created_at"),
                      Index("ix_lead_facts_owner_id_created_at", "owner_id", "created_at"),
                      Index("ix_lead_facts_sql_at", "sql_at"), Index("ix_lead_facts_customer_at", "customer_at"))

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_month: Mapped[date] = mapped_column(Date)  # the first day of the month it came in: its cohort
    campaign_id: Mapped[int | None] = mapped_column(BigId)
    source: Mapped[str | None] = mapped_column(String(200))
    medium: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(32))
    offer: Mapped[str | None] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    industry: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(BigId)
    team_id: Mapped[int | None] = mapped_column(BigId)
    stage: Mapped[str] = mapped_column(String(20))
    sales_ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    mql_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sql_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    opportunity_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    quoted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    customer_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disqualified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    nurture_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0"))  # reporting currency
    unconverted: Mapped[int] = mapped_column(Integer, default=0)  # won orders in a currency with no rate
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class LeadCredit(Base):
    """The share of a converted lead's goal (its SQL, its revenue) one touch earns under one attribution model;
    each (lead, goal, model)'s weights sum to one."""

    __tablename__ = "lead_credits"
    __table_args__ = (Index("ix_lead_credits_lead_id", "lead_id"),
                      Index("ix_lead_credits_goal_model_goal_at", "goal", "model", "goal_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    goal: Mapped[str] = mapped_column(String(8))  # sql, revenue
    model: Mapped[str] = mapped_column(String(16))  # first_touch, last_touch, linear, position
    goal_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when the lead became an SQL / its first order
    touch_at: Mapped[datetime] = mapped_column(UtcDateTime)
    touch_kind: Mapped[str] = mapped_column(String(16))  # capture, visit
    campaign_id: Mapped[int | None] = mapped_column(BigId)
    source: Mapped[str | None] = mapped_column(String(200))
    medium: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(BigId)
    team_id: Mapped[int | None] = mapped_column(BigId)
    weight: Mapped[Decimal] = mapped_column(Numeric(12, 10))
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0"))  # weight x the lead's revenue


class StaleLead(Base):
    """A lead whose facts are to be refreshed (something about it changed); the worker's pass takes them."""

    __tablename__ = "analytics_stale"
    __table_args__ = (Index("ix_analytics_stale_marked_at_id", "marked_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # the lead's id (no foreign key: a mark outlives a lead)
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class ExchangeRate(Base):
    """How many units of the reporting currency one unit of `currency` is worth from `valid_from` on."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "valid_from"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class AnalyticsSettings(Base):
    """The one row of analytics settings: the reporting currency, the default ROI norm, the stop rule."""

    __tablename__ = "analytics_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporting_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    roi_norm: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))  # a ratio: 1.5 is 150 %
    stop_after_leads: Mapped[int] = mapped_column(Integer, default=1000)  # spends without customers: how many leads
    stop_after_months: Mapped[int] = mapped_column(Integer, default=6)  # ... over how many months
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class RoiNorm(Base):
    """The least ROI a source (or a channel, medium, campaign) must bring; below it marketing is alerted."""

    __tablename__ = "roi_norms"
    __table_args__ = (UniqueConstraint("dimension", "value_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16))  # source, medium, channel, campaign
    value: Mapped[str] = mapped_column(String(200))
    value_key: Mapped[str] = mapped_column(String(200))  # casefolded
    min_roi: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class RoiAlert(Base):
    """An alert raised once per thing, kind and week: a source below its ROI norm, or spending without customers."""

    __tablename__ = "roi_alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # below_norm, no_customers
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class RevenueTarget(Base):
    """The revenue management expects in a month, in the reporting currency (optionally per team)."""

    __tablename__ = "revenue_targets"
    __table_args__ = (UniqueConstraint("month", "team_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    team_id: Mapped[int | None] = mapped_column(BigId)
    team_key: Mapped[int] = mapped_column(BigId, default=0)  # team_id or 0: one target per month and team
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class DigestSent(Base):
    """A weekly digest sent to one person for one week: once, however many workers run."""

    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("user_id", "week"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)  # the Monday the digest's week starts
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    emailed: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
