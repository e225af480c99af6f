"""The matcher's seam: which existing lead a normalized submission is. Exact email and phone for now."""

from __future__ import annotations

import hashlib

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from leadflow.leads.domain import company_key, name_key
from leadflow.leads.models import Lead


def match_keys(fields: dict) -> list[str]:
    keys = []
    person = name_key(fields.get("first_name"), fields.get("last_name"))
    if person and not (fields.get("email") or fields.get("phone") or fields.get("mobile")):
        keys.append("name:" + person)
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
    """The surviving lead with the same email, else the same phone or mobile (in E.164).

    A submission with neither (a trade-fair or telemarketing list) matches a lead with the same name at the
    same company (legal form aside) or the same postal code, and no email or phone that contradicts it.
    """
    email = fields.get("email")
    phones = [fields[n] for n in ("phone", "mobile") if fields.get(n)]
    if not email and not phones:
        return _match_by_name(session, fields)
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


def _match_by_name(session: Session, fields: dict) -> Lead | None:
    person = name_key(fields.get("first_name"), fields.get("last_name"))
    if not person:
        return None
    company = company_key(fields["company"]) if fields.get("company") else None
    postal = (fields.get("postal_code") or "").replace(" ", "").upper() or None
    if not company and not postal:
        return None
    candidates = session.scalars(
        select(Lead).where(Lead.name_key == person, Lead.merged_into_id.is_(None)).order_by(Lead.id).limit(50))
    for candidate in candidates:
        same_company = company and candidate.company and company_key(candidate.company) == company
        same_postal = postal and candidate.postal_code and candidate.postal_code.replace(" ", "").upper() == postal
        if same_company or same_postal:
            return candidate
    return None
