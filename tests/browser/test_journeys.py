"""The journey editor in Chromium, by keyboard: a step added after the first one (its type chosen, its form filled
and sent without a mouse), a bad value shown by its field, the flow drawn with its branch's ways side by side;
screenshots at desktop and tablet width, neither wider than the screen; the simulator's run drawn on the same flow;
a branch's condition typed over several lines in its monospace box, and a segment picked by name to enrol and to
simulate."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.integration.journeys.journeys import brochure

pytestmark = pytest.mark.browser

FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _journey(site, name: str) -> int:
    r = httpx.post(site.base + "/api/v1/journeys", headers=site.auth, timeout=60,
                   json={"name": name, "definition": brochure()})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_step_is_added_and_edited_by_keyboard_and_the_flow_fits_desktop_and_tablet(page, site, console):
    journey_id = _journey(site, "Brochure follow-up (browser)")
    sign_in(page, site.marketing)
    page.goto(f"/journeys/{journey_id}")
    expect(page.get_by_role("heading", name="Brochure follow-up (browser)")).to_be_visible()
    ways = page.get_by_role("group", name="Ways out of Branch")
    expect(ways.locator("section.way")).to_have_count(5)
    top = [ways.locator("section.way").nth(i).bounding_box()["y"] for i in range(5)]
    assert max(top) - min(top) < 2  # side by side, not one under another

    page.get_by_role("link", name="Add a step after Wait (wait7)").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add a step after wait7")).to_be_visible()
    page.get_by_role("link", name="Add points").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Points").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("lots")
    page.keyboard.press("Tab")
    page.keyboard.type("asked for the brochure")
    page.keyboard.press("Enter")
    expect(page.locator("#error-points")).to_have_text("'lots' is not a whole number")
    page.get_by_label("Points").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("15")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/journeys/{journey_id}#step-points1")
    expect(page.locator("#step-points1")).to_contain_text("15 points: asked for the brochure")
    flow = page.locator(".flow-column").first
    ids = flow.locator(":scope > li > article.step").evaluate_all("els => els.map(e => e.id)")
    assert ids[:3] == ["step-wait7", "step-points1", "step-survey"]

    page.get_by_role("link", name="Edit Wait (wait7)").focus()
    page.keyboard.press("Enter")
    page.get_by_label("How long").fill("P5D")
    page.get_by_label("How long").press("Enter")
    expect(page.locator("#step-wait7")).to_contain_text("5 days")
    assert page.evaluate(FITS)
    hint = page.get_by_text("Wider than the screen: scroll the flow sideways to see every way.")
    wide = page.locator(".flow").evaluate("e => e.scrollWidth > e.clientWidth + 1")
    expect(hint).to_be_visible() if wide else expect(hint).to_be_hidden()
    screenshot(page, "journeys-flow-desktop.png", full_page=True)

    page.set_viewport_size({"width": 768, "height": 1024})
    page.reload()
    assert page.evaluate(FITS), "the page is wider than a tablet's screen"
    expect(page.locator("#step-route")).to_be_visible()
    _the_flow_scrolls_in_its_box(page)
    screenshot(page, "journeys-flow-tablet.png", full_page=True)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Remove Add points (points1)").click()
    expect(page.locator("#step-points1")).to_be_visible()  # "no" sends nothing
    assert asked == ["Remove the step Add points (points1) from the draft?"]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Add points (points1)").click()
    expect(page.get_by_text("Removed the step points1 from the draft.")).to_be_visible()
    expect(page.locator("#step-points1")).to_have_count(0)
    assert console.take() == []


def _the_flow_scrolls_in_its_box(page) -> None:
    """A flow wider than its box (the brochure's 5 ways at 768 px) scrolls sideways inside it: every way can be
    scrolled to (none starts left of the box, where no scrolling reaches), the panels keep to the screen."""
    flow = page.locator(".flow").first
    assert flow.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    box = flow.evaluate("e => { e.scrollLeft = 0; const r = e.getBoundingClientRect();"
                        " return {left: r.left, right: r.right, scroll: e.scrollWidth, client: e.clientWidth}; }")
    assert box["scroll"] > box["client"], box  # wider than its box at this width: it scrolls
    expect(page.get_by_text("Wider than the screen: scroll the flow sideways to see every way.")).to_be_visible()
    assert box["right"] <= 768, box
    lefts = page.locator(".flow section.way").evaluate_all("els => els.map(e => e.getBoundingClientRect().left)")
    assert len(lefts) == 5 and min(lefts) >= box["left"] - 1, (lefts, box)  # none cut off on the left
    last = flow.evaluate("e => { e.scrollLeft = e.scrollWidth; const ways = e.querySelectorAll('section.way');"
                         " return ways[ways.length - 1].getBoundingClientRect().right; }")
    assert last <= box["right"] + 1, (last, box)  # the last way is reached by scrolling
    for panel in page.locator("main .panel").all():
        right = panel.evaluate("e => e.getBoundingClientRect().right")
        assert right <= 768, right
    flow.evaluate("e => { e.scrollLeft = 0; }")


def test_the_simulator_draws_its_counts_on_the_flow(page, site, console):
    journey_id = _journey(site, "Brochure follow-up (simulated)")
    sign_in(page, site.marketing)
    page.goto(f"/journeys/{journey_id}/simulate")
    page.get_by_label("How many").fill("60")
    page.get_by_label("Seed").fill("3")
    page.get_by_label("Seed").press("Enter")
    expect(page.get_by_role("heading", name="60 sample leads through the draft (version 1)")).to_be_visible()
    expect(page.locator("#step-wait7 .counts")).to_have_text("60 reached")
    went = page.locator("#step-route ~ .ways .went").all_inner_texts()
    reached = int(page.locator("#step-route .counts").inner_text().split()[0])
    assert 0 < reached <= 60 and sum(int(text.split()[0]) for text in went) == reached
    expect(page.locator(".paths > li").first).to_contain_text("waited")
    screenshot(page, "journeys-simulator.png", full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate(FITS), "the simulator's result is wider than a tablet's screen"
    _the_flow_scrolls_in_its_box(page)
    screenshot(page, "journeys-simulator-768.png", full_page=True)
    assert console.take() == []


def test_a_condition_is_written_over_several_lines_and_a_segment_is_picked_by_name(page, site, console):
    journey_id = _journey(site, "Brochure follow-up (conditions)")
    r = httpx.post(site.base + "/api/v1/segments", headers=site.auth, timeout=60,
                   json={"name": "Browser budget buyers", "condition": "survey.budget >= 10000"})
    assert r.status_code == 201, r.text
    sign_in(page, site.marketing)
    page.goto(f"/journeys/{journey_id}/steps/route")
    box = page.locator("#way-1-condition")
    expect(box).to_be_visible()
    assert box.evaluate("e => e.tagName") == "TEXTAREA"
    assert "monospace" in box.evaluate("e => getComputedStyle(e).fontFamily")
    height, width = box.evaluate("e => [e.getBoundingClientRect().height, e.getBoundingClientRect().width]")
    assert height >= 90 and width >= 500, (height, width)  # a real condition's room, the form's whole width
    box.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type('survey.next_step in ("quote", "meeting")')
    page.keyboard.press("Enter")  # a new line in the box, not a submit
    page.keyboard.type("  or survey.budget >= 10000")
    page.keyboard.press("Enter")
    page.keyboard.type('  or contry == "FI"')
    expect(page).to_have_url(f"{site.base}/journeys/{journey_id}/steps/route")
    page.get_by_role("button", name="Save the step").click()
    expect(page.locator("#error-way-1")).to_contain_text("contry")
    expect(page.locator("#way-1-condition")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#way-1-condition")).to_have_value(
        'survey.next_step in ("quote", "meeting")\n  or survey.budget >= 10000\n  or contry == "FI"')  # as typed
    box = page.locator("#way-1-condition")
    box.fill('survey.next_step in ("quote", "meeting")\n  or survey.budget >= 10000\n  or country == "FI"')
    box.scroll_into_view_if_needed()
    assert page.evaluate(FITS)
    screenshot(page, "journeys-condition-desktop.png")
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate(FITS), "the step editor is wider than a tablet's screen"
    assert page.locator("#way-1-condition").evaluate("e => e.getBoundingClientRect().right") <= 768
    screenshot(page, "journeys-condition-768.png")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Save the step").click()
    page.wait_for_url(f"**/journeys/{journey_id}#step-route")
    expect(page.locator("#step-route ~ .ways")).to_contain_text("survey.budget >= 10000")

    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Live: version 1").first).to_be_visible()
    picker = page.get_by_label("Or a segment's members")
    assert picker.evaluate("e => e.tagName") == "SELECT"
    picker.select_option(label="Browser budget buyers")
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_text("Enrolling the segment's members: they enter in the background.")).to_be_visible()

    page.goto(f"/journeys/{journey_id}/simulate")
    page.get_by_label("From").select_option(label="A segment's members")
    page.get_by_label("Segment", exact=True).select_option(label="Browser budget buyers")
    page.get_by_label("Seed").fill("5")
    page.get_by_role("button", name="Run the simulation").click()
    expect(page.get_by_role("heading", name=re.compile(r"\d+ sample leads through"))).to_be_visible()
    expect(page.get_by_label("Segment", exact=True)).to_have_value(str(r.json()["id"]))
    assert page.evaluate(FITS)
    screenshot(page, "journeys-simulator-segment-desktop.png")
    page.set_viewport_size({"width": 768, "height": 1024})
    page.get_by_label("Segment", exact=True).scroll_into_view_if_needed()
    assert page.evaluate(FITS), "the simulator is wider than a tablet's screen"
    screenshot(page, "journeys-simulator-segment-768.png")
    assert console.take() == []
