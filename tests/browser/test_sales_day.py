"""A salesperson's day in Chromium: /my-day at desktop and tablet width (the rep's start page, overdue in red, a
task done in one click), and the lead page's follow-up panel at desktop, tablet and phone width, where a contact is
logged in two clicks (a kind, an outcome) and the task it sets appears without a reload."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def _lead_for(site, owner_id: int, **fields) -> int:
    with site.api() as api:
        r = api.post("/api/v1/leads", json=fields)
        assert r.status_code in (200, 201), r.text
        lead_id = r.json()["id"]
        assert api.patch(f"/api/v1/leads/{lead_id}", json={"owner": owner_id}).status_code == 200
        return lead_id


def _task(site, lead_id: int, title: str, hours: float, kind: str = "call") -> int:
    with site.api() as api:
        r = api.post(f"/api/v1/leads/{lead_id}/tasks", json={
            "kind": kind, "title": title, "due_at": (datetime.now(UTC) + timedelta(hours=hours)).isoformat()})
        assert r.status_code == 201, r.text
        return r.json()["id"]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1400, 768])
def test_my_day_shows_the_reps_day_and_a_task_is_done_in_one_click(page, console, site, width):
    lead_id = _lead_for(site, site.rep.id, first_name="Hanna", last_name=f"Day{width}", company="Kivi Oy",
                        email=f"hanna.day{width}@kivi.example")
    _task(site, lead_id, f"Send the price list {width}", -3, kind="send_quote")
    _task(site, lead_id, f"Call about the pilot {width}", 0.5)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, site.rep)
    expect(page).to_have_url(re.compile(r"/my-day$"))
    expect(page.get_by_role("heading", name="My day", level=1)).to_be_visible()
    tasks = page.locator("section[aria-labelledby='day-tasks']")
    late = tasks.locator("li", has_text=f"Send the price list {width}")
    expect(late).to_have_class(re.compile("day-late"))
    assert late.evaluate("e => getComputedStyle(e).color") != tasks.locator(
        "li", has_text=f"Call about the pilot {width}").evaluate("e => getComputedStyle(e).color")
    expect(page.get_by_role("link", name=f"Hanna Day{width}").first).to_be_visible()
    assert _fits(page)
    if width == 1400:
        screenshot(page, "my-day.png")
    late.get_by_role("button", name=re.compile("^Done")).click()
    expect(page.get_by_text(f"Done: Send the price list {width}.")).to_be_visible()
    expect(tasks.locator("li", has_text=f"Send the price list {width}")).to_have_count(0)
    assert console.take() == []


@pytest.mark.parametrize("width", [1400, 768, 390])
def test_a_contact_is_logged_in_two_clicks_on_the_lead_page(page, console, site, width):
    lead_id = _lead_for(site, site.rep.id, first_name="Aino", last_name=f"Panel{width}",
                        email=f"aino.panel{width}@kivi.example")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, site.rep, next=f"/leads/{lead_id}")
    panel = page.locator("#follow-up")
    expect(panel.get_by_role("heading", name="Follow-up and tasks")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(panel.get_by_role("button", name="Wrong number")).to_be_visible()  # Call is chosen
    panel.locator("label[for='fu-kind-email']").click()  # the first click: the kind
    expect(panel.get_by_role("button", name="Wrong number")).to_be_hidden()  # a call's outcome, not an email's
    panel.locator("label[for='fu-kind-call']").click()
    button = panel.get_by_role("button", name="No answer")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a finger can hit it
    button.click()  # the second click: the outcome logs it
    expect(panel.get_by_role("status")).to_contain_text("Logged: call, no answer.")
    expect(panel.locator(".fu-tasks li", has_text="Call again")).to_be_visible()
    assert _fits(page)
    with site.api() as api:
        (contact,) = api.get(f"/api/v1/leads/{lead_id}/contacts").json()
    assert (contact["kind"], contact["outcome"], contact["user_id"]) == ("call", "no_answer", site.rep.id)
    panel.locator(".fu-tasks li", has_text="Call again").get_by_role("button", name="Done").click()
    expect(panel.get_by_text("No open tasks.")).to_be_visible()
    assert console.take() == []
