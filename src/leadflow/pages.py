"""Opaque keyset cursors shared by every paged list (newest first, by id)."""

from __future__ import annotations

import base64

from leadflow.errors import Invalid


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except ValueError:
        raise Invalid.one("cursor", "not a cursor this API gave out") from None


def keyset_page(session, query, id_column, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of `query`, newest first, and the cursor of the next page (None on the last)."""
    if cursor:
        query = query.where(id_column < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None
