"""Webhook signatures and headers: `X-Leadflow-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.

Pure: standard library only; it never touches the database, the network or the clock (time comes in)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

PREFIX = "sha256="
USER_AGENT = "leadflow-webhooks"


def signature(secret: str, body: bytes) -> str:
    """The header's value for these exact bytes."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: compare in constant time against the signature of the raw body it received."""
    return bool(header) and hmac.compare_digest(signature(secret, body), header.strip())


def headers(*, secret: str, body: bytes, event: str, delivery_id: str, moment: datetime) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Leadflow-Event": event,
            "X-Leadflow-Delivery": delivery_id, "X-Leadflow-Timestamp": str(int(moment.timestamp())),
            "X-Leadflow-Signature": signature(secret, body)}


def last4(secret: str | None) -> str:
    """How a stored secret or token is shown after its creation: set, and its last four characters."""
    if not secret:
        return "not set"
    return f"set (…{secret[-4:]})" if len(secret) >= 12 else "set"
