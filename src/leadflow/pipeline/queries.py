"""Pipeline's reads other stages use: the managed lists of reasons (won, lost, recycled)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.pipeline.models import CloseReason


def close_reasons(kind: str, *, session: Session, active_only: bool = True) -> list[tuple[str, str]]:
    """The managed reasons of one kind ("won", "lost", "recycle") as (key, label), in their order."""
    query = select(CloseReason.key, CloseReason.label).where(CloseReason.kind == kind)
    if active_only:
        query = query.where(CloseReason.active.is_(True))
    return [(key, label) for key, label in session.execute(query.order_by(CloseReason.position, CloseReason.id))]
