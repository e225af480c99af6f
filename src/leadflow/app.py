"""create_app(settings): routers, middleware, and domain errors mapped to HTTP once."""

from __future__ import annotations

import json
import logging
import math
import re
import time
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from leadflow import __version__, stages
from leadflow import values as plain
from leadflow.db import make_engine, make_sessionmaker, reading
from leadflow.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooMany,
    Unauthorized,
)
from leadflow.http import RateLimiter
from leadflow.settings import Settings, ensure_secret_key
from leadflow.web import pages

log = logging.getLogger("leadflow.http")

# Capture endpoints read their own body, so an oversized one is still kept as a rejected capture.
SELF_LIMITED = ("/api/v1/leads", "/f/", "/compat/")
UPLOADS = ("/api/v1/imports", "/imports/new", "/api/v1/campaigns/spend-imports", "/campaigns/spend")


class BodyLimit:
    """413 for a body over the limit, counted as it streams (a missing or false Content-Length changes nothing)."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith(UPLOADS):
            limit = self.settings.max_upload_bytes
        elif path.startswith(SELF_LIMITED):
            limit = max(self.settings.max_upload_bytes, self.settings.max_body_bytes)
        else:
            limit = self.settings.max_body_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return await _too_large(send, limit)
        seen, answered = 0, False

        async def limited() -> dict:
            # Answer 413 here, then tell the app the client left: parsers turn exceptions into 400s.
            nonlocal seen, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    answered = True
                    await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def sending(message: dict) -> None:
            if not answered:
                await send(message)

        try:
            await self.app(scope, limited, sending)
        except Exception:
            if not answered:
                raise


class PlainUrl:
    """Control characters are dropped from the path and the query as from every text (PostgreSQL refuses NUL):
    `?q=%00` searches the same on both databases instead of failing on one."""

    ENCODED = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF]|[cC]2%[89][0-9a-fA-F])")

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"")
            if b"%" in query and self.ENCODED.search(query):
                scope = {**scope, "query_string": self.ENCODED.sub(
                    lambda m: m.group() if m.group().lower() in (b"%09", b"%0a", b"%0d") else b"", query)}
            path = scope.get("path", "")
            if plain.CONTROL.search(path):
                scope = {**scope, "path": plain.clean(path),
                         "raw_path": self.ENCODED.sub(b"", scope.get("raw_path") or path.encode())}
        await self.app(scope, receive, send)


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse({"error": "too_large", "errors": [{"field": "body",
                                                               "reason": f"larger than {limit} bytes"}]},
                            status_code=413)
    await response({"type": "http"}, None, send)  # type: ignore[arg-type]


class RequestLog:
    """Logs server errors (and every request at DEBUG) with method, path, status and duration: plain ASGI, no copies.

    A request whose client went away before any answer is logged at INFO as such: it is not an error of ours."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = None

        async def sending(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            fields = {"method": scope["method"], "path": scope["path"], "status": status,
                      "duration_ms": round((time.perf_counter() - started) * 1000, 2)}
            if status is None:
                log.info("%s %s: client disconnected before the answer", scope["method"], scope["path"],
                         extra=fields)
            elif status >= 500 or log.isEnabledFor(logging.DEBUG):
                log.log(logging.ERROR if status >= 500 else logging.DEBUG, "%s %s %s", scope["method"],
                        scope["path"], status, extra=fields)


class ServerErrors:
    """An unknown error becomes a logged 500 here and goes no further, so the connection stays usable: Starlette's
    outermost error middleware would answer and then re-raise, and Uvicorn closes a keep-alive connection on that.
    A client that went away while its request ran (its body cut short) gets no answer and is no error of ours."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        answered = False

        async def sending(message: dict) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ClientDisconnect:
            return
        except Exception:
            if answered:  # half an answer cannot be mended: the server closes this connection
                raise
            await _internal_error(scope["method"], scope["path"])(scope, receive, send)


def _internal_error(method: str, path: str) -> JSONResponse:
    log.exception("unhandled error on %s %s", method, path)
    return _errors(500, "internal", [{"field": "server", "reason": "internal error; it has been logged"}])


def _errors(status: int, error: str, errors: list[dict], headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "errors": errors}, status_code=status, headers=headers)


def _is_page(request: Request) -> bool:
    return getattr(request.state, "page", False)


def _page_problem(request: Request, status: int, errors: list[dict]):
    """A page's bad input answered with a page that names each field and reason, not JSON."""
    message = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or "The request could not be read."
    return pages.error_page(request, status, "This cannot be done", message)


def _out_of_range(exc: BaseException) -> bool:
    """A number from the client too large for the database (SQLite's OverflowError, PostgreSQL's 22003)."""
    orig = getattr(exc, "orig", None) or exc
    return isinstance(orig, OverflowError) or getattr(orig, "sqlstate", None) == "22003"


WHOLE = re.compile(r"[+-]?[0-9]+")


def _beyond(value: object) -> bool:
    """A whole number (or its digits in a text) outside what the database's integers hold."""
    if isinstance(value, str):
        text = value.strip()
        if not WHOLE.fullmatch(text):
            return False
        if len(text.lstrip("+-").lstrip("0")) > 19:  # more digits than any 64-bit number has
            return True
        value = int(text)
    if isinstance(value, float):
        return math.isfinite(value) and not plain.MIN_INT <= value <= plain.MAX_ID
    return not plain.fits(value)


def _leaves(value: object, path: str):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, value


async def _field_out_of_range(request: Request) -> str | None:
    """Where the number too large for the database is: a path parameter, a query parameter or the JSON body
    (`lead_ids.3`, `definition.steps.0.template_id`); None when none of them holds one."""
    for name, value in request.path_params.items():
        if _beyond(value):
            return name
    for name, value in request.query_params.multi_items():
        if _beyond(value):
            return name
    if "json" not in request.headers.get("content-type", ""):
        return None
    try:
        body = json.loads(await request.body())
    except (ValueError, RuntimeError, ClientDisconnect):  # not JSON, or a body read as a stream: no guess
        return None
    return next((path or "body" for path, value in _leaves(body, "") if _beyond(value)), None)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Invalid)
    async def _invalid(request: Request, exc: Invalid):
        errors = [{"field": e.field, "reason": e.reason} for e in exc.errors]
        if _is_page(request):
            return _page_problem(request, 422, errors)
        return _errors(422, "invalid", errors)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError):
        return await _number_out_of_range(request, exc)

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError):
        if _out_of_range(exc):
            return await _number_out_of_range(request, exc)
        return await _unknown(request, exc)

    async def _number_out_of_range(request: Request, exc: BaseException):
        """The last resort: bounds checked when the request is read (`inputs.Id`) name the field first."""
        if _is_page(request):
            return pages.error_page(request, 404, "Not found", "There is nothing with that number here.")
        field = await _field_out_of_range(request)
        if field is None:
            return _errors(422, "invalid", [{"field": "request", "reason": "a number is out of range"}])
        return _errors(422, "invalid", [{"field": plain.shown(field), "reason": plain.RANGE_REASON}])

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        if _is_page(request):
            return pages.error_page(request, 404, "Not found",
                                    f"There is no {exc.what} here, or it is not yours to see.")
        return _errors(404, "not_found", [{"field": "id", "reason": str(exc)}])

    @app.exception_handler(pages.LoginRequired)
    async def _login(request: Request, exc: pages.LoginRequired):
        target = "/login" if exc.path == "/" else f"/login?next={quote(exc.path, safe='')}"
        headers = {"HX-Redirect": target} if request.headers.get("hx-request") else None
        return RedirectResponse(target, status_code=303, headers=headers)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict):
        return _errors(409, "conflict", [{"field": "body", "reason": str(exc)}])

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized):
        return _errors(401, "unauthorized", [{"field": "authorization", "reason": str(exc)}],
                       {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        if _is_page(request):
            return pages.error_page(request, 403, "Not allowed", str(exc).capitalize() + ".")
        return _errors(403, "forbidden", [{"field": "authorization", "reason": str(exc)}])

    @app.exception_handler(TooMany)
    async def _too_many(request: Request, exc: TooMany):
        return _errors(429, "rate_limited", [{"field": "client", "reason": "too many requests; slow down"}],
                       {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors, status, kind = [], 422, "invalid"
        for error in exc.errors():
            if error.get("type") == "json_invalid":
                status, kind = 400, "malformed"
                errors.append({"field": "body", "reason": f"malformed JSON: {error.get('msg')}"})
                continue
            location = [str(p) for p in error.get("loc", ()) if p not in ("body",)]
            if location and location[0] in ("query", "path", "header"):
                location = location[1:]
            reason = error.get("msg", "invalid")
            if error.get("type") == "extra_forbidden":
                reason = "is not a known field"
            errors.append({"field": plain.shown(".".join(location)) or "body", "reason": plain.shown(reason)})
        if _is_page(request):
            return _page_problem(request, status, errors)
        return _errors(status, kind, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return _errors(exc.status_code, "http", [{"field": "request", "reason": str(exc.detail)}],
                       getattr(exc, "headers", None))

    async def _unknown(request: Request, exc: Exception):
        return _internal_error(request.method, request.url.path)


def assemble(app: FastAPI, settings: Settings) -> None:
    """The stages plugged in: their routers in order, their navigation and templates for the pages, the values one
    stage's code is handed from another (leads' page edits run qualification's checks; campaigns count leads
    through leads' reader), and the lead tables identity's merges walk."""
    for routes in stages.routers():
        if routes.setting is None or getattr(settings, routes.setting):
            app.include_router(routes.router)
    app.state.navigation = stages.navigation()
    app.state.template_packages = stages.template_packages()
    edited = stages.hook("lead_edited")

    def lead_edited(session, lead_ids, *, actor):
        for step in edited:
            step(lead_ids, session=session, actor=actor)

    app.state.lead_edited = lead_edited
    # Columns stages above leads add to the inbox's CSV export (the same as `leadflow export leads`).
    app.state.lead_export_columns = tuple(stages.hook("lead_export_columns"))
    (app.state.campaign_leads,) = stages.hook("campaign_leads")
    # Follow-up states and the overdue filter the inbox shows (followup sits above leads).
    app.state.lead_followup = next(iter(stages.hook("lead_followup")), None)
    # The inbox's segment filter: its menu and the members' select (segments sits above leads).
    app.state.lead_segments = next(iter(stages.hook("lead_segments")), None)
    stages.wire()


def create_app(settings: Settings, *, engine=None, sessionmaker=None) -> FastAPI:
    """The web application; tests pass their own sessionmaker (one connection, rolled back)."""
    app = FastAPI(title="leadflow", version=__version__, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  description="Lead management: capture, one record per person, scoring, routing, follow-up, ROI.")
    if sessionmaker is None:
        engine = engine or make_engine(settings.database_url)
        sessionmaker = make_sessionmaker(engine)
    app.state.settings = settings
    app.state.engine = engine or sessionmaker.kw.get("bind")
    app.state.sessionmaker = sessionmaker  # sessions that may write (SQLite: BEGIN IMMEDIATE)
    app.state.write_sessionmaker = sessionmaker  # the same, by its older name
    app.state.read_sessionmaker = reading(sessionmaker)  # GET requests and sign-in checks: concurrent reads
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.secret_key = ensure_secret_key(settings, app.state.engine)

    install_error_handlers(app)

    assemble(app, settings)

    app.mount("/static", StaticFiles(directory=pages.static_directory()), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse(f"/static/favicon.svg?v={__version__}", status_code=308)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI from leadflow's own static files (npm's swagger-ui-dist, copied by `make install`): the API
        documentation works without the internet."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="leadflow API",
            swagger_js_url=f"/static/vendor/swagger-ui/swagger-ui-bundle.js?v={__version__}",
            swagger_css_url=f"/static/vendor/swagger-ui/swagger-ui.css?v={__version__}",
            swagger_favicon_url=f"/static/favicon.svg?v={__version__}",
            swagger_ui_parameters={"validatorUrl": None})

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict:
        return {"status": "ok", "version": __version__}

    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(PlainUrl)
    app.add_middleware(ServerErrors)
    app.add_middleware(RequestLog)
    return app
