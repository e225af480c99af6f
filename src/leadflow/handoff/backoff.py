"""When a failed delivery is tried again: exponential backoff (30 s, 1 min, 2, 4, ... capped at 1 h, with a little
jitter drawn from the delivery id) for 24 hours, then dead; which failures are worth a retry.

Pure: standard library only; time and the delivery's id come in as arguments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)
FIRST = 30  # seconds before the second attempt
CAP = 3600  # never more than an hour between attempts
JITTER = 0.1  # up to 10 % more, the same for one delivery every time (spreads a burst of failures)
RETRYABLE_4XX = frozenset({401, 403, 408, 409, 425, 429})  # may pass later (a token rotated, a rate limit ended)


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: delivered (a 2xx), or the status code and error; `permanent` when trying again with
    the same body cannot help (a lead without an email for HubSpot, a CRM refusing the fields)."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class Next:
    """After a failed attempt: try again at `at`, or give up (`dead`), with why."""

    dead: bool
    at: datetime | None
    why: str


def delay(attempts: int, delivery_id: str = "") -> timedelta:
    """The wait after the `attempts`-th failed attempt (1 -> 30 s, 2 -> 60 s, ...)."""
    seconds = min(CAP, FIRST * 2 ** max(0, min(attempts - 1, 20)))
    spread = int(hashlib.sha256(f"{delivery_id}:{attempts}".encode()).hexdigest()[:4], 16) / 0xFFFF
    return timedelta(seconds=min(CAP, seconds * (1 + JITTER * spread)))


def after_failure(outcome: Outcome, *, attempts: int, moment: datetime, retry_until: datetime,
                  delivery_id: str = "") -> Next:
    """The next attempt within the window (the last one at its very end), or dead."""
    if outcome.permanent:
        return Next(True, None, "a permanent error: retrying the same request cannot help")
    if moment >= retry_until:
        return Next(True, None, f"still failing after {WINDOW.total_seconds() / 3600:.0f} hours of retries")
    return Next(False, min(moment + delay(attempts, delivery_id), retry_until), "retry")


def is_success(status_code: int) -> bool:
    return 200 <= status_code < 300


def is_permanent(status_code: int) -> bool:
    """For the CRM connectors: a 4xx other than those that can pass (auth, timeouts, conflicts, rate limits) means
    the CRM refused this request as it is. Plain webhooks retry every failure."""
    return 400 <= status_code < 500 and status_code not in RETRYABLE_4XX


def clip(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
