"""Routing's worker handlers: a lead becoming Sales Ready or moved to SQL is routed; a capture is routed by the
rules marked `on_capture`; an owner changed by a person is recorded with its alert. Each takes a batch."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow.routing import service
from leadflow.stage import batch


@batch
def sales_ready(session: Session, payloads: list[dict]) -> None:
    service.route([p["lead_id"] for p in payloads], session=session, trigger="sales_ready")


@batch
def stage_changed(session: Session, payloads: list[dict]) -> None:
    """A person (or an API client) moved the lead to SQL: routed as if Sales Ready. The Sales Ready rule's own move
    is routed by its `lead.sales_ready`."""
    moved = [p["lead_id"] for p in payloads if p.get("to") == "sql" and p.get("reason") != "sales_ready"]
    if moved:
        service.route(moved, session=session, trigger="stage_sql")


@batch
def captured(session: Session, payloads: list[dict]) -> None:
    service.route([p["lead_id"] for p in payloads], session=session, trigger="capture", on_capture=True)


@batch
def lead_updated(session: Session, payloads: list[dict]) -> None:
    service.owner_edited(payloads, session=session)
