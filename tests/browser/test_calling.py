"""The whole calling flow in Chromium by keyboard alone: an agent opens their team's list, the screen claims a lead,
the script is answered with Tab, arrows and typing, 6 qualifies (BANT filled, the result says so), N brings the next
lead, 3 and Enter schedule a call-back, 5 closes the last one, and the screen then says nobody is left; screenshots
of the calling screen and the lists page at desktop and tablet width, neither wider than the screen."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from leadflow import db
from leadflow.people import service as people_service
from tests.browser.conftest import PASSWORD, User, screenshot, sign_in

pytestmark = pytest.mark.browser

FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
TABLET = {"width": 768, "height": 1024}
SCRIPT = [
    {"key": "need", "label": "How badly do you need a new pump?", "kind": "single", "maps_to": "bant.need",
     "options": [{"value": "high", "label": "Badly"}, {"value": "medium", "label": "Somewhat"},
                 {"value": "low", "label": "Not much"}]},
    {"key": "budget", "label": "Is there a budget for it?", "kind": "text", "maps_to": "bant.budget"},
    {"key": "role", "label": "What is your role?", "kind": "text", "maps_to": "job_title"},
]


@pytest.fixture(scope="module")
def calling(site) -> tuple[User, int, list[int]]:
    """A telemarketer of a calling team, and the manager's list for the team with a script and three leads."""
    engine = db.make_engine(site.url)
    try:
        with db.make_sessionmaker(engine)() as session:
            people_service.create_team(session=session, name="Browser callers", kind="telemarketing")
            user = people_service.create_user(session=session, email="agent@browser.example", role="telemarketer",
                                              name="Aino Agent", team="Browser callers", password=PASSWORD)
            session.flush()
            team_id, agent = user.team_id, User(user.id, user.email, user.name, user.role)
            session.commit()
    finally:
        engine.dispose()
    with httpx.Client(base_url=site.base, headers=site.auth, timeout=60) as api:
        script = api.post("/api/v1/call-scripts", json={"name": "Pump replacement", "questions": SCRIPT,
                                                        "intro": "Hello, this is Aino from Pumps Oy."})
        assert script.status_code == 201, script.text
        made = api.post("/api/v1/call-lists", json={
            "name": "Pump owners to call", "owner_id": site.marketing.id, "team_id": team_id,
            "script_id": script.json()["id"], "hours_from": 0, "hours_to": 1440, "days": "1234567",
            "default_zone": "Europe/Helsinki", "targets": {"calls": 40}})
        assert made.status_code == 201, made.text
        ids = []
        for n, (first, last) in enumerate((("Kaisa", "Mäkinen"), ("Otto", "Laine"), ("Liisa", "Koski"))):
            r = api.post("/api/v1/leads", json={"first_name": first, "last_name": last, "company": "Lakeside Heating",
                                                "email": f"{first.lower()}@lakeside.example",
                                                "phone": f"+358 40 555 01{n}{n}", "country": "FI"})
            assert r.status_code in (200, 201), r.text
            ids.append(r.json()["id"])
        added = api.post(f"/api/v1/call-lists/{made.json()['id']}/leads", json={"lead_ids": ids})
        assert added.json()["added"] == 3, added.text
    return agent, made.json()["id"], ids


def _tablet(browser, site, agent, path: str, name: str) -> None:
    context = browser.new_context(base_url=site.base, viewport=TABLET, locale="en-GB", timezone_id="UTC")
    try:
        tablet = context.new_page()
        sign_in(tablet, agent)
        tablet.goto(path)
        expect(tablet.get_by_role("heading", level=1)).to_be_visible()
        screenshot(tablet, name, full_page=True)
        assert tablet.evaluate(FITS), name
    finally:
        context.close()


def test_an_agent_works_the_list_by_keyboard_from_the_first_lead_to_nobody_left(browser, page, console, site, calling):
    agent, list_id, ids = calling
    sign_in(page, agent)
    expect(page).to_have_url(re.compile(r"/call-lists$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My call lists")
    card = page.get_by_role("region", name="Pump owners to call")
    expect(card).to_contain_text("3 due")
    screenshot(page, "telemarketing-lists.png")
    assert page.evaluate(FITS)
    _tablet(browser, site, agent, "/call-lists", "telemarketing-lists-tablet.png")

    card.get_by_role("link", name="Start calling Pump owners to call").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/call-lists/{list_id}/call")
    dial = page.locator("a.dial-link")
    expect(dial).to_be_focused()  # the number to dial first
    expect(dial).to_have_attribute("href", re.compile(r"^tel:\+35840555"))
    expect(page.locator("#script-intro")).to_have_text("Hello, this is Aino from Pumps Oy.")
    first = page.locator("#lead-name").inner_text()
    screenshot(page, "calling-screen.png", full_page=True)
    assert page.evaluate(FITS)
    _tablet(browser, site, agent, f"/call-lists/{list_id}/call", "calling-screen-tablet.png")  # the lead they hold

    page.keyboard.press("Tab")  # into the first question: its radio buttons
    page.keyboard.press("ArrowRight")  # Somewhat
    page.keyboard.press("ArrowLeft")  # Badly
    expect(page.get_by_label("Badly")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("yes")
    page.keyboard.press("Tab")
    page.keyboard.type("Head of maintenance")
    page.keyboard.press("Tab")
    page.keyboard.type("Their old pump leaks; wants a quote")
    page.keyboard.press("Escape")  # out of the field, onto the outcomes
    expect(page.locator("#outcome-no_answer")).to_be_focused()
    page.keyboard.press("6")
    page.wait_for_url(re.compile(r"called=\d+"))
    result = page.locator("#call-result")
    expect(result.get_by_role("heading")).to_have_text(f"Recorded: Qualified for {first}")
    expect(page.locator("#result-did")).to_contain_text("filled BANT need, BANT budget, job title")
    qualified = next(i for i in ids if first.startswith(
        httpx.get(f"{site.base}/api/v1/leads/{i}", headers=site.auth).json()["first_name"]))
    lead = httpx.get(f"{site.base}/api/v1/leads/{qualified}", headers=site.auth).json()
    assert lead["job_title"] == "Head of maintenance"
    bant = httpx.get(f"{site.base}/api/v1/leads/{qualified}/bant", headers=site.auth)
    if bant.status_code == 200:
        assert "high" in bant.text

    page.keyboard.press("n")
    expect(page.locator("#call-form")).to_be_visible()
    second = page.locator("#lead-name").inner_text()
    assert second != first
    page.keyboard.press("3")
    when = page.get_by_label("Call-back time, their time")
    expect(when).to_be_focused()
    page.keyboard.press("Shift+Tab")  # back from the time to the quick choices: Tomorrow 09:00
    expect(page.get_by_role("button", name="Tomorrow 09:00")).to_be_focused()
    page.keyboard.press("Enter")
    expect(when).to_be_focused()
    expect(when).to_have_value(re.compile(r"T09:00$"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"called=\d+"))
    expect(page.locator("#call-result h2")).to_have_text(f"Recorded: Call back for {second}")
    expect(page.locator("#result-reason")).to_contain_text("back on the agent's list")

    page.keyboard.press("n")
    expect(page.locator("#call-form")).to_be_visible()
    third = page.locator("#lead-name").inner_text()
    assert third not in (first, second)
    page.keyboard.press("5")
    page.wait_for_url(re.compile(r"called=\d+"))
    expect(page.locator("#call-result h2")).to_have_text(f"Recorded: Not interested for {third}")

    page.keyboard.press("n")
    expect(page.locator("#none-now")).to_be_visible()
    expect(page.locator("#none-reason")).to_have_text("Nobody to call now.")
    expect(page.locator("#none-next")).to_contain_text("Somebody will be callable at")  # the call-back
    assert console.take() == []
