"""The inbox keeps to the screen: no sideways scrolling of the page or the table at desktop widths, and the first
screen shows leads (the search in view, the other filters folded behind their summary; open while one is set,
except on a tablet)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
TABLE_FITS = "(() => { const w = document.querySelector('#inbox-results .table-wrap'); " \
             "return w.scrollWidth <= w.clientWidth; })()"


def _inbox(browser, site, width: int, height: int, address: str = "/leads"):
    context = browser.new_context(base_url=site.base, viewport={"width": width, "height": height}, locale="en-GB",
                                  timezone_id="UTC")
    page = context.new_page()
    sign_in(page, site.marketing, next=address.replace("?", "%3F").replace("=", "%3D"))
    expect(page.locator("#inbox-results tbody tr").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    return context, page


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (1280, 800)])
def test_at_desktop_width_neither_the_page_nor_the_table_scrolls_sideways(browser, site, width, height):
    context, page = _inbox(browser, site, width, height)
    try:
        screenshot(page, f"inbox-{width}.png")
        expect(page.locator("#inbox-filter-box")).not_to_have_attribute("open", "")
        bottom = page.locator("#inbox-results tbody tr").first.evaluate("row => row.getBoundingClientRect().bottom")
        assert bottom <= height, bottom
        assert page.evaluate(FITS) and page.evaluate(TABLE_FITS)
        expect(page.locator("#inbox-results th.col-campaign")).to_be_visible()
    finally:
        context.close()


def test_a_filter_that_is_set_keeps_the_filters_open_on_a_desktop(browser, site):
    context, page = _inbox(browser, site, 1280, 800, "/leads?stage=new")
    try:
        expect(page.locator("#inbox-filter-box")).to_have_attribute("open", "")
        expect(page.locator("#inbox-filter-box summary")).to_contain_text("1 active")
        expect(page.locator("#filter-stage")).to_have_value("new")
        assert page.evaluate(FITS)
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (768, 1024)])
def test_on_a_tablet_the_first_screen_shows_leads_with_the_filters_folded(browser, site, width, height):
    context, page = _inbox(browser, site, width, height)
    try:
        box = page.locator("#inbox-filter-box")
        expect(box).not_to_have_attribute("open", "")
        first = page.locator("#inbox-results tbody tr").first
        expect(first).to_be_visible()
        screenshot(page, f"inbox-{width}.png")
        bottom = first.evaluate("row => row.getBoundingClientRect().bottom")
        assert bottom <= height, bottom  # within the first screen, without scrolling
        assert page.evaluate(FITS) and page.evaluate(TABLE_FITS)
        box.locator("summary").click()  # the filters are one tap away
        expect(page.get_by_label("Country", exact=True)).to_be_visible()
        assert page.evaluate(FITS)
    finally:
        context.close()
