"""The dashboards in Chromium as the people who use them, at desktop (1400 px) and tablet (768 px) width: marketing
sees campaign economics with ROI, revenue and cost charts drawn by leadflow's own Chart.js (no error, no CSP
violation), the figures' links open the leads behind them; the funnel, sales and management dashboards draw; a
salesperson sees their own figures and no costs; nothing is wider than the window. Screenshots:
docs/screenshots/dashboard-marketing.png, dashboard-management.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_charts import check_drawn, open_charts

pytestmark = pytest.mark.browser

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
LAST_YEAR = "period=last_12_months"


@pytest.mark.parametrize("width", [1400, 768])
def test_marketing_sees_economics_with_charts_and_the_leads_behind_a_figure(browser, site, width):
    context, page, console, requests = open_charts(browser, site, width=width)
    try:
        sign_in(page, site.marketing)
        page.goto(f"/dashboards/marketing?{LAST_YEAR}&group=source")
        expect(page.get_by_role("heading", name="Marketing", exact=True)).to_be_visible()
        charts = check_drawn(page, site, console, requests)
        titles = [c["json"]["title"] for c in charts]
        assert "ROI by source" in titles and "Revenue and cost by source" in titles, titles
        table = page.locator("#economics")
        expect(table.get_by_role("columnheader", name="CPO")).to_be_visible()
        assert page.evaluate(FITS)
        if width == 1400:
            screenshot(page, "dashboard-marketing.png")
        # The leads behind a figure: the total's leads, a page of leads one may open.
        total = table.locator("tr.total td").first.get_by_role("link")
        count = int(total.inner_text().replace(",", ""))
        total.click()
        page.wait_for_url("**/dashboards/leads?**")
        expect(page.get_by_role("heading", name="Leads")).to_be_visible()
        assert page.locator("table.list tbody tr").count() == min(count, 100)
        assert console.take() == []
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/dashboards/marketing?group=campaign", "/dashboards/funnel",
                                  "/dashboards/sales", "/dashboards/management", "/pipeline/forecast",
                                  "/dashboards/funnel?goal=revenue&group=source"])
def test_each_dashboard_draws_at_tablet_width_as_a_manager_would_see_it(browser, site, path):
    context, page, console, requests = open_charts(browser, site, width=768, height=1024)
    try:
        sign_in(page, site.admin)
        page.goto(path + ("&" if "?" in path else "?") + LAST_YEAR)
        if path.startswith("/dashboards"):
            expect(page.get_by_role("navigation", name="Dashboards")).to_be_visible()
        if page.locator("figure canvas").count():
            check_drawn(page, site, console, requests)
        assert page.evaluate(FITS), path
        assert console.take() == []
        if path == "/dashboards/management":
            page.set_viewport_size({"width": 1400, "height": 900})
            page.wait_for_timeout(0)
            screenshot(page, "dashboard-management.png")
    finally:
        context.close()


def test_a_salesperson_sees_their_own_figures_and_no_costs(browser, site):
    context, page, console, requests = open_charts(browser, site, width=1400)
    try:
        sign_in(page, site.rep)
        page.goto(f"/dashboards/marketing?{LAST_YEAR}&group=source")
        expect(page.get_by_text("Costs and ROI are shown to marketing and admins.")).to_be_visible()
        expect(page.locator("#economics").get_by_role("columnheader", name="CPO")).to_have_count(0)
        assert page.locator("#mk-roi").count() == 0
        assert console.take() == []
    finally:
        context.close()
