"""What every router shares: the request's database session, who acts (API key or signed-in user), client address,
rate limits."""

from __future__ import annotations

import functools
import random
import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from leadflow.db import is_transient
from leadflow.errors import TooMany, Unauthorized
from leadflow.people import service as people_service
from leadflow.people import signin
from leadflow.people.service import Actor
from leadflow.settings import Settings
from leadflow.web import csrf
from leadflow.web.pages import LoginRequired


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


# Declares the API key in the OpenAPI schema (its Authorize button in /docs); the check is api_actor's own, so a
# missing or malformed header gets leadflow's 401 with the reason.
BEARER = HTTPBearer(auto_error=False, scheme_name="apiKey", bearerFormat="API key",
                    description="An API key from `leadflow apikey create` or Settings, sent as "
                                "`Authorization: Bearer KEY`.")


def api_actor(request: Request, _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None
              ) -> Actor:
    """The API key's actor, checked in a short session of its own (released before the endpoint runs)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer KEY'")
    with request.app.state.read_sessionmaker() as session:
        actor, use_due = people_service.check_api_key(session, key.strip())
    if use_due:
        with request.app.state.sessionmaker() as session:
            people_service.record_key_use(session, actor.id)
            session.commit()
    return actor


ApiActor = Annotated[Actor, Depends(api_actor)]


def permitted(permission: str):
    """A dependency: the API key's actor, when it holds this permission (403 with the reason otherwise)."""

    def check(actor: ApiActor) -> Actor:
        actor.require(permission)
        return actor

    return Depends(check)


def page_actor(request: Request) -> Actor:
    """The signed-in user of a page (from the session cookie), or a redirect to /login."""
    with request.app.state.read_sessionmaker() as session:
        user = signin.session_user(session, request.cookies.get(csrf.SESSION_COOKIE))
        if user is None:
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        session.expunge(user)
    request.state.user = user
    actor = people_service.actor_for(user)
    request.state.permissions = actor.permissions
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


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
