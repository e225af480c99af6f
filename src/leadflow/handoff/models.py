"""Handoff's tables: the endpoints events are sent to (webhooks, HubSpot, Salesforce) and every delivery, each with
the exact body it signs and sends, its attempts and its state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class WebhookEndpoint(Base):
    """Where events go: a webhook URL (signed with `secret`), or a CRM's base URL (with `secret` as its token)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="webhook")  # webhook, hubspot, salesforce
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON, default=list)  # event names, or ["*"]
    secret: Mapped[str] = mapped_column(Text)  # the signing secret, or the CRM's token: never shown after creation
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # Salesforce: api_version, external_id_field
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class WebhookDelivery(Base):
    """One event for one endpoint: its id (X-Leadflow-Delivery, the same on every attempt and replay), the body as
    sent, and where it stands. `source` keys the event it came from, so the fan-out of one event happens once."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("delivery_id"), UniqueConstraint("endpoint_id", "source"),
                      Index("ix_webhook_deliveries_status_created_at", "status", "created_at"),
                      Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
                      Index("ix_webhook_deliveries_lead_id", "lead_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(64))  # a hash of the event (topic, payload, the lead's state)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)  # the exact bytes signed and sent (UTF-8)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, delivered, failed, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    seq: Mapped[int] = mapped_column(Integer, default=1)  # the outbox message now due (webhook:{delivery_id}:{seq})
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retry_until: Mapped[datetime] = mapped_column(UtcDateTime)  # 24 h after creation, or after the last replay
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
