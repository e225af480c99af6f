"""CSRF: a token per browser session in every form (and htmx request), checked on every unsafe method of the pages.

The token is an HMAC of the session cookie (or, before sign-in, of a random cookie of its own), so it needs no
storage and changes with every session; the JSON API authenticates with a Bearer key and needs none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from leadflow.errors import Forbidden

SESSION_COOKIE = "leadflow_session"
BROWSER_COOKIE = "leadflow_browser"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE = ("GET", "HEAD", "OPTIONS")


class CsrfRejected(Forbidden):
    pass


def _binding(request: Request) -> str | None:
    return (request.cookies.get(SESSION_COOKIE) or getattr(request.state, "session_token", None)
            or request.cookies.get(BROWSER_COOKIE) or getattr(request.state, "browser_cookie", None))


def _sign(request: Request, binding: str) -> str:
    return hmac.new(request.app.state.secret_key.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def token(request: Request) -> str:
    """The token for this browser's forms; a browser without a cookie gets one (render() sets it)."""
    binding = _binding(request)
    if binding is None:
        binding = request.state.browser_cookie = secrets.token_urlsafe(24)
    return _sign(request, binding)


async def protect(request: Request) -> None:
    if request.method in SAFE:
        return
    sent = request.headers.get(HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FIELD)
            sent = value if isinstance(value, str) else None
    binding = request.cookies.get(SESSION_COOKIE) or request.cookies.get(BROWSER_COOKIE)
    if not sent or not binding or not hmac.compare_digest(sent, _sign(request, binding)):
        raise CsrfRejected("this form has expired or did not come from this site: reload the page and try again")
