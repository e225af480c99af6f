"""The tracking script in Chromium on a website of another origin: a page view and a download are recorded for an
anonymous visitor, and after the visitor submits leadflow's embedded form those events belong to the new lead; a
visitor who comes from an email click is the lead from the landing page on (the click's token, handed back)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import create_engine, text

from leadflow import db
from leadflow.capture.forms.definition import MIN_FILL_SECONDS
from tests.integration.live import free_port

pytestmark = pytest.mark.browser

# crawlerdetect counts "HeadlessChrome" as a bot: the visitor is an ordinary desktop Chrome.
DESKTOP_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Safari/537.36")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def website(tmp_path):
    """A second HTTP server on another origin (localhost, its own port) serving the customer's page."""
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://localhost:{port}"
    server.shutdown()
    server.server_close()


def _until(check, what: str, timeout: float = 60.0):
    """Poll until `check()` returns something truthy (beacons are batched and sent in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.25)


def test_page_view_and_download_of_an_anonymous_visitor_join_the_lead_after_the_embedded_form(site, browser,
                                                                                              website):
    from playwright.sync_api import expect

    folder, origin = website
    slug = f"tracked-{uuid.uuid4().hex[:8]}"
    email = f"visitor-{uuid.uuid4().hex[:8]}@example.com"
    with site.api() as api:
        created = api.post("/api/v1/forms", json={
            "name": "Brochure request", "slug": slug, "default_language": "en",
            "title": {"en": "Get the brochure"}, "submit_label": {"en": "Send"},
            "fields": [{"maps_to": "email", "required": True, "label": {"en": "Email address"}},
                       {"maps_to": "first_name", "label": {"en": "First name"}}],
            "thank_you": {"en": "Thanks, the brochure is on its way."},
            "allowed_origins": ["https://www.example.com"]})
        assert created.status_code == 201, created.text
    engine = create_engine(db.normalize_url(site.url))
    with engine.begin() as conn:  # forms accept https origins only; the test site is plain http on loopback
        conn.execute(text("UPDATE forms SET allowed_origins = :origins WHERE id = :id"),
                     {"origins": json.dumps([origin]), "id": created.json()["id"]})
    # The allowed origins are cached for up to a minute: wait until the new form's origin may send beacons.
    _until(lambda: httpx.options(site.base + "/t/collect", headers={"Origin": origin}).status_code == 204,
           "the website's origin to be allowed")
    (folder / "brochure.pdf").write_bytes(b"%PDF-1.4\n% leadflow browser test\n")
    (folder / "index.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pumps and valves</title>
<script src="{site.base}/t/lf.js" async></script></head>
<body><h1>Pumps and valves</h1>
<p><a href="/brochure.pdf" download>Download the brochure</a></p>
<div data-leadflow-form="{slug}"></div>
<script src="{site.base}/f/{slug}/embed.js" async></script>
</body></html>""", encoding="utf-8")

    def events(**where) -> list[str]:
        clause = " AND ".join(f"{column} = :{column}" for column in where)
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text(f"SELECT type FROM events WHERE {clause} ORDER BY id"),
                                                   where)]

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="UTC",
                                  user_agent=DESKTOP_CHROME, accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(origin + "/index.html?utm_source=newsletter")
        shown_at = time.monotonic()
        expect(page.get_by_label("Email address")).to_be_visible()
        visitor = _until(lambda: next((c["value"] for c in context.cookies(origin) if c["name"] == "lf_vid"), None),
                         "the lf_vid cookie")
        _until(lambda: "page_view" in events(visitor_id=visitor), "the page view beacon")

        with page.expect_download() as download:
            page.get_by_role("link", name="Download the brochure").click()
        assert download.value.suggested_filename == "brochure.pdf"
        _until(lambda: "download" in events(visitor_id=visitor), "the download beacon")
        assert all(lead is None for lead in _leads_of(engine, visitor))  # still anonymous

        # The form refuses (silently, as spam) a submission sent sooner than a person could fill it in.
        page.wait_for_timeout(max(0.0, shown_at + MIN_FILL_SECONDS + 0.5 - time.monotonic()) * 1000)
        page.get_by_label("Email address").fill(email)
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_text("Thanks, the brochure is on its way.")).to_be_visible()

        with site.api() as api:
            lead = _until(lambda: next(iter(api.get("/api/v1/leads", params={"email": email}).json()["items"]),
                                       None), "the lead")
            joined = _until(lambda: {"page_view", "download"} <= set(events(lead_id=lead["id"]))
                            and events(lead_id=lead["id"]), "the visitor's events to join the lead")
            assert {"page_view", "download"} <= set(joined)
            assert set(_leads_of(engine, visitor)) == {lead["id"]}
            assert events(lead_id=lead["id"]).count("form_submit") == 1  # the server's, not lf.js's as well
            assert api.get(f"/api/v1/leads/{lead['id']}").json()["score"] > 0
    finally:
        context.close()
        engine.dispose()


def _leads_of(engine, visitor: str) -> list[int | None]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT lead_id FROM events WHERE visitor_id = :v"),
                                               {"v": visitor})]


def _allow(site, origin: str) -> None:
    """A form allowing the website's origin (forms take https origins only: the test site is plain http on
    loopback, so the row is set directly), and the wait until the origin cache knows it."""
    slug = f"site-{uuid.uuid4().hex[:8]}"
    with site.api() as api:
        created = api.post("/api/v1/forms", json={
            "name": "Site", "slug": slug, "default_language": "en", "title": {"en": "Contact"},
            "fields": [{"maps_to": "email", "required": True, "label": {"en": "Email"}}],
            "allowed_origins": ["https://www.example.com"]})
        assert created.status_code == 201, created.text
    engine = create_engine(db.normalize_url(site.url))
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE forms SET allowed_origins = :origins WHERE id = :id"),
                         {"origins": json.dumps([origin]), "id": created.json()["id"]})
    finally:
        engine.dispose()
    _until(lambda: httpx.options(site.base + "/t/collect", headers={"Origin": origin}).status_code == 204,
           "the website's origin to be allowed")


def test_after_an_email_click_the_websites_page_views_belong_to_the_lead(site, browser, website):
    from leadflow.tracking import email_service

    folder, origin = website
    _allow(site, origin)
    for name, title in (("offer", "Our spring offer"), ("prijzen", "Prijzen")):
        (folder / f"{name}.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script src="{site.base}/t/lf.js" async></script></head>
<body><h1>{title}</h1><p><a href="/prijzen.html">Prices</a></p></body></html>""", encoding="utf-8")
    email = f"reader-{uuid.uuid4().hex[:8]}@example.com"
    with site.api() as api:
        created = api.post("/api/v1/leads", json={"email": email, "first_name": "Rita"})
        assert created.status_code == 201, created.text
        lead_id = created.json()["id"]
        before = api.get(f"/api/v1/leads/{lead_id}").json()["score"] or 0
    secret = "live-test-" + "y" * 40  # the live server's (tests/integration/live.py)
    link = email_service.click_url(site.base, secret, lead_id, origin + "/offer.html?utm_source=newsletter#top")
    engine = create_engine(db.normalize_url(site.url))

    def views() -> list[tuple[str, int | None]]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT properties, lead_id FROM events WHERE type = 'page_view' AND "
                                     "visitor_id = :v ORDER BY id"), {"v": visitor})
            return [((p if isinstance(p, dict) else json.loads(p))["path"], lead) for p, lead in rows]

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="UTC",
                                  user_agent=DESKTOP_CHROME)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(link)  # the email's link: leadflow records the click and sends the browser to the website
        _until(lambda: page.url == origin + "/offer.html?utm_source=newsletter#top", "lf_t to leave the address")
        assert email not in page.url
        visitor = _until(lambda: next((c["value"] for c in context.cookies(origin) if c["name"] == "lf_vid"), None),
                         "the website's lf_vid cookie")
        _until(lambda: views() == [("/offer.html", lead_id)], "the landing page view to be the lead's")

        page.get_by_role("link", name="Prices").click()
        _until(lambda: views() == [("/offer.html", lead_id), ("/prijzen.html", lead_id)],
               "the next page view to be the lead's")
        with site.api() as api:  # the click, two page views, the (Dutch) pricing page: scored as they arrived
            assert api.get(f"/api/v1/leads/{lead_id}").json()["score"] == before + 4 + 1 + 1 + 10
    finally:
        context.close()
        engine.dispose()
