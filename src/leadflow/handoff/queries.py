"""Reads of handoff with no decision: the endpoints, a delivery log (by endpoint, status), the dead letters."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.handoff.models import WebhookDelivery, WebhookEndpoint

PAGE = 50


def endpoints(*, session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def deliveries(*, session: Session, endpoint_id: int | None = None, status: str | None = None,
               lead_id: int | None = None, before: int | None = None, limit: int = PAGE) -> list[WebhookDelivery]:
    """Newest first; `before` (a row id) pages on."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if lead_id is not None:
        query = query.where(WebhookDelivery.lead_id == lead_id)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return list(session.scalars(query))


def counts(*, session: Session) -> dict[int, dict[str, int]]:
    """Endpoint id -> status -> how many deliveries."""
    found: dict[int, dict[str, int]] = {}
    rows = session.execute(select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
                           .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status))
    for endpoint_id, status, count in rows:
        found.setdefault(endpoint_id, {})[status] = count
    return found


def endpoint_names(*, session: Session) -> dict[int, str]:
    return {row.id: row.name for row in session.execute(select(WebhookEndpoint.id, WebhookEndpoint.name))}
