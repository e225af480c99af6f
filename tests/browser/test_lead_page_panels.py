"""The lead page tells one truth: an edit in place, BANT answers or a stage move show in every panel at once
(head, profile, score, qualification, timeline) without a reload; a refused request says why, where it was made."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def _lead(site, **fields) -> int:
    with site.api() as api:
        r = api.post("/api/v1/leads", json=fields)
        assert r.status_code in (200, 201), r.text
        return r.json()["id"]


def _api(site, path: str) -> dict:
    with site.api() as api:
        r = api.get(path)
        assert r.status_code == 200, r.text
        return r.json()


def _open(page, lead_id: int) -> None:
    page.goto(f"/leads/{lead_id}")
    expect(page.locator("#score .score-number")).to_be_visible()
    expect(page.locator("#qualification")).to_be_visible()
    page.wait_for_load_state("networkidle")


def _photograph(page, tmp_path, name: str) -> None:
    """A screenshot as the docs' are taken: Playwright leaves an empty style attribute on every field it hid the
    caret of, as a browser leaves one on a box someone resized."""
    page.screenshot(path=str(tmp_path / name), animations="disabled", caret="hide")


def _resize(page, selector: str) -> None:
    """Drag the box's corner, as someone making room for a long note does: the browser writes its size into the
    box's style attribute."""
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] + 60, steps=4)
    page.mouse.up()


def test_one_change_shows_in_every_panel_without_a_reload(page, console, site, tmp_path):
    lead_id = _lead(site, first_name="Sigrid", last_name="Aas", email="sigrid.aas@fjordtech.example",
                    job_title="Assistant", company="Fjordtech AS", country="NO")
    sign_in(page, site.marketing)
    _open(page, lead_id)
    expect(page.locator("#lead-head .lead-role")).to_have_text("Assistant at Fjordtech AS")
    page.evaluate("window.leadPageLoaded = true")  # gone if the page reloads
    _resize(page, "#note-text")
    assert page.locator("#note-text").get_attribute("style")
    _photograph(page, tmp_path, "opened.png")
    assert console.take() == []

    # The job title, edited in place: the head, the score and the qualification panel follow.
    page.get_by_role("link", name="Edit person").click()
    # The form is ready once htmx has settled it and focused its first field (typing before that can land there).
    expect(page.locator("#section-person").get_by_label("First name")).to_be_focused()
    page.get_by_label("Job title", exact=True).fill("CEO")
    page.locator("#section-person").get_by_role("button", name="Save").click()
    expect(page.locator("#section-person .saved")).to_have_text("Saved job title.")
    expect(page.locator("#lead-head .lead-role")).to_have_text("CEO at Fjordtech AS")
    score = _api(site, f"/api/v1/leads/{lead_id}")["score"]
    expect(page.locator("#score .score-number")).to_have_text(str(score))
    expect(page.locator("#score")).to_contain_text("C-level, owner or founder")
    expect(page.locator("#qualification")).to_contain_text(f"score is {score}")
    expect(page.locator("#timeline")).to_contain_text("CEO")
    page.wait_for_load_state("networkidle")
    assert console.take() == []  # no swap wrote a style attribute (the page's CSP refuses inline styles)

    # BANT answers: the score panel gains the BANT points, the qualification panel counts them; the budget as typed.
    page.locator("#qualification summary", has_text="Update BANT answers").click()
    page.locator(f"#bant-{lead_id}-budget").fill("50k EUR approved")
    page.locator(f"#bant-{lead_id}-authority").select_option("decision_maker")
    page.locator(f"#bant-{lead_id}-need").fill("high")
    page.locator(f"#bant-{lead_id}-timeline").select_option("3m")
    _photograph(page, tmp_path, "bant.png")
    page.get_by_role("button", name="Save answers").click()
    expect(page.locator("#qualification .saved")).to_contain_text("Saved budget, authority, need, timeline.")
    expect(page.locator("#qualification")).to_contain_text("4 of 4 known")
    expect(page.locator("#qualification table.q-bant")).to_contain_text("50k EUR approved")
    expect(page.locator("#score")).to_contain_text("Three or more BANT answers known")
    after = _api(site, f"/api/v1/leads/{lead_id}")
    expect(page.locator("#score .score-number")).to_have_text(str(after["score"]))
    expect(page.locator("#timeline")).to_contain_text("BANT:")
    page.wait_for_load_state("networkidle")
    assert console.take() == []

    # A stage move in the qualification panel: the head and the profile's stage follow.
    _photograph(page, tmp_path, "saved.png")
    page.get_by_role("button", name="Move to MQL").click()
    expect(page.locator("#qualification .saved")).to_have_text("Moved from New to MQL.")
    expect(page.locator("#lead-head .lead-stage")).to_contain_text("MQL")
    expect(page.locator("#section-status dd")).to_contain_text("MQL")
    expect(page.locator("#timeline")).to_contain_text("Stage New → MQL")
    expect(page.locator("#qualification")).to_contain_text(f"by {site.marketing.name}")
    assert page.evaluate("window.leadPageLoaded === true")  # all of it without a reload
    page.wait_for_load_state("networkidle")
    assert console.take() == []
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "lead-after-changes.png")
    assert console.take() == []


def test_a_request_refused_by_the_server_says_why_in_the_form(page, console, site):
    lead_id = _lead(site, first_name="Rolf", email="rolf@refused.example")
    other_id = _lead(site, first_name="Rolf", email="rolf.privat@refused.example")
    with site.api() as api:
        assert api.patch(f"/api/v1/leads/{lead_id}", json={"owner": site.rep.id}).status_code == 200
    sign_in(page, site.rep)
    _open(page, lead_id)
    # Meanwhile marketing merges the lead into another one: the next move is refused (404), and the panel says so.
    with site.api() as api:
        assert api.post(f"/api/v1/leads/{other_id}/merge", json={"other_id": lead_id}).status_code == 201
    page.get_by_role("button", name="Move to MQL").click()
    alert = page.locator("#qualification [data-request-error]")
    expect(alert).to_contain_text("Not found")
    expect(alert).to_have_attribute("role", "alert")
    assert _api(site, f"/api/v1/leads/{other_id}")["stage"] == "new"
    console.take()  # the browser logs the 404 answer itself


def test_the_sales_ready_rule_shows_its_syntax_error_beside_the_editor(page, console, site):
    sign_in(page, site.marketing, next="/settings/sales-ready")
    editor = page.get_by_label("Expression")
    broken = 'score >= 40 and grade in ("A","B"'
    editor.fill(broken)
    page.get_by_role("button", name="Check and preview").click()
    check = page.locator("#rule-check")
    expect(check).to_contain_text("Not valid")
    expect(check).to_contain_text(re.compile(r"at column \d+"))
    expect(editor).to_have_value(broken)
    screenshot(page, "sales-ready-error.png")

    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#rule-check")).to_contain_text("Not valid")
    expect(page.get_by_label("Expression")).to_have_value(broken)
    expect(page.get_by_label("Expression")).to_have_attribute("aria-invalid", "true")
    versions = _api(site, "/api/v1/sales-ready-rule")["versions"]
    assert all(v["expression"] != broken for v in versions)
    errors = console.take()
    assert all("422" in e for e in errors), errors  # the browser logs the refusal itself; nothing else


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (1024, 768), (768, 1024)])
def test_a_reps_lead_page_keeps_to_the_screen(browser, site, width, height):
    lead_id = _lead(site, first_name="Johanna", last_name="Virtanen", email=f"johanna{width}@lampo.example",
                    job_title="Head of facilities", company="Lämpö Oy", country="FI", phone="+358 40 123 4567")
    with site.api() as api:
        assert api.patch(f"/api/v1/leads/{lead_id}", json={"owner": site.rep.id}).status_code == 200
        assert api.put(f"/api/v1/leads/{lead_id}/bant", json={"need": "high", "timeline": "3m"}).status_code == 200
        sent = api.post("/api/v1/events", json={"events": [
            {"lead_id": lead_id, "type": "page_view", "properties": {"url": "https://www.nordheat.example/pricing"}},
            {"lead_id": lead_id, "type": "webinar_attended", "properties": {"webinar": "Heat pumps"}}]})
        assert sent.status_code in (200, 202) and sent.json()["accepted"] == 2, sent.text
    context = browser.new_context(base_url=site.base, viewport={"width": width, "height": height}, locale="en-GB",
                                  timezone_id="UTC")
    try:
        page = context.new_page()
        sign_in(page, site.rep)
        _open(page, lead_id)
        expect(page.locator("#lead-head h1")).to_have_text("Johanna Virtanen")
        screenshot(page, f"lead-{width}.png")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
