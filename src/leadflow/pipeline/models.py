"""Pipeline's tables: the opportunity stages (configurable, each with its default probability), opportunities per
lead or company, quotes, competitors and where they are in play, and the managed lists of reasons (won, lost,
recycled)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class OpportunityStage(Base):
    """A column of the board: its default probability (0-100) and whether it is open, won (probability 100) or lost
    (0)."""

    __tablename__ = "opportunity_stages"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    probability: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(8), default="open")  # open, won, lost
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Opportunity(Base):
    """A possible sale to a lead or a company: value, currency, expected close, stage, the rep's own probability."""

    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_lead_id", "lead_id"),
                      Index("ix_opportunities_company_id", "company_id"),
                      Index("ix_opportunities_owner_id_status", "owner_id", "status"),
                      Index("ix_opportunities_status_expected_close", "status", "expected_close"),
                      Index("ix_opportunities_closed_at", "closed_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    expected_close: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(40))  # an opportunity_stages key
    probability: Mapped[int | None] = mapped_column(Integer)  # the rep's own, 0-100; None: the stage's default
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, won, lost
    close_reason: Mapped[str | None] = mapped_column(String(40))  # a key of the managed list
    close_note: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Quote(Base):
    """A quote made to a lead (for one of its opportunities, or none): amount, currency, status, sent and decided."""

    __tablename__ = "quotes"
    __table_args__ = (Index("ix_quotes_lead_id", "lead_id"), Index("ix_quotes_opportunity_id", "opportunity_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id", ondelete="SET NULL"))
    reference: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft, sent, accepted, rejected, expired
    sent_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Competitor(Base):
    __tablename__ = "competitors"
    __table_args__ = (UniqueConstraint("name_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # folded, for uniqueness
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class CompetitorMention(Base):
    """A competitor in play for a lead (or one of its opportunities), as a salesperson reported it."""

    __tablename__ = "competitor_mentions"
    __table_args__ = (Index("ix_competitor_mentions_lead_id", "lead_id"),
                      Index("ix_competitor_mentions_competitor_id", "competitor_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitors.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class CloseReason(Base):
    """The managed list of reasons: why won, why lost, why recycled back to marketing."""

    __tablename__ = "close_reasons"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # won, lost, recycle
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ForecastSnapshot(Base):
    """What the weighted pipeline said on a day for one close month, owner and currency (taken once a day by the
    worker): the forecast of a month, remembered before the month began, is what its accuracy is measured against."""

    __tablename__ = "forecast_snapshots"
    __table_args__ = (UniqueConstraint("taken_on", "close_month", "owner_key", "currency"),
                      Index("ix_forecast_snapshots_close_month_taken_on", "close_month", "taken_on"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    taken_on: Mapped[date] = mapped_column(Date)
    close_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    owner_id: Mapped[int | None] = mapped_column(Integer)  # None: nobody owned them
    owner_key: Mapped[int] = mapped_column(Integer)  # owner_id, 0 for nobody: the unique key (NULLs are distinct)
    currency: Mapped[str] = mapped_column(String(3))
    weighted: Mapped[Decimal] = mapped_column(Numeric(18, 2))  # open value x effective probability
    open_value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    open_count: Mapped[int] = mapped_column(Integer)
    won_value: Mapped[Decimal] = mapped_column(Numeric(18, 2))  # won already in the month at the time
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class ForecastSnapshotDay(Base):
    """A day a snapshot was taken (even of an empty pipeline): a month with a snapshot day before it had a forecast,
    zero where no row says otherwise; without one, no forecast was recorded."""

    __tablename__ = "forecast_snapshot_days"

    taken_on: Mapped[date] = mapped_column(Date, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    rows: Mapped[int] = mapped_column(Integer, default=0)
