"""A send's results at a tablet's width (768 px) as at a desktop's: the page keeps to the screen, its wide results
table scrolls inside its box (every column reachable) and says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import make_ab_test, screenshot, sign_in

pytestmark = pytest.mark.browser

FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (768, 1024)])
def test_a_sends_results_table_scrolls_in_its_box_with_every_column_reachable(browser, site, width, height):
    with site.api() as api:
        test_id = make_ab_test(api, template_name=f"Results width {width}", test_name=f"Results width {width}",
                               metric="sql")
        campaigns = api.get("/api/v1/campaigns").json()
        campaign_id = (campaigns if isinstance(campaigns, list) else campaigns["items"])[0]["id"]
        send = api.post("/api/v1/email/sends", json={"name": f"Results width {width}", "campaign_id": campaign_id,
                                                      "experiment_id": test_id, "draft": True})
        assert send.status_code == 201, send.text
    context = browser.new_context(base_url=site.base, viewport={"width": width, "height": height}, locale="en-GB",
                                  timezone_id="UTC")
    page = context.new_page()
    try:
        sign_in(page, site.marketing, next=f"/email/sends/{send.json()['id']}")
        table = page.locator("#send-results")
        expect(table).to_be_attached()
        page.wait_for_load_state("networkidle")
        screenshot(page, f"send-results-{width}.png", full_page=True)
        assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
        assert "on sqls" not in page.content() and "on SQLs" in page.content()
        box = table.locator("xpath=..")
        assert "table-wrap" in (box.get_attribute("class") or "")
        wide = box.evaluate("b => b.scrollWidth > b.clientWidth + 1")
        hint = page.locator(".scroll-hint", has_text="Scroll sideways")
        assert wide == (width < 1000), width
        if wide:
            assert box.evaluate("b => getComputedStyle(b).overflowX") in ("auto", "scroll")
            expect(hint).to_be_visible()
            for name in ("Clicked", "SQLs", "Won revenue", "Against the hold-out"):
                header = table.get_by_role("columnheader", name=name)
                header.scroll_into_view_if_needed()
                assert header.evaluate("""h => { const r = h.getBoundingClientRect(),
                    b = h.closest('.table-wrap').getBoundingClientRect();
                    return r.left >= b.left - 1 && r.right <= b.right + 1; }"""), name
        else:
            expect(hint).to_be_hidden()
        page.goto(f"/email/experiments/{test_id}")  # the same results partial, its words too
        expect(page.get_by_role("heading", level=1)).to_contain_text("Results width")
        assert page.evaluate(FITS) and "Judged on SQLs" in page.content() and "on sqls" not in page.content()
    finally:
        context.close()
