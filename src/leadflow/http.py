"""What every router shares: the request's database session, the settings, client address, rate limits, the raw
body. It knows no stage: who acts (API key or signed-in user) is people's (leadflow.people.deps)."""

from __future__ import annotations

import functools
import random
import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import FormData
from sqlalchemy.orm import Session

from leadflow.db import is_transient
from leadflow.errors import TooMany
from leadflow.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request):
    """The request's unit of work: endpoints commit what they change; anything not committed is rolled back.

    GET, HEAD and OPTIONS read only (a write there raises db.ReadOnly: such a route asks for a WritingSession); other
    methods may write. The session takes no connection until the endpoint first uses it, so no request holds a
    connection (or SQLite's write lock) while it waits for a thread.
    """
    reads = request.method in ("GET", "HEAD", "OPTIONS")
    yield from _session(request.app.state.read_sessionmaker if reads else request.app.state.sessionmaker)


def get_writing_session(request: Request):
    """A session that may write, whatever the method (a tracking pixel or a redirect that records a click)."""
    yield from _session(request.app.state.sessionmaker)


def _session(factory):
    session = factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


DbSession = Annotated[Session, Depends(get_session)]
WritingSession = Annotated[Session, Depends(get_writing_session)]

RACE_ATTEMPTS = 5


def retry_races(handler):
    """Run a write endpoint again when it lost a race with another transaction (a deadlock, a serialization
    failure, a lock or key taken meanwhile): its session is rolled back and the endpoint starts over, so a race
    is never the client's problem. The endpoint must commit as its last step (a unit of work)."""

    @functools.wraps(handler)
    def run(*args, **kwargs):
        session = kwargs.get("session")
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                return handler(*args, **kwargs)
            except DBAPIError as exc:
                if session is None or not is_transient(exc) or attempt == RACE_ATTEMPTS:
                    raise
                session.rollback()
                time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
        raise AssertionError("unreachable")

    return run


AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def client_address(request: Request) -> str:
    settings: Settings = request.app.state.settings
    if settings.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


class RateLimiter:
    """A token bucket per client address, per process: enough to blunt a flood of public posts."""

    def __init__(self, per_minute: int):
        self.rate = per_minute / 60.0
        self.capacity = float(max(per_minute, 1))
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def hit(self, key: str) -> None:
        if self.rate <= 0:
            return
        moment = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(key, (self.capacity, moment))
            tokens = min(self.capacity, tokens + (moment - last) * self.rate)
            if tokens < 1:
                self.buckets[key] = (tokens, moment)
                raise TooMany(retry_after=max(1, int((1 - tokens) / self.rate) + 1))
            self.buckets[key] = (tokens - 1, moment)
            if len(self.buckets) > 100_000:
                self.buckets.clear()


def rate_limited(request: Request) -> str:
    address = client_address(request)
    request.app.state.rate_limiter.hit(address)
    return address


PublicClient = Annotated[str, Depends(rate_limited)]


async def read_body(request: Request) -> tuple[bytes, bool]:
    """The body up to the size limit, and whether it was cut there (the rest is not read)."""
    limit = request.app.state.settings.max_body_bytes
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: max(0, len(chunk) - (size - limit))])
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


RawBody = Annotated[tuple[bytes, bool], Depends(read_body)]


async def read_form(request: Request, *, max_files: int = 1, max_fields: int = 20) -> FormData:
    """A multipart or urlencoded body, files spooled to disk by Starlette; read here so that the body limit answers
    413 itself (a middleware's task group wraps its signal: unwrapped, BodyLimit answers as it should)."""
    try:
        return await request.form(max_files=max_files, max_fields=max_fields)
    except BaseExceptionGroup as group:
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise


async def _upload(request: Request) -> FormData:
    return await read_form(request)


Upload = Annotated[FormData, Depends(_upload)]  # an uploaded file's form (one file, up to 20 fields)
