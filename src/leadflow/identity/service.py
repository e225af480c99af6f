"""The matcher's seam: which existing lead a normalized submission is. Exact email and phone for now."""

from __future__ import annotations

import hashlib

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from leadflow.leads.models import Lead


def match_keys(fields: dict) -> list[str]:
    keys = []
    if fields.get("email"):
        keys.append("email:" + fields["email"])
    for name in ("phone", "mobile"):
        if fields.get(name):
            keys.append("phone:" + fields[name])
    return sorted(set(keys))


def lock_keys(session: Session, keys: list[str]) -> None:
    """Serialize captures that could be the same person, until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock per key, in sorted order (no deadlocks).
    SQLite: the capture's first write already holds the database's single write lock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})


def find_match(session: Session, fields: dict) -> Lead | None:
    """The surviving lead with the same email, else the same phone or mobile (in E.164)."""
    email = fields.get("email")
    phones = [fields[n] for n in ("phone", "mobile") if fields.get(n)]
    conditions = []
    if email:
        conditions.append(Lead.email == email)
    for phone in phones:
        conditions.extend([Lead.phone == phone, Lead.mobile == phone])
    if not conditions:
        return None
    candidates = session.scalars(
        select(Lead).where(or_(*conditions), Lead.merged_into_id.is_(None)).order_by(Lead.id).limit(20)
    ).all()
    if email:
        for candidate in candidates:
            if candidate.email == email:
                return candidate
        # Same phone but a different email is a different person (a shared switchboard number).
        candidates = [c for c in candidates if not c.email]
    return candidates[0] if candidates else None
