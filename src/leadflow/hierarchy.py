"""Parent links (campaign programs, company groups): a new parent must exist and must not close a loop."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow.errors import Invalid


def check_parent(session: Session, model, *, node_id: int | None, parent_id: int, what: str) -> None:
    """Raises Invalid on parent_id when the parent is unknown or is the node itself or one of its descendants."""
    seen = {node_id} if node_id is not None else set()
    current = session.get(model, parent_id)
    if current is None:
        raise Invalid.one("parent_id", f"no such {what}")
    while current is not None:
        if current.id in seen:
            raise Invalid.one("parent_id", f"would make the {what} its own ancestor")
        seen.add(current.id)
        current = session.get(model, current.parent_id) if current.parent_id else None
