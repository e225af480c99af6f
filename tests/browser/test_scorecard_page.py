"""The scorecard page at desktop (1400 px) and tablet (768 px) width: the table, its flags in words and the money
table fit without sideways scrolling of the page; the screenshot docs/screenshots/scorecard.png."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from leadflow import clock, db
from leadflow.followup.models import Followup
from leadflow.leads.models import Lead
from leadflow.pipeline.models import Opportunity, Quote
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
TABLE_FITS = "(() => { const w = document.querySelector('.scorecard-table .table-wrap'); " \
             "return w.scrollWidth <= w.clientWidth; })()"


@pytest.fixture(scope="module")
def handed_over(site):
    """This month's hand-overs for the two reps: Sam follows most up and wins; Olga lets most go overdue."""
    engine = db.make_engine(site.url)
    factory = db.make_sessionmaker(engine)
    start = clock.now().replace(day=1, hour=8, minute=0, second=0, microsecond=0)
    with factory() as session:
        for i in range(40):
            owner = site.rep if i % 2 else site.other_rep
            lead = Lead(email=f"scorecard-browser-{i}@example.com", owner_id=owner.id)
            session.add(lead)
            session.flush()
            handed = start + timedelta(minutes=17 * i)
            contacted = owner is site.rep or i % 8 == 0
            session.add(Followup(lead_id=lead.id, owner_id=owner.id, handed_at=handed,
                                 due_at=handed + timedelta(hours=24), source="web" if i % 3 else "fair",
                                 status="followed_up" if contacted else "open",
                                 first_contact_at=handed + timedelta(hours=2 + i % 5) if contacted else None))
            if contacted and i % 3 == 1:
                session.add(Quote(lead_id=lead.id, amount=Decimal("18000"), status="sent"))
            if contacted and i % 4 == 1:
                session.add(Opportunity(lead_id=lead.id, name="Deal", value=Decimal("18000"), stage="won",
                                        status="won", closed_at=handed + timedelta(days=12), owner_id=owner.id))
        session.commit()
    engine.dispose()


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (768, 1024)])
def test_the_scorecard_fits_and_flags_in_words(browser, site, handed_over, width, height):
    context = browser.new_context(base_url=site.base, viewport={"width": width, "height": height}, locale="en-GB",
                                  timezone_id="UTC")
    page = context.new_page()
    try:
        sign_in(page, site.admin, next="/scorecard")
        expect(page.get_by_role("heading", name="Scorecard")).to_be_visible()
        for name in ("Sam Rep", "Olga Rep", "All"):  # the two reps, and all (the demo's reps beside them)
            expect(page.locator("#scorecard tbody tr th", has_text=name)).to_have_count(1)
        expect(page.locator("#scorecard .flag").first).to_be_visible()
        page.get_by_role("link", name="Olga Rep").click()
        expect(page.locator("#sc-money-title")).to_contain_text("Olga Rep")
        expect(page.locator(".money-table tfoot")).to_contain_text("Left on the table")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(FITS)
        assert page.evaluate(TABLE_FITS)
        if width == 1400:
            screenshot(page, "scorecard.png", full_page=True)
        page.get_by_label("Group by").select_option("source")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#scorecard tbody tr th", has_text="fair")).to_have_count(1)
    finally:
        context.close()
