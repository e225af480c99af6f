"""Rendering pages: the Jinja2 environment over every stage's templates, flash messages, redirects, the page router.

It knows no stage: the app hands it the stages' template packages and navigation (`app.state.template_packages`,
`app.state.navigation`, assembled from leadflow.stages)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from leadflow import __version__
from leadflow.web import csrf

FLASH_COOKIE = "leadflow_flash"
HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                                "object-src 'none'"),
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def mark_page(request: Request) -> None:
    """Errors on these routes answer with a page, not JSON."""
    request.state.page = True


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def posted(request: Request) -> dict[str, str]:
    """The submitted form as text values, for a page's POST handler: `form: Posted`. The handler is then a plain
    `def` (its database work runs in the thread pool, never in the event loop) and may be `@retry_races`."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def posted_lists(request: Request) -> dict[str, list[str]]:
    """The submitted form with every value of each name (several checkboxes of one name): `form: PostedLists`."""
    form = await request.form()
    found: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            found.setdefault(key, []).append(value)
    return found


Posted = Annotated[dict[str, str], Depends(posted)]
PostedLists = Annotated[dict[str, list[str]], Depends(posted_lists)]


def page_router(**kwargs) -> APIRouter:
    """Every web page's router: out of the API docs, pages for errors, CSRF checked on every unsafe method."""
    dependencies = [Depends(mark_page), Depends(csrf.protect), *kwargs.pop("dependencies", [])]
    return APIRouter(include_in_schema=False, dependencies=dependencies, **kwargs)


@lru_cache
def environment(stage_packages: tuple[str, ...] = ()) -> Environment:
    """Templates of the web base, then of each stage with pages (each in <stage>/templates/<stage>/)."""
    packages = [p for p in ("leadflow.web", *stage_packages) if resources.files(p).joinpath("templates").is_dir()]
    env = Environment(loader=ChoiceLoader([PackageLoader(p, "templates") for p in packages]),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.globals["static"] = lambda path: f"/static/{path}?v={__version__}"
    # For charts: a ratio (0.25) as a percentage (25.0), none kept; a month's first day as YYYY-MM.
    env.filters["pct"] = lambda ratio: None if ratio is None else float(ratio) * 100
    env.filters["month_label"] = lambda day: day.strftime("%Y-%m")
    env.filters["code_spans"] = code_spans
    return env


def code_spans(text: str | None) -> Markup:
    """A help text's `name` spans as <code>, the rest escaped (the fields' catalogue is written that way)."""
    parts = str(text or "").split("`")
    return Markup("").join(Markup("<code>{}</code>").format(part) if index % 2 else escape(part)
                           for index, part in enumerate(parts))


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool
    icon: str | None = None


def main_navigation(path: str, permissions, entries=()) -> list[NavItem]:
    """The items this user may see (of `entries`: the stages' navigation entries, in order, each with `label`, `path`,
    `permission` and `icon`), the one whose section holds `path` marked current: the item with the longest address
    the path starts with (/settings/sales-ready is Sales Ready's, not Settings'; /leads/new is Quick entry's,
    /leads/7 the Inbox's)."""
    items = [entry for entry in entries if entry.permission in permissions]
    def section(entry) -> str:
        return getattr(entry, "section", None) or entry.path

    within = [section(e) for e in items if path == section(e) or path.startswith(section(e).rstrip("/") + "/")]
    current = max(within, key=len, default=None)
    return [NavItem(e.label, e.path, section(e) == current, e.icon) for e in items]


def static_directory() -> Path:
    return Path(str(resources.files("leadflow.web").joinpath("static")))


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.secret_key, salt="leadflow.flash")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=_secure(request), path="/")


def flash(request: Request, response: Response, text: str, kind: str = "info") -> Response:
    """A message shown once on the next page (kept in a signed cookie)."""
    set_cookie(request, response, FLASH_COOKIE, _serializer(request).dumps([[kind, text]]), max_age=300)
    return response


def _flashes(request: Request) -> list[dict]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        return [{"kind": kind, "text": text} for kind, text in _serializer(request).loads(raw)]
    except (BadSignature, ValueError, TypeError):
        return []


def render(request: Request, template: str, context: dict | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    permissions = getattr(request.state, "permissions", frozenset())
    state = request.app.state
    navigation = main_navigation(request.url.path, permissions, getattr(state, "navigation", ()))
    values = {"request": request, "user": getattr(request.state, "user", None), "flashes": _flashes(request),
              "permissions": permissions, "main_navigation": navigation,
              "csrf_token": csrf.token(request), **(context or {})}
    templates = environment(getattr(state, "template_packages", ()))
    response = HTMLResponse(templates.get_template(template).render(values), status_code=status_code,
                            headers={**HEADERS, **(headers or {})})
    if values["flashes"]:
        response.delete_cookie(FLASH_COOKIE, path="/")
    browser = getattr(request.state, "browser_cookie", None)
    if browser and not request.cookies.get(csrf.BROWSER_COOKIE):
        set_cookie(request, response, csrf.BROWSER_COOKIE, browser)
    return response


def htmx_event(name: str, **detail) -> dict[str, str]:
    """Response headers that make htmx fire the event `name` (its detail: `detail`) on the element that asked."""
    return {"HX-Trigger": json.dumps({name: detail})}


def lead_changed(panel: str) -> dict[str, str]:
    """The answer to a change made in one panel of a lead's page: lead.js then reloads every other panel from its own
    address (the panel that made the change answers with its own new content)."""
    return htmx_event("lead-changed", panel=panel)


def redirect(request: Request, url: str, *, message: str | None = None, kind: str = "info") -> Response:
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    if message:
        flash(request, response, message, kind)
    return response


def local_path(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only (no scheme, no host, no //evil.example)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "message": message}, status_code=status_code)


class LoginRequired(Exception):
    """A page needs a signed-in user: app.py answers with a redirect to /login?next=<the page>."""

    def __init__(self, path: str):
        super().__init__("sign in first")
        self.path = path
