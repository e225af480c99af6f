"""Identity tables: blocking keys per lead, possible duplicates (the review queue), and merges that can be undone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class LeadMatchKey(Base):
    """A blocking key of a surviving lead: candidates for a new lead are the leads sharing one of its keys."""

    __tablename__ = "lead_match_keys"
    __table_args__ = (
        UniqueConstraint("key", "lead_id", name="uq_lead_match_keys_key_lead_id"),
        Index("ix_lead_match_keys_lead_id", "lead_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))


class PossibleDuplicate(Base):
    """A pair the matcher was unsure of, and what a person decided; "not the same" is remembered."""

    __tablename__ = "possible_duplicates"
    __table_args__ = (
        UniqueConstraint("lead_id", "other_id", name="uq_possible_duplicates_lead_id_other_id"),
        Index("ix_possible_duplicates_status", "status"),
        Index("ix_possible_duplicates_other_id", "other_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))  # the lower id of the pair
    other_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    probability: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, merged, not_same
    found_by: Mapped[str] = mapped_column(String(32), default="capture")  # capture, dedupe, import
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))


class LeadMerge(Base):
    """One merge, with everything needed to undo it: the merged lead as it was, what moved, what changed."""

    __tablename__ = "lead_merges"
    __table_args__ = (Index("ix_lead_merges_merged_id", "merged_id"), Index("ix_lead_merges_survivor_id", "survivor_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    probability: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(200), default="system")
    merged_snapshot: Mapped[dict] = mapped_column(JSON, default=dict)  # the merged lead's fields before
    survivor_before: Mapped[dict] = mapped_column(JSON, default=dict)  # survivor fields the merge changed
    moved: Mapped[dict] = mapped_column(JSON, default=dict)  # table -> ids moved to the survivor
    added_consent_ids: Mapped[list] = mapped_column(JSON, default=list)
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(200))
