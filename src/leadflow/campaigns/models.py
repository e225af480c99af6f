"""Campaigns (with programs as parents), their cost entries, and the ad platforms' spend reports imported as costs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime

CHANNELS = (
    "web", "email", "telemarketing", "trade_fair", "direct_mail", "print", "radio_tv",
    "social", "paid_search", "partner", "other",
)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    code: Mapped[str] = mapped_column(String(200))
    code_key: Mapped[str] = mapped_column(String(200), unique=True)  # casefolded code, for lookups
    channel: Mapped[str] = mapped_column(String(32), default="other")
    source: Mapped[str | None] = mapped_column(String(200))
    medium: Mapped[str | None] = mapped_column(String(200))
    offer: Mapped[str | None] = mapped_column(String(300))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_automatically: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class CampaignCost(Base):
    __tablename__ = "campaign_costs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    # A cost over several days (an ad platform's report for a month) ends on spent_until; NULL: the one day spent_on.
    spent_until: Mapped[date | None] = mapped_column(Date)
    # Imported from an ad platform's spend report: the platform, its campaign id (which also links that platform
    # campaign to this cost's campaign for later imports), and the key an import of the same figure again replaces.
    platform: Mapped[str | None] = mapped_column(String(32))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    import_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    spend_import_id: Mapped[int | None] = mapped_column(ForeignKey("spend_imports.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_campaign_costs_platform_external_ref", "platform", "external_ref"),)


class SpendImport(Base):
    """An uploaded spend report, stored as it came before it is read (so nothing sent is lost), and what it did."""

    __tablename__ = "spend_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    platform: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    summary: Mapped[dict | None] = mapped_column(JSON)
