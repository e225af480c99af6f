"""The raw capture log, hosted forms, and imports (uploaded files and their rejected rows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime

OUTCOMES = ("pending", "created", "merged", "rejected", "failed")


class Capture(Base):
    """One inbound submission, written before anything else can fail."""

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(300), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    client: Mapped[str | None] = mapped_column(String(200))  # api key, form slug, compat client, import
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    attribution: Mapped[dict] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    form_id: Mapped[int | None] = mapped_column(ForeignKey("forms.id", ondelete="SET NULL"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"), index=True)
    response: Mapped[dict | None] = mapped_column(JSON)  # the first answer, replayed on an idempotent retry
    # The record's identity as the matcher read it (identity.normalize.fingerprint): the same record again finds
    # the lead this capture is with (captures follow their lead through merges and unmerges).
    fingerprint: Mapped[str | None] = mapped_column(String(32), index=True)
    # A capture that could not be processed: what its channel read, and when the worker tries again (never set
    # on a Meta lead awaiting its fields, which is pending by design).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    submission: Mapped[dict | None] = mapped_column(JSON)


class Form(Base):
    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    fields: Mapped[list] = mapped_column(JSON, default=list)
    consents: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    title: Mapped[dict] = mapped_column(JSON, default=dict)  # per language
    submit_label: Mapped[dict] = mapped_column(JSON, default=dict)
    thank_you: Mapped[dict] = mapped_column(JSON, default=dict)  # per language
    redirect_url: Mapped[str | None] = mapped_column(String(2000))
    honeypot: Mapped[str] = mapped_column(String(64), default="website_url")
    allowed_origins: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Import(Base):
    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    file_format: Mapped[str] = mapped_column(String(8))  # csv, xlsx
    channel: Mapped[str] = mapped_column(String(32), default="import")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    id_column: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # waiting, queued, running, done, failed
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    columns: Mapped[list] = mapped_column(JSON, default=list)  # the file's headers, made unique
    sample: Mapped[list] = mapped_column(JSON, default=list)  # a few rows, to check the mapping before starting
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    set_aside: Mapped[int] = mapped_column(Integer, default=0)  # rows imported with an unreadable value kept as given
    country: Mapped[str | None] = mapped_column(String(2))  # reads phone numbers written without +country code
    last_row: Mapped[int] = mapped_column(Integer, default=0)  # the file's row a resumed run continues after
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # a running import's last committed chunk
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ImportChunk(Base):
    """An uploaded file, kept in the database in pieces so any worker can run the import."""

    __tablename__ = "import_chunks"

    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportReject(Base):
    __tablename__ = "import_rejects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    row: Mapped[dict] = mapped_column(JSON, default=dict)  # {header: text}, as in the file
