"""The main pages open without console errors or CSP violations, and are photographed for docs/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from leadflow import db
from leadflow.campaigns.models import Campaign
from leadflow.capture.models import Form
from leadflow.leads.models import Activity, Lead
from tests.browser.conftest import TABLET, screenshot, sign_in

pytestmark = pytest.mark.browser


def _ids(site) -> dict[str, int]:
    """What the pages show: a Sales Ready lead with a full timeline and a company, a trade fair, the brochure
    form."""
    engine = db.make_engine(site.url)
    try:
        with db.make_sessionmaker(engine)() as session:
            busy = (select(Activity.lead_id, func.count().label("n")).group_by(Activity.lead_id).subquery())
            lead = session.scalar(
                select(Lead.id).join(busy, busy.c.lead_id == Lead.id)
                .where(Lead.merged_into_id.is_(None), Lead.company.is_not(None), Lead.owner_id.is_not(None),
                       Lead.job_title.is_not(None), Lead.do_not_contact.is_(False),
                       Lead.sales_ready_at.is_not(None), Lead.stage == "sql")
                .order_by(busy.c.n.desc(), Lead.id).limit(1))
            campaign = session.scalar(select(Campaign.id).where(Campaign.code == "fair-elektro-utrecht"))
            form = session.scalar(select(Form.id).where(Form.slug == "brochure-request"))
    finally:
        engine.dispose()
    return {"lead": lead, "campaign": campaign, "form": form}


def test_main_pages_show_without_console_errors_and_are_photographed(page, console, site):
    ids = _ids(site)
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login.png")

    sign_in(page, site.admin)
    pages = [
        ("/leads", "Inbox", "inbox.png"),
        (f"/leads/{ids['lead']}", None, "lead.png"),
        ("/leads/new", "Quick entry", "quick-entry.png"),
        ("/duplicates", None, "duplicates.png"),
        (f"/campaigns/{ids['campaign']}", "Trade fair: Elektrotechniek Utrecht", "campaign.png"),
        (f"/forms/{ids['form']}", None, "form-builder.png"),
        ("/companies", "Companies", "companies.png"),
        ("/settings/users", "Users", "settings-users.png"),
        ("/campaigns", "Campaigns", None),
        ("/forms", "Forms", None),
        ("/imports", "Imports", None),
        ("/settings/teams", "Teams", None),
        ("/settings/api-keys", "API keys", None),
        ("/routing", "Routing", "routing.png"),
        ("/settings/webhooks", "Webhooks", "webhooks.png"),
        ("/notifications", "Notifications", None),
        ("/me/preferences", None, "preferences.png"),
    ]
    problems = {}
    for path, heading, name in pages:
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        page.wait_for_load_state("networkidle")  # fragments loaded by htmx are in
        if heading:
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        if path == "/leads/new":
            page.locator("#qe-campaign").select_option(label="Trade fair: Nor-Shipping Oslo (fair-nor-shipping)")
            page.get_by_label("First name", exact=True).fill("Solveig")
            page.get_by_label("Last name", exact=True).fill("Haugland")
            page.get_by_label("Company", exact=True).fill("Fjordline Marine AS")
            page.get_by_label("First name", exact=True).focus()
        if name:
            screenshot(page, name)
        errors = console.take()
        if errors:
            problems[path] = errors
    assert problems == {}


def test_inbox_fits_a_tablet(browser, site):
    context = browser.new_context(base_url=site.base, viewport=TABLET, locale="en-GB", timezone_id="UTC")
    try:
        page = context.new_page()
        sign_in(page, site.marketing, next="/leads")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#inbox-results tbody tr").first).to_be_visible()
        screenshot(page, "inbox-tablet.png")
        # Nothing but the lead table itself scrolls sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
    finally:
        context.close()
