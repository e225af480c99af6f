"""The email stage's tables: templates, messages (one row per email to one lead, keyed so it is queued once),
suppressed addresses, the settings row, per-domain limits and the bounces received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime

STATUSES = ("queued", "sending", "sent", "skipped", "bounced", "failed", "unconfirmed")


class EmailTemplate(Base):
    """A marketing email: subject, preheader and an MJML body personalised with sandboxed Jinja; `purpose` is the
    consent purpose a lead must not have withdrawn. Each save bumps `version` (messages keep the version sent)."""

    __tablename__ = "email_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    preheader: Mapped[str] = mapped_column(String(300), default="")
    body_mjml: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(100), default="marketing")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EmailMessage(Base):
    """One email to one lead. Queued exactly once by `key`; the sender claims due rows, and each ends sent,
    skipped (with the reason a marketer reads), bounced, failed or unconfirmed (a send cut off mid-way: never
    sent again by itself)."""

    __tablename__ = "email_messages"
    __table_args__ = (
        Index("ix_email_messages_due", "status", "send_after", "id"),
        Index("ix_email_messages_lead_id_queued_at", "lead_id", "queued_at"),
        Index("ix_email_messages_journey_run_id", "journey_run_id"),
        Index("ix_email_messages_send_id", "send_id"),
        Index("ix_email_messages_experiment_id", "experiment_id"),
        # The frequency cap: a lead's messages sent lately.
        Index("ix_email_messages_sent_lead", "lead_id", "sent_at",
              postgresql_where=text("sent_at IS NOT NULL"), sqlite_where=text("sent_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    template_id: Mapped[int] = mapped_column(ForeignKey("email_templates.id", ondelete="RESTRICT"))
    template_version: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(100))
    to_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    journey_run_id: Mapped[int | None] = mapped_column(BigId)
    journey_step: Mapped[str | None] = mapped_column(String(100))
    send_id: Mapped[int | None] = mapped_column(BigId)
    variant: Mapped[str | None] = mapped_column(String(50))
    experiment_id: Mapped[int | None] = mapped_column(BigId)  # the A/B test whose variant (or hold-out) this is
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    send_after: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    bounce_kind: Mapped[str | None] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EmailSuppression(Base):
    """An address never mailed again: it bounced hard, complained, or someone added it by hand."""

    __tablename__ = "email_suppressions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(String(20))  # hard_bounce, complaint, manual
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class EmailSettings(Base):
    """The one row of email settings (id 1): the sender, quiet hours, the frequency cap, the default per-domain
    rate, the bounce mailbox (its password comes from the environment only)."""

    __tablename__ = "email_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    from_address: Mapped[str] = mapped_column(String(320), default="")
    reply_to: Mapped[str | None] = mapped_column(String(320))
    quiet_start: Mapped[int | None] = mapped_column(Integer)  # minutes after midnight; None: no quiet hours
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # for leads whose own zone is unknown
    cap_messages: Mapped[int | None] = mapped_column(Integer)  # at most this many messages per lead ...
    cap_days: Mapped[int] = mapped_column(Integer, default=7)  # ... within this many days
    default_per_minute: Mapped[int | None] = mapped_column(Integer)  # per recipient domain; None: no limit
    bounce_imap_host: Mapped[str | None] = mapped_column(String(300))
    bounce_imap_user: Mapped[str | None] = mapped_column(String(300))
    bounce_imap_folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class EmailDomainLimit(Base):
    """How many messages a minute one recipient domain takes (gmail.com: 600); others get the default."""

    __tablename__ = "email_domain_limits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    per_minute: Mapped[int] = mapped_column(Integer)


class EmailBounce(Base):
    """A bounce or complaint as received (raw first, then what was read from it and done)."""

    __tablename__ = "email_bounces"
    __table_args__ = (Index("ix_email_bounces_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # webhook, mailbox, file
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    kind: Mapped[str | None] = mapped_column(String(12))  # hard, soft, complaint, unknown
    addresses: Mapped[list] = mapped_column(JSON, default=list)
    message_id: Mapped[int | None] = mapped_column(BigId)
    outcome: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# --- one-off sends and A/B tests (email/sends*.py, email/experiments.py) ------------------------------------------

SEND_STATUSES = ("draft", "scheduled", "sending", "done", "canceled")


class EmailExperiment(Base):
    """An A/B test: variants (each a template, optionally with its own subject or offer), how the audience is split
    among them (percent each, adding up to 100) after a hold-out that gets no email, the metric that decides the
    winner and how many days after the send outcomes (SQLs, won revenue) count."""

    __tablename__ = "email_experiments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    variants: Mapped[list] = mapped_column(JSON, default=list)  # [{key, template_id, subject?, offer?}]
    split: Mapped[dict] = mapped_column(JSON, default=dict)  # {variant key: percent}
    holdout_pct: Mapped[int] = mapped_column(Integer, default=0)
    metric: Mapped[str] = mapped_column(String(12), default="click")  # open, click, sql, revenue
    window_days: Mapped[int] = mapped_column(Integer, default=14)
    winner: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class EmailSend(Base):
    """A one-off send: an audience (a segment's members at send time, or a campaign's leads) gets a template, or
    the variants of an experiment; queued a chunk at a time (`cursor`: the last lead id done) by
    email.campaign_send, each lead once (the messages' key names the send and the lead)."""

    __tablename__ = "email_sends"
    __table_args__ = (Index("ix_email_sends_status_scheduled_at", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    segment_id: Mapped[int | None] = mapped_column(BigId)  # the segments stage's segment (no foreign key)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("email_templates.id", ondelete="RESTRICT"))
    experiment_id: Mapped[int | None] = mapped_column(ForeignKey("email_experiments.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cursor: Mapped[int] = mapped_column(BigId, default=0)
    audience: Mapped[int] = mapped_column(Integer, default=0)  # leads taken from the audience so far
    queued: Mapped[int] = mapped_column(Integer, default=0)  # messages queued (the sender may still skip them)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # leads held out (no message sent)
    window_days: Mapped[int] = mapped_column(Integer, default=14)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
