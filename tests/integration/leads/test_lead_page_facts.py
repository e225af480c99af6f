"""The lead page shows what the fit rules read of the lead's company (industry, employees, revenue), each with
where it came from: the lead's own answer first, else the company's record."""

from __future__ import annotations

import re

from tests.integration.people.factories import lead, person
from tests.integration.people.pages import sign_in


def _facts(html: str) -> dict[str, str]:
    section = html[html.index('id="section-address"'):]
    section = section[:section.index("</section>")]
    pairs = re.findall(r"<dt>([^<]+)</dt>\s*<dd>(.*?)</dd>", section, re.S)
    return {label: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", value)).strip() for label, value in pairs}


def test_the_lead_page_shows_employees_revenue_and_industry_with_their_source(client, auth, factory):
    company = client.post("/api/v1/companies", headers=auth, json={
        "name": "Fjord Pumps AS", "industry": "Manufacturing", "employees": 250, "revenue": "12500000",
        "currency": "NOK"})
    assert company.status_code == 201, company.text
    lead_id = lead(client, auth, first_name="Kari", company="Fjord Pumps AS", custom_fields={"employees": 5000})
    bare = lead(client, auth, first_name="Ola")
    sign_in(client, person(factory, "marketing").email)

    facts = _facts(client.get(f"/leads/{lead_id}").text)
    assert facts["Employees"] == "5,000 (as the lead told us)"
    assert facts["Revenue"] == "12,500,000 NOK (company Fjord Pumps AS)"
    assert facts["Industry"] == "Manufacturing (company Fjord Pumps AS)"
    assert f'href="/companies/{company.json()["id"]}"' in client.get(f"/leads/{lead_id}").text
    assert {k: _facts(client.get(f"/leads/{bare}").text)[k] for k in ("Employees", "Revenue", "Industry")} == {
        "Employees": "—", "Revenue": "—", "Industry": "—"}

    # The section shown again in place (after an edit) keeps them.
    fragment = client.get(f"/leads/{lead_id}/section/address", headers={"HX-Request": "true"}).text
    assert _facts(fragment)["Employees"] == "5,000 (as the lead told us)"


def test_what_the_page_shows_is_what_the_fit_rules_read(client, auth, factory):
    from leadflow import worker

    client.post("/api/v1/companies", headers=auth, json={"name": "Big Valves BV", "employees": 1200})
    lead_id = lead(client, auth, company="Big Valves BV")
    worker.drain(factory)
    sign_in(client, person(factory, "marketing").email)
    assert _facts(client.get(f"/leads/{lead_id}").text)["Employees"] == "1,200 (company Big Valves BV)"
    fit = client.get(f"/api/v1/leads/{lead_id}/score", headers=auth).json()["fit"]
    assert "size-1000" in [r["rule"] for r in fit]
