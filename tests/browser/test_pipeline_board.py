"""The pipeline board in Chromium at desktop (1400 px) and tablet (768 px) width: it keeps to the screen, a card
moves by the keyboard alone (its "Move to" menu, then Move: the focus stays on the card and the move is announced)
and by drag and drop; won needs a reason, so a card dropped on Won asks for one instead."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

SIZES = [(1400, 900), (768, 1024)]
FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
_numbers = itertools.count(1)


def _opportunities(site, names: list[str], **fields) -> list[int]:
    """Opportunities on leads the rep owns, made through the API."""
    ids = []
    with site.api() as api:
        for name in names:
            n = next(_numbers)
            r = api.post("/api/v1/leads", json={"email": f"board{n}-{name.lower().replace(' ', '')}@example.com",
                                                "first_name": name.split()[0], "company": f"{name} Oy"})
            assert r.status_code in (200, 201), r.text
            lead_id = r.json()["id"]
            assert api.patch(f"/api/v1/leads/{lead_id}", json={"owner": site.rep.id}).status_code == 200
            r = api.post("/api/v1/opportunities", json={"lead_id": lead_id, "name": name, "value": "12500",
                                                        "currency": "EUR", "expected_close": "2026-03-31", **fields})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    return ids


def _page(browser, site, width: int, height: int):
    context = browser.new_context(base_url=site.base, viewport={"width": width, "height": height}, locale="en-GB",
                                  timezone_id="UTC")
    return context, context.new_page()


def _column(page, label: str):
    return page.locator("section.board-col").filter(has=page.get_by_role("heading", name=re.compile("^" + label)))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_board_keeps_to_the_screen_and_a_card_moves_by_keyboard(browser, site, width, height):
    (card_id,) = _opportunities(site, [f"Keyboard deal {width}"])
    context, page = _page(browser, site, width, height)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, site.rep, next="/pipeline")
        card = page.locator(f'.opp-card[data-card-id="{card_id}"]')
        expect(_column(page, "Qualification").locator(card)).to_be_visible()
        expect(card).to_contain_text("12,500.00 EUR")
        assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, f"pipeline-{width}.png")

        # the keyboard alone: focus the card's menu, choose Proposal with the arrow keys, Tab to Move, Enter
        menu = card.get_by_label("Move to")
        menu.focus()
        for _ in range(2):
            page.keyboard.press("ArrowDown")
        expect(menu).to_have_value("proposal")
        expect(card.get_by_label("Reason")).to_be_hidden()  # only for won and lost
        page.keyboard.press("Tab")
        expect(card.get_by_role("button", name="Move")).to_be_focused()
        page.keyboard.press("Enter")

        moved = page.locator(f'.opp-card[data-card-id="{card_id}"]')
        expect(_column(page, "Proposal").locator(moved)).to_be_visible()
        expect(page.locator("#board-status")).to_have_text(f"Moved “Keyboard deal {width}” to Proposal.")
        expect(moved).to_be_focused()
        assert page.evaluate(FITS)
        assert errors == []
    finally:
        context.close()


def test_a_card_moves_by_drag_and_drop_and_won_asks_for_a_reason(browser, site):
    dragged, winner = _opportunities(site, ["Dragged deal", "Winning deal"])
    context, page = _page(browser, site, 1400, 900)
    try:
        sign_in(page, site.rep, next="/pipeline")
        card = page.locator(f'.opp-card[data-card-id="{dragged}"]')
        card.drag_to(_column(page, "Negotiation").locator("ul.opp-list"))
        expect(_column(page, "Negotiation").locator(f'.opp-card[data-card-id="{dragged}"]')).to_be_visible()
        expect(page.locator("#board-status")).to_have_text("Moved “Dragged deal” to Negotiation.")
        with site.api() as api:
            assert api.get(f"/api/v1/opportunities/{dragged}").json()["stage"] == "negotiation"

        win = page.locator(f'.opp-card[data-card-id="{winner}"]')
        win.drag_to(page.locator(".closed-won"))
        expect(page.locator("#board-status")).to_contain_text("Choose a reason")
        reason = win.get_by_label("Reason")
        expect(reason).to_be_focused()
        reason.select_option("price")
        win.get_by_role("button", name="Move").click()
        expect(page.locator(".closed-won")).to_contain_text("Winning deal")
        with site.api() as api:
            body = api.get(f"/api/v1/opportunities/{winner}").json()
            assert (body["status"], body["close_reason"]) == ("won", "price")
            assert api.get(f"/api/v1/leads/{body['lead_id']}").json()["stage"] == "customer"
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_lead_pages_pipeline_panel_adds_an_opportunity_and_keeps_to_the_screen(browser, site, width, height):
    with site.api() as api:
        r = api.post("/api/v1/leads", json={"email": f"panel{width}@example.com", "first_name": "Pia"})
        lead_id = r.json()["id"]
        assert api.patch(f"/api/v1/leads/{lead_id}", json={"owner": site.rep.id}).status_code == 200
    context, page = _page(browser, site, width, height)
    try:
        sign_in(page, site.rep, next=f"/leads/{lead_id}")
        panel = page.locator("#pipeline")
        expect(panel.get_by_role("heading", name="Opportunities and quotes")).to_be_visible()
        panel.get_by_text("Add an opportunity").click()
        panel.get_by_label("Name").fill(f"Panel deal {width}")
        panel.get_by_label("Value").fill("3200")
        panel.get_by_role("button", name="Add", exact=True).first.click()
        expect(panel.get_by_role("status")).to_contain_text(f"Opportunity “Panel deal {width}” added.")
        expect(panel).to_contain_text("3,200.00 EUR")
        panel.get_by_label("Competitor", exact=True).fill("Rival Ab")
        panel.locator("form", has=page.get_by_label("Competitor", exact=True)).get_by_role("button", name="Add").click()
        expect(panel).to_contain_text("Rival Ab")
        assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, f"pipeline-lead-panel-{width}.png")
    finally:
        context.close()


def test_the_whole_board_fits_for_someone_who_sees_every_deal(browser, site):
    """The demo's opportunities in every column, as an admin sees them: the README's picture."""
    context, page = _page(browser, site, 1400, 900)
    try:
        sign_in(page, site.admin, next="/pipeline")
        expect(page.locator(".opp-card").first).to_be_visible()
        assert page.locator(".opp-card").count() > 5  # the demo's deals, not only this test's
        assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, "pipeline.png")
    finally:
        context.close()
