"""API keys: created once and shown once, stored as a SHA-256, found by their prefix, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.clock import as_utc, now
from leadflow.errors import NotFound, Unauthorized
from leadflow.people.models import ApiKey, User

LAST_USE_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute per key


@dataclass(frozen=True)
class Actor:
    """Who acts: a user through a session or an API key (issue 4 narrows what each may see)."""

    kind: str  # "api_key", "user", "system"
    id: int | None
    user_id: int | None = None
    role: str = "admin"

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}" if self.id is not None else self.kind


SYSTEM = Actor(kind="system", id=None)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, *, name: str, user_id: int | None = None,
                   scopes: list[str] | None = None) -> tuple[ApiKey, str]:
    prefix = secrets.token_hex(4)
    key = f"lf_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(name=name, prefix=prefix, key_hash=_digest(key), user_id=user_id, scopes=scopes or [],
                    created_at=now())
    session.add(record)
    session.flush()
    return record, key


def authenticate(session: Session, key: str) -> Actor:
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "lf":
        raise Unauthorized("not a leadflow API key")
    digest = _digest(key)
    record = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1], ApiKey.revoked_at.is_(None)))
    if record is None or not hmac.compare_digest(record.key_hash, digest):
        raise Unauthorized("unknown or revoked API key")
    moment = now()
    if record.last_used_at is None or moment - as_utc(record.last_used_at) > LAST_USE_RESOLUTION:
        record.last_used_at = moment
    role = "admin"
    if record.user_id is not None:
        user = session.get(User, record.user_id)
        role = user.role if user else "admin"
    return Actor(kind="api_key", id=record.id, user_id=record.user_id, role=role)


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(session: Session, key_id: int) -> ApiKey:
    record = session.get(ApiKey, key_id)
    if record is None:
        raise NotFound("API key", key_id)
    if record.revoked_at is None:
        record.revoked_at = now()
    session.flush()
    return record
