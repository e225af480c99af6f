"""Handoff's JSON input and output: an endpoint to create or change, an endpoint and a delivery as read. A secret or
token is never read back: only whether it is set and its last four characters."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from leadflow.handoff import payloads, signing
from leadflow.inputs import Input


class EndpointCreate(Input):
    url: str = Field(max_length=2000, description="the webhook's URL, or the CRM's base URL for a connector")
    events: list[str] | None = Field(default=None, max_length=20,
                                     description="event names, or [\"*\"] for all; connectors: lead.sales_ready")
    kind: str = Field(default=payloads.WEBHOOK, description="webhook, hubspot or salesforce")
    name: str | None = Field(default=None, max_length=200)
    secret: str | None = Field(default=None, max_length=payloads.MAX_SECRET,
                               description="webhooks: the signing secret (at least 16 characters); generated and "
                                           "shown once when not given")
    token: str | None = Field(default=None, max_length=payloads.MAX_SECRET,
                              description="connectors: the CRM's access token")
    options: dict[str, str] | None = Field(default=None, description="Salesforce: api_version, external_id_field")
    active: bool = True


class EndpointUpdate(Input):
    url: str = Field(default=None, max_length=2000)
    events: list[str] = Field(default=None, max_length=20)
    name: str = Field(default=None, max_length=200)
    active: bool = None
    secret: str = Field(default=None, max_length=payloads.MAX_SECRET, description="a new secret (rotation)")
    token: str = Field(default=None, max_length=payloads.MAX_SECRET, description="a new token (rotation)")
    options: dict[str, str] = None


class EndpointRead(BaseModel):
    id: int
    name: str
    kind: str
    url: str
    events: list[str]
    options: dict
    active: bool
    secret: str = Field(description="whether a secret or token is set, and its last four characters")
    created_by: str
    created_at: datetime
    deliveries: dict[str, int] = {}

    @classmethod
    def of(cls, endpoint, counts: dict[str, int] | None = None) -> EndpointRead:
        return cls(id=endpoint.id, name=endpoint.name, kind=endpoint.kind, url=endpoint.url, events=endpoint.events,
                   options=endpoint.options or {}, active=endpoint.active, secret=signing.last4(endpoint.secret),
                   created_by=endpoint.created_by, created_at=endpoint.created_at, deliveries=counts or {})


class EndpointCreated(EndpointRead):
    generated_secret: str | None = Field(default=None, description="the secret leadflow generated: shown only now")


class DeliveryRead(BaseModel):
    delivery_id: str
    endpoint_id: int
    event: str
    lead_id: int | None
    status: str
    attempts: int
    replays: int
    next_attempt_at: datetime | None
    retry_until: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    body: str | None = None

    @classmethod
    def of(cls, delivery, *, with_body: bool = False) -> DeliveryRead:
        return cls(delivery_id=delivery.delivery_id, endpoint_id=delivery.endpoint_id, event=delivery.event,
                   lead_id=delivery.lead_id, status=delivery.status, attempts=delivery.attempts,
                   replays=delivery.replays, next_attempt_at=delivery.next_attempt_at,
                   retry_until=delivery.retry_until, last_status_code=delivery.last_status_code,
                   last_error=delivery.last_error, created_at=delivery.created_at,
                   last_attempt_at=delivery.last_attempt_at, delivered_at=delivery.delivered_at,
                   body=delivery.body if with_body else None)
