"""Importing a file in the browser: upload, correct a column in the mapping preview, watch it run, get the rejects."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

ROWS = [
    ["First name", "Last name", "Email", "Phone", "Country", "Badge org", "Interest"],
    ["Lotte", "Brouwer", "lotte.brouwer@dijkstra-installatie.example", "+31 20 555 0147", "NL",
     "Dijkstra Installatie B.V.", "Heat pumps"],
    ["Jonas", "Becker", "jonas.becker@hansewerk.example", "", "DE", "Hansewerk GmbH", "Controls"],
    ["Aino", "Virtanen", "aino.virtanen@pohjola-energia.example", "", "FI", "Pohjola Energia Oy", "Demo"],
    ["Kari", "", "", "", "NO", "", "Brochure"],
    ["Tom", "Hughes", "tom.hughes@@kestrel", "", "GB", "Kestrel Engineering Ltd", "Price list"],
]


def test_an_import_with_a_corrected_column_runs_and_gives_back_its_rejected_rows(page, console, site, tmp_path):
    path = tmp_path / "stand-scans.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(ROWS)
    sign_in(page, site.marketing, next="/imports/new")

    page.set_input_files("#import-file", str(path))
    page.select_option("#import-campaign", "fair-elektro-utrecht")
    page.select_option("#import-channel", "trade_fair")
    page.click("#upload")

    mapping = page.locator("#mapping")
    expect(page.get_by_role("heading", level=1)).to_contain_text("stand-scans.csv")
    badge_row = page.locator("#column-5")
    expect(badge_row.locator("th")).to_have_text("Badge org")
    expect(badge_row).to_contain_text("not recognised")
    expect(badge_row).to_contain_text("Dijkstra Installatie B.V.")  # its first values
    expect(page.locator("#map-2")).to_have_value("email")
    expect(mapping.locator("tbody tr")).to_have_count(len(ROWS[0]))

    page.select_option("#map-5", "company")  # the trade fair's scanner calls the company "Badge org"
    page.fill("#custom-6", "interest")
    screenshot(page, "import-mapping.png", full_page=True)
    page.click("#start-import")

    expect(page.locator("#import-status")).to_be_visible()
    expect(page.locator("#import-state")).to_have_text("Done", timeout=60_000)
    expect(page.locator("#count-created")).to_have_text("4")
    expect(page.locator("#count-rejected")).to_have_text("1")
    expect(page.locator("#count-set-aside")).to_have_text("1")   # Tom, his mistyped email kept as given
    assert page.locator("#import-progress").get_attribute("value") == "100"

    with page.expect_download() as download_info:
        page.click("#rejects-link")
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rejects = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert [(r["row_number"], r["First name"]) for r in rejects] == [("5", "Kari")]   # nothing identifies her
    assert list(rejects[0])[:len(ROWS[0])] == ROWS[0]
    assert re.search(r"needs an email", rejects[0]["reason"]), rejects[0]["reason"]

    with site.api() as api:
        lead = api.get("/api/v1/leads", params={"email": "lotte.brouwer@dijkstra-installatie.example"}).json()
        campaign = next(c for c in api.get("/api/v1/campaigns", params={"limit": 100}).json()["items"]
                        if c["code"] == "fair-elektro-utrecht")
    (lead,) = lead["items"]
    assert lead["company"] == "Dijkstra Installatie B.V."  # the corrected column
    assert lead["custom_fields"].get("interest") == "Heat pumps"
    assert lead["campaign_id"] == campaign["id"] and lead["channel"] == "trade_fair"
    assert console.take() == []
