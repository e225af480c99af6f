"""Rendering pages: the Jinja2 environment over every stage's templates, flash messages, redirects, the page router."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from leadflow import __version__
from leadflow.web import csrf

# Stages with pages add their package here: templates live in <stage>/templates/<stage>/.
TEMPLATE_PACKAGES = ("leadflow.web", "leadflow.people", "leadflow.leads", "leadflow.campaigns", "leadflow.capture",
                     "leadflow.identity", "leadflow.qualification",
                     "leadflow.tracking", "leadflow.scoring")
FLASH_COOKIE = "leadflow_flash"
# The main navigation: label, address, and the permission a user needs to see the item.
NAVIGATION = (
    ("Inbox", "/leads", "leads:read"),
    ("Call lists", "/call-lists", "call_lists:read"),
    ("Quick entry", "/leads/new", "leads:create"),
    ("Duplicates", "/duplicates", "leads:merge"),
    ("Campaigns", "/campaigns", "campaigns:read"),
    ("Forms", "/forms", "forms:read"),
    ("Imports", "/imports", "imports:read"),
    ("Companies", "/companies", "companies:read"),
    ("Scoring", "/scoring", "scoring:rules"),
    ("Sales Ready", "/settings/sales-ready", "qualification:rule"),
    ("Settings", "/settings", "users:manage"),
)
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


def page_router(**kwargs) -> APIRouter:
    """Every web page's router: out of the API docs, pages for errors, CSRF checked on every unsafe method."""
    dependencies = [Depends(mark_page), Depends(csrf.protect), *kwargs.pop("dependencies", [])]
    return APIRouter(include_in_schema=False, dependencies=dependencies, **kwargs)


@lru_cache
def environment() -> Environment:
    packages = [p for p in TEMPLATE_PACKAGES if resources.files(p).joinpath("templates").is_dir()]
    env = Environment(loader=ChoiceLoader([PackageLoader(p, "templates") for p in packages]),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.globals["static"] = lambda path: f"/static/{path}?v={__version__}"
    return env


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool


def main_navigation(path: str, permissions) -> list[NavItem]:
    """The items this user may see, the one whose section holds `path` marked current: the item with the longest
    address the path starts with (/settings/sales-ready is Sales Ready's, not Settings'; /leads/new is Quick entry's,
    /leads/7 the Inbox's)."""
    items = [(label, href) for label, href, permission in NAVIGATION if permission in permissions]
    within = [href for _, href in items if path == href or path.startswith(href.rstrip("/") + "/")]
    current = max(within, key=len, default=None)
    return [NavItem(label, href, href == current) for label, href in items]


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
    values = {"request": request, "user": getattr(request.state, "user", None), "flashes": _flashes(request),
              "permissions": permissions, "main_navigation": main_navigation(request.url.path, permissions),
              "csrf_token": csrf.token(request), **(context or {})}
    response = HTMLResponse(environment().get_template(template).render(values), status_code=status_code,
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
