"""Scoring tables: versioned rule sets, each lead's current score with its explanation, and rescore runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class RuleSet(Base):
    """A scoring model as data (fit rules, behaviour rules, decay, bands, grades); one version is active."""

    __tablename__ = "scoring_rule_sets"
    __table_args__ = (UniqueConstraint("version"), Index("ix_scoring_rule_sets_status", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft, active, retired
    definition: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LeadScore(Base):
    """A lead's score state under one rule set: behaviour points as of `as_of` (decayed lazily from there), fit,
    grade, band, interest per product family, the strongest contributions (the "why"), and cap counters."""

    __tablename__ = "lead_scores"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("scoring_rule_sets.id", ondelete="CASCADE"))
    behaviour: Mapped[float] = mapped_column(Float, default=0.0)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    fit: Mapped[int] = mapped_column(Integer, default=0)
    grade: Mapped[str] = mapped_column(String(1), default="D")
    score: Mapped[int] = mapped_column(Integer, default=0)
    band: Mapped[str] = mapped_column(String(8), default="cold")
    interests: Mapped[dict] = mapped_column(JSON, default=dict)      # product family -> points as of `as_of`
    contributions: Mapped[list] = mapped_column(JSON, default=list)  # strongest first: rule, event, points, at
    counters: Mapped[dict] = mapped_column(JSON, default=dict)       # rule id -> [period start, points] (caps)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class ScoringRun(Base):
    """A rescore (or backtest) working through the leads in the background, with its progress."""

    __tablename__ = "scoring_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), default="rescore")
    rule_set_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_rule_sets.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued, running, done, failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    last_lead_id: Mapped[int] = mapped_column(BigId, default=0)        # resumes after a crash
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PredictiveModel(Base):
    """A conversion model learned by `leadflow predict train` from the database's won and lost leads."""

    __tablename__ = "predictive_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    target: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    auc: Mapped[float | None] = mapped_column(Float)
    features: Mapped[list] = mapped_column(JSON, default=list)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=False)


class LeadPrediction(Base):
    """A lead's predicted probability of converting and the features that pushed it up or down."""

    __tablename__ = "lead_predictions"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("predictive_models.id", ondelete="CASCADE"))
    probability: Mapped[float] = mapped_column(Float)
    drivers: Mapped[list] = mapped_column(JSON, default=list)  # [{"feature", "value", "effect"}], strongest first
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
