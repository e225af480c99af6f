"""Browser tests: Playwright drives Debian's Chromium against a real `leadflow serve` on a database of its own.

One server per test session (per xdist worker), seeded by `leadflow demo` and four users of our own; each test gets
a fresh browser context (no cookies), at desktop width unless it says otherwise.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadflow import db
from tests.conftest import Database
from tests.integration.live import ROOT, LiveServer

PASSWORD = "browser tests only 7!"
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO_SEED = 26


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: str


@dataclass
class Site:
    base: str
    url: str  # the database's
    auth: dict
    admin: User
    marketing: User
    rep: User
    other_rep: User

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=self.auth, timeout=30)


def _chromium() -> str | None:
    return os.environ.get("LEADFLOW_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _chromium()
    if path is None:
        message = "Chromium is not installed (apt-get install -y chromium, or set LEADFLOW_CHROMIUM)"
        if os.environ.get("LEADFLOW_BROWSER_TESTS") == "required":
            pytest.fail(message + "; LEADFLOW_BROWSER_TESTS=required", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=45_000)  # waiting is fine on a busy machine; no test asserts a duration

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _seed(url: str) -> dict[str, User]:
    """The demo company (a few hundred leads with their work), plus the four people the tests sign in as."""
    from leadflow import demo
    from leadflow.people import service as people_service

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        demo.run(factory, leads=240, seed=DEMO_SEED)
        plan = {"admin": ("admin", "Alex Admin"), "marketing": ("marketing", "Mara de Vries"),
                "rep": ("sales_rep", "Sam Rep"), "other_rep": ("sales_rep", "Olga Rep")}
        people = {}
        with factory() as session:
            for key, (role, name) in plan.items():
                email = f"{key.replace('_', '-')}@browser.example"
                user = people_service.create_user(session=session, email=email, role=role, name=name,
                                                  team="Sales Central" if role == "sales_rep" else None,
                                                  password=PASSWORD)
                session.flush()
                people[key] = User(user.id, email, name, role)
            session.commit()
    finally:
        engine.dispose()
    return people


@pytest.fixture(scope="session")
def site(tmp_path_factory, chromium_path) -> Iterator[Site]:
    database = Database(tmp_path_factory.mktemp("browser-db"), name_hint="browser_")
    try:
        db.upgrade(database.url)
        people = _seed(database.url)
        # The embedded worker runs the imports started from the browser, as in production.
        with LiveServer(database.url, LEADFLOW_EMBEDDED_WORKER="true") as server:
            yield Site(base=server.base, url=database.url, auth=server.auth, **people)
    finally:
        database.drop()


class Console:
    """Errors the page reported: console errors (CSP violations among them) and uncaught exceptions.

    Not counted: the status of a page itself (a wrong password is a 401 page, an unknown lead a 404 page: the
    server's answer, not the page's fault), and the browser's own request for /favicon.ico.
    """

    def __init__(self, page):
        self.errors: list[str] = []
        self.pages: set[str] = set()
        page.on("console", self._message)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("request", lambda request: self.pages.add(request.url.split("#")[0])
                if request.is_navigation_request() else None)

    def _message(self, msg) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and (
                where.endswith("/favicon.ico") or where.split("#")[0] in self.pages):
            return
        self.errors.append(f"{msg.text} ({where})")

    def take(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors


@pytest.fixture
def context(browser, site):
    context = browser.new_context(base_url=site.base, viewport=DESKTOP, locale="en-GB", timezone_id="UTC",
                                  accept_downloads=True)
    context.set_default_timeout(45_000)  # a loaded 2-CPU machine (a suite and a browser beside) took over 15 s
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def console(page) -> Console:
    return Console(page)


def sign_in(page, user: User, *, password: str = PASSWORD, next: str | None = None) -> None:
    from playwright.sync_api import expect

    page.goto("/login" + (f"?next={next}" if next else ""))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # and loaded: htmx is ready before the test types
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_be_visible()


def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), animations="disabled", caret="hide", full_page=full_page)
    return path


def make_ab_test(api, *, template_name: str, test_name: str, **extra) -> int:
    """An email template and an A/B test of two subjects on it with a 10 % hold-out, through the API: the test's id."""
    made = api.post("/api/v1/email/templates", json={
        "name": template_name, "subject": "Spring",
        "body_mjml": "<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section>"
                     "</mj-body></mjml>"})
    assert made.status_code == 201, made.text
    template_id = made.json()["id"]
    test = api.post("/api/v1/email/experiments", json={
        "name": test_name, **extra,
        "variants": [{"key": "Subject with the first name", "template_id": template_id},
                     {"key": "Subject with the offer", "template_id": template_id,
                      "subject": "10 % off heat pumps this spring"}], "holdout_pct": 10})
    assert test.status_code == 201, test.text
    return test.json()["id"]
