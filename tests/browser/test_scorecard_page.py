"""The scorecard page at desktop (1400 px) and tablet (768 px) width: the table, its flags in words, the money
table and the charts fit without sideways scrolling of the page; the charts, drawn by leadflow's own Chart.js with
no error and no CSP violation, show the table's figures; a rep's show their row only; the screenshot
docs/screenshots/scorecard.png."""

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
from tests.browser.test_charts import check_drawn, open_charts

pytestmark = pytest.mark.browser

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
TABLE_FITS = "(() => { const w = document.querySelector('.scorecard-table .table-wrap'); " \
             "return w.scrollWidth <= w.clientWidth; })()"
# The scorecard's table: each row's name and its cells' text (handed over, followed up, overdue, ...).
TABLE = """() => Object.fromEntries([...document.querySelectorAll('#scorecard tbody tr')].map(tr =>
  [tr.querySelector('th').textContent.trim(), [...tr.querySelectorAll('td')].map(td => td.textContent.trim())]))"""
MONEY = """() => [...document.querySelectorAll('.money-table tbody tr')].map(tr =>
  [tr.querySelector('th').textContent.trim(), tr.querySelector('td').textContent.trim()])"""


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


def _same_as_the_table(page, charts: dict[str, dict]) -> None:
    """Each rep's bar is the figure of their row in the scorecard's table (followed up, then overdue)."""
    table = page.evaluate(TABLE)
    for chart_id, cell in (("sc-chart-followed-up", 1), ("sc-chart-overdue", 2)):
        data = charts[chart_id]["json"]
        assert set(data["labels"]) == set(table) - {"All"}
        for label, value in zip(data["labels"], data["series"][0]["values"], strict=True):
            assert table[label][cell].startswith(f"{value:.1f} %"), (chart_id, label, value, table[label])


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (768, 1024)])
def test_the_scorecard_fits_and_flags_in_words(browser, site, handed_over, width, height):
    context, page, console, requests = open_charts(browser, site, width=width, height=height)
    try:
        sign_in(page, site.admin, next="/scorecard")
        expect(page.get_by_role("heading", name="Scorecard")).to_be_visible()
        for name in ("Sam Rep", "Olga Rep", "All"):  # the two reps, and all (the demo's reps beside them)
            expect(page.locator("#scorecard tbody tr th", has_text=name)).to_have_count(1)
        expect(page.locator("#scorecard .flag").first).to_be_visible()
        charts = {c["id"]: c for c in check_drawn(page, site, console, requests)}
        _same_as_the_table(page, charts)
        assert charts["sc-chart-followed-up"]["json"]["norm"] == {
            "value": 80.0, "direction": ">=", "label": "Norm: at least 80.0 %"}
        assert charts["sc-chart-overdue"]["json"]["norm"]["direction"] == "<="
        page.get_by_role("link", name="Olga Rep").first.click()
        expect(page.locator("#sc-money-title")).to_contain_text("Olga Rep")
        expect(page.locator(".money-table tfoot")).to_contain_text("Left on the table")
        check_drawn(page, site, console, requests)
        assert page.evaluate(FITS)
        assert page.evaluate(TABLE_FITS)
        if width == 1400:
            screenshot(page, "scorecard.png", full_page=True)
        page.get_by_label("Group by").select_option("source")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#scorecard tbody tr th", has_text="fair")).to_have_count(1)
        charts = {c["id"]: c for c in check_drawn(page, site, console, requests)}
        assert "fair" in charts["sc-chart-followed-up"]["labels"]
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (768, 1024)])
def test_a_rep_sees_charts_of_their_own_row(browser, site, handed_over, width, height):
    context, page, console, requests = open_charts(browser, site, width=width, height=height)
    try:
        sign_in(page, site.rep, next="/scorecard")
        expect(page.locator("#scorecard tbody tr th")).to_have_text(["Sam Rep", "All"])
        charts = {c["id"]: c for c in check_drawn(page, site, console, requests)}
        assert charts["sc-chart-followed-up"]["labels"] == ["Sam Rep"]
        # His share as the table has it (other tests of the session hand him leads too): checked just below.
        assert 0 < charts["sc-chart-followed-up"]["values"][0][0] <= 100
        _same_as_the_table(page, charts)
        money = charts["sc-chart-money"]["json"]  # his own row is the money table's: its rows as bars
        assert [(label.replace(" (actual)", ""), f"{value:,.2f}") for label, value in
                zip(money["labels"], money["series"][0]["values"], strict=True)] == [
            (name.replace(" actual", ""), revenue) for name, revenue in page.evaluate(MONEY)]
        assert money["series"][0]["highlight"] == [i for i, label in enumerate(money["labels"]) if "actual" in label]
        assert page.evaluate(FITS)
    finally:
        context.close()
