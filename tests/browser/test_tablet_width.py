"""Pages with a wide part keep to a tablet's screen (768 px) as to a desktop's: the scoring rule set editor (its rules
and its table), an import's column mapping, whose choices are in view on arrival, not beyond the right edge, and
the A/B tests page (its new test's variants table)."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import make_ab_test, screenshot, sign_in

pytestmark = pytest.mark.browser

SIZES = [(1400, 900), (768, 1024)]
FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
# Where an element's right edge is beyond what shows of it: the page's width or a scrolling box around it.
CUT_OFF = """element => {
  const right = element.getBoundingClientRect().right;
  let limit = document.documentElement.clientWidth;
  for (let box = element.parentElement; box; box = box.parentElement) {
    if (getComputedStyle(box).overflowX !== 'visible') { limit = Math.min(limit, box.getBoundingClientRect().right); }
  }
  return right > limit + 0.5 ? right - limit : 0;
}"""
ROWS = [
    ["First name", "Last name", "Email address of the contact", "Phone (work)", "Country", "Badge organisation",
     "Interest noted at the stand"],
    ["Lotte", "Brouwer", "lotte.brouwer@dijkstra-installatie-en-onderhoud.example", "+31 20 555 0147", "NL",
     "Dijkstra Installatie en Onderhoud B.V.", "Heat pumps for the new office building in Amstelveen"],
    ["Jonas", "Becker", "jonas.becker@hansewerk-gebaeudetechnik.example", "", "DE", "Hansewerk Gebäudetechnik GmbH",
     "Controls"],
]


def _page(browser, site, width: int, height: int):
    context = browser.new_context(base_url=site.base, viewport={"width": width, "height": height}, locale="en-GB",
                                  timezone_id="UTC")
    return context, context.new_page()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_scoring_rule_set_keeps_to_the_screen(browser, site, width, height):
    with site.api() as api:
        rule_sets = api.get("/api/v1/scoring/rule-sets").json()
    active = next(r for r in rule_sets if r["status"] == "active")
    context, page = _page(browser, site, width, height)
    try:
        sign_in(page, site.marketing, next=f"/scoring/rule-sets/{active['id']}")
        expect(page.get_by_label("Rules as YAML")).to_be_visible()
        expect(page.locator("table.rules").first).to_be_attached()
        screenshot(page, f"scoring-rule-set-{width}.png")
        assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
        assert page.get_by_label("Rules as YAML").evaluate(CUT_OFF) == 0
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_an_imports_column_mapping_shows_every_choice_on_arrival(browser, site, tmp_path, width, height):
    path = tmp_path / f"stand-scans-{width}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(ROWS)
    context, page = _page(browser, site, width, height)
    try:
        sign_in(page, site.marketing, next="/imports/new")
        page.set_input_files("#import-file", str(path))
        page.click("#upload")
        expect(page.get_by_role("heading", level=1)).to_contain_text(path.name)
        choices = page.locator("#mapping select")
        expect(choices).to_have_count(len(ROWS[0]))
        page.wait_for_load_state("networkidle")
        screenshot(page, f"import-mapping-{width}.png", full_page=True)
        assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
        cut = {i: choices.nth(i).evaluate(CUT_OFF) for i in range(len(ROWS[0]))}
        assert all(px == 0 for px in cut.values()), cut
        choices.nth(5).select_option("company")  # and it can be used where it is
        expect(choices.nth(5)).to_have_value("company")
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_routing_page_and_a_leads_owner_panel_keep_to_the_screen(browser, site, width, height):
    context, page = _page(browser, site, width, height)
    try:
        sign_in(page, site.marketing, next="/routing")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Routing")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(FITS), "the routing page scrolls sideways"
        for cell in page.locator("table.list th, table.list td").all():
            assert cell.evaluate(CUT_OFF) == 0, cell.inner_text()
        screenshot(page, f"routing-{width}.png")
        with site.api() as api:
            lead_id = api.get("/api/v1/leads", params={"limit": 1}).json()["items"][0]["id"]
        page.goto(f"/leads/{lead_id}")
        panel = page.locator("#routing")
        expect(panel.get_by_role("heading", name="Owner and routing")).to_be_visible()
        assert page.evaluate(FITS), "the lead page scrolls sideways"
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_ab_tests_page_and_a_tests_results_keep_to_the_screen(browser, site, width, height):
    with site.api() as api:
        test_id = make_ab_test(
            api, template_name=f"Spring brochure for installers and facility managers {width}",
            test_name=f"Installers' spring brochure: subject line and offer against the hold-out {width}")
    context, page = _page(browser, site, width, height)
    try:
        sign_in(page, site.marketing, next="/email/experiments")
        expect(page.get_by_role("heading", level=1)).to_contain_text("A/B tests")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
        for field in page.locator("#new-experiment input, #new-experiment select").all():
            assert field.evaluate(CUT_OFF) == 0, field.get_attribute("name")
        for cell in page.locator("#experiments th, #experiments td").all():
            assert cell.evaluate(CUT_OFF) == 0, cell.inner_text()
        page.goto(f"/email/experiments/{test_id}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Installers' spring brochure")
        assert page.evaluate(FITS), "a test's page scrolls sideways"
    finally:
        context.close()
