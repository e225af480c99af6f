"""A lead's life in the browser: quick entry, finding it in the inbox, editing it in place; who may open it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _campaign(site) -> dict:
    with site.api() as api:
        r = api.get("/api/v1/campaigns", params={"limit": 100})
        assert r.status_code == 200, r.text
        return next(c for c in r.json()["items"] if c["code"] == "fair-nor-shipping")


def _lead_by_email(site, email: str) -> dict:
    with site.api() as api:
        r = api.get("/api/v1/leads", params={"email": email})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert len(items) == 1, items
        return items[0]


def test_quick_entry_saves_on_enter_and_is_ready_for_the_next_lead(page, console, site):
    campaign = _campaign(site)
    sign_in(page, site.marketing, next="/leads/new")
    expect(page.get_by_role("heading", name="Quick entry")).to_be_visible()
    first = page.get_by_label("First name", exact=True)
    expect(first).to_be_focused()
    page.locator("#qe-campaign").select_option(str(campaign["id"]))
    first.press_sequentially("Ingrid")
    page.get_by_label("Last name", exact=True).fill("Fjellheim")
    page.get_by_label("Email", exact=True).fill("ingrid.fjellheim@fjordkraft.example")
    page.get_by_label("Company", exact=True).fill("Fjordkraft Marine AS")
    country = page.get_by_label("Country", exact=True)
    country.fill("NO")
    country.press("Enter")

    expect(page.locator(".flash")).to_have_text(re.compile(r"Saved Ingrid Fjellheim \(new lead\)"))
    expect(page.locator(".last-saved")).to_contain_text("Ingrid Fjellheim")
    # Ready for the next person: empty, the campaign still chosen, the cursor in the first field.
    expect(page.get_by_label("First name", exact=True)).to_be_focused()
    for label in ("First name", "Last name", "Email", "Company", "Country"):
        expect(page.get_by_label(label, exact=True)).to_have_value("")
    expect(page.locator("#qe-campaign")).to_have_value(str(campaign["id"]))

    lead = _lead_by_email(site, "ingrid.fjellheim@fjordkraft.example")
    assert (lead["first_name"], lead["last_name"], lead["company"], lead["country"]) == (
        "Ingrid", "Fjellheim", "Fjordkraft Marine AS", "NO")
    assert lead["channel"] == "quick_entry" and lead["campaign_id"] == campaign["id"]

    # The next lead goes the same way, into the same campaign.
    page.get_by_label("First name", exact=True).press_sequentially("Henrik")
    page.get_by_label("Email", exact=True).fill("henrik@fjordkraft.example")
    page.get_by_label("Email", exact=True).press("Enter")
    expect(page.locator(".flash")).to_have_text(re.compile(r"Saved Henrik \(new lead\)"))
    assert _lead_by_email(site, "henrik@fjordkraft.example")["campaign_id"] == campaign["id"]
    assert console.take() == []


def test_quick_entry_works_with_the_keyboard_alone(page, console, site):
    sign_in(page, site.rep, next="/leads/new")
    expect(page.get_by_label("First name", exact=True)).to_be_focused()
    page.keyboard.type("Keira")
    page.keyboard.press("Tab")
    page.keyboard.type("O'Donnell")
    page.keyboard.press("Tab")
    page.keyboard.type("keira.odonnell@harbourline.example")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Phone", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".flash")).to_have_text(re.compile(r"Saved Keira O'Donnell \(new lead\)"))
    expect(page.get_by_label("First name", exact=True)).to_be_focused()
    lead = _lead_by_email(site, "keira.odonnell@harbourline.example")
    # A lead a sales rep enters is theirs.
    assert lead["owner"] == site.rep.id
    assert console.take() == []


def test_a_lead_is_found_by_search_and_by_filter_then_edited_in_place_with_the_edit_on_its_timeline(
        page, console, site):
    with site.api() as api:
        r = api.post("/api/v1/leads", json={"first_name": "Sigrún", "last_name": "Þórsdóttir",
                                            "email": "sigrun@reykjavik-orka.example", "company": "Reykjavík Orka",
                                            "country": "IS", "city": "Reykjavík"})
        assert r.status_code in (200, 201), r.text
        lead_id = r.json()["id"]
    sign_in(page, site.marketing, next="/leads")
    results = page.locator("#inbox-results")
    expect(results).to_contain_text("leads")

    # Search as you type.
    page.get_by_label("Search").fill("reykjavik orka")
    expect(page).to_have_url(re.compile(r"q=reykjavik"))
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("Sigrún Þórsdóttir")
    expect(results.locator(".count")).to_contain_text("1 lead match")

    # A filter instead: the country (nobody else in the demo company is in Iceland), behind the filters' summary.
    page.get_by_label("Search").fill("")
    expect(page).not_to_have_url(re.compile(r"q=reykjavik"))
    page.locator("#inbox-filter-box summary").click()
    country = page.get_by_label("Country", exact=True)
    country.fill("IS")
    country.press("Enter")
    expect(page).to_have_url(re.compile(r"country=IS"))
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results.locator("tbody tr")).to_contain_text("Reykjavík Orka")
    assert console.take() == []

    # Open it, edit the job title in place.
    results.get_by_role("link", name="Sigrún Þórsdóttir").click()
    page.wait_for_url(re.compile(rf"/leads/{lead_id}$"))  # loaded, so Edit opens in place
    person = page.locator("#section-person")
    person.get_by_role("link", name="Edit person").click()
    expect(person.get_by_label("First name")).to_be_focused()  # the form opens where the keyboard is
    job = person.get_by_label("Job title")
    job.fill("Head of geothermal procurement")
    person.get_by_role("button", name="Save").click()
    expect(person.get_by_label("Job title")).to_have_count(0)
    expect(person).to_contain_text("Head of geothermal procurement")
    expect(person.locator(".edited")).to_have_count(1)
    expect(page).to_have_url(re.compile(rf"/leads/{lead_id}$"))  # edited in place, no page change

    timeline = page.locator("#timeline")
    change = timeline.locator("ul.changes li", has_text="Head of geothermal procurement")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("Job title")
    expect(change.locator("del")).to_have_text("empty")
    expect(timeline.locator("li.activity").first).to_contain_text(site.marketing.name)

    with site.api() as api:
        lead = api.get(f"/api/v1/leads/{lead_id}").json()
    assert lead["job_title"] == "Head of geothermal procurement"
    assert "job_title" in lead["manual_fields"]
    assert console.take() == []


def test_a_sales_rep_typing_another_reps_lead_address_gets_not_found(browser, context, site):
    with site.api() as api:
        r = api.post("/api/v1/leads", json={"first_name": "Petra", "last_name": "Halvorsen",
                                            "email": "petra.halvorsen@nordvik-elektro.example", "company": "Nordvik Elektro AS"})
        lead_id = r.json()["id"]
        assert api.patch(f"/api/v1/leads/{lead_id}", json={"owner": site.rep.id}).status_code == 200

    owner = context.new_page()
    sign_in(owner, site.rep)
    owner.goto(f"/leads/{lead_id}")
    expect(owner.get_by_role("heading", level=1)).to_contain_text("Petra Halvorsen")

    other_context = browser.new_context(base_url=site.base, viewport={"width": 1280, "height": 800})
    try:
        other = other_context.new_page()
        sign_in(other, site.other_rep)
        response = other.goto(f"/leads/{lead_id}")
        assert response.status == 404
        expect(other.get_by_role("heading", level=1)).to_have_text(re.compile("Not found", re.IGNORECASE))
        expect(other.locator("main")).not_to_contain_text("Petra")
        # Nor does the inbox list it.
        other.goto("/leads?q=petra")
        expect(other.locator("#inbox-results")).not_to_contain_text("Petra Halvorsen")
    finally:
        other_context.close()
