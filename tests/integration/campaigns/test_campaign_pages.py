"""Campaign pages: create and edit through the browser forms, cost entries with their total, lead counts by who looks."""

from __future__ import annotations

from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in


def _signed_in(client, factory, role="marketing"):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    return who


def _create(client, **fields):
    token = form_token(client, "/campaigns/new")
    data = {"name": "Spring fair", "code": "FAIR-26", "channel": "trade_fair", "currency": "eur",
            "starts_on": "2026-03-01", "ends_on": "2026-03-03", "budget": "5000", "csrf_token": token, **fields}
    return client.post("/campaigns/new", data=data, follow_redirects=False)


def test_a_campaign_created_and_edited_in_the_pages_is_what_the_api_reads(client, auth, factory):
    _signed_in(client, factory)
    r = _create(client, source="linkedin", medium="cpc")
    assert r.status_code == 303, r.text
    campaign_id = int(r.headers["location"].rsplit("/", 1)[1])
    api = client.get(f"/api/v1/campaigns/{campaign_id}", headers=auth).json()
    assert (api["name"], api["code"], api["channel"], api["currency"], api["budget"]) == (
        "Spring fair", "FAIR-26", "trade_fair", "EUR", "5000.00")
    page = client.get(f"/campaigns/{campaign_id}")
    assert "Campaign “Spring fair” created." in page.text and "FAIR-26" in page.text

    token = form_token(client, f"/campaigns/{campaign_id}/edit")
    edited = client.post(f"/campaigns/{campaign_id}/edit", follow_redirects=False, data={
        "name": "Spring fair Utrecht", "code": "FAIR-26", "channel": "trade_fair", "currency": "EUR",
        "starts_on": "2026-03-01", "ends_on": "", "budget": "", "offer": "Free ticket", "csrf_token": token})
    assert edited.status_code == 303, edited.text
    api = client.get(f"/api/v1/campaigns/{campaign_id}", headers=auth).json()
    assert (api["name"], api["offer"], api["ends_on"], api["budget"]) == ("Spring fair Utrecht", "Free ticket",
                                                                          None, None)
    listed = client.get("/campaigns", params={"q": "utrecht"})
    assert "Spring fair Utrecht" in listed.text


def test_wrong_input_is_shown_beside_its_field_with_422(client, auth, factory):
    _signed_in(client, factory)
    assert _create(client).status_code == 303
    twin = _create(client, code="fair-26", name="<b>Twin</b>")
    assert twin.status_code == 422
    assert 'id="c-code-error"' in twin.text and "has this code already" in twin.text
    assert "&lt;b&gt;Twin&lt;/b&gt;" in twin.text
    bad = _create(client, code="OTHER", ends_on="2026-02-01", budget="lots", currency="euro")
    assert bad.status_code == 422
    for name in ("budget", "currency"):
        assert f'id="c-{name}-error"' in bad.text
    dates = _create(client, code="OTHER", ends_on="2026-02-01")
    assert dates.status_code == 422 and 'id="c-ends_on-error"' in dates.text
    assert client.get("/api/v1/campaigns", headers=auth, params={"q": "OTHER"}).json()["items"] == []


def test_cost_entries_add_up_to_the_total_shown(client, auth, factory):
    _signed_in(client, factory)
    campaign_id = int(_create(client).headers["location"].rsplit("/", 1)[1])
    for amount in ("1250.50", "749.50"):
        token = form_token(client, f"/campaigns/{campaign_id}")
        r = client.post(f"/campaigns/{campaign_id}/costs", follow_redirects=False,
                        data={"amount": amount, "currency": "EUR", "date": "2026-03-02", "note": "Stand",
                              "csrf_token": token})
        assert r.status_code == 303, r.text
    page = client.get(f"/campaigns/{campaign_id}")
    assert 'id="total-EUR">2000.00 EUR' in page.text
    assert "Cost of 749.50 EUR added." in page.text
    assert [c["amount"] for c in client.get(f"/api/v1/campaigns/{campaign_id}/costs", headers=auth).json()] == [
        "1250.50", "749.50"]
    token = form_token(client, f"/campaigns/{campaign_id}")
    bad = client.post(f"/campaigns/{campaign_id}/costs", data={"amount": "12,5x", "date": "", "csrf_token": token})
    assert bad.status_code == 422
    assert 'id="cost-amount-error"' in bad.text and 'id="cost-date-error"' in bad.text
    assert "/campaigns" in client.get("/campaigns").text and "2000.00 EUR" in client.get("/campaigns").text


def test_lead_counts_follow_who_may_see_the_leads(client, auth, factory):
    rep = person(factory, "sales_rep")
    campaign = client.post("/api/v1/campaigns", headers=auth, json={"name": "Webinar", "code": "WEB-1"}).json()
    lead(client, auth, owner=rep, campaign="WEB-1")
    lead(client, auth, campaign="WEB-1")
    lead(client, auth, campaign="WEB-1")
    _signed_in(client, factory)
    page = client.get(f"/campaigns/{campaign['id']}")
    assert 'id="lead-count">3<' in page.text and f'href="/leads?campaign={campaign["id"]}"' in page.text
    assert client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth).json()["leads"] == 3
    client.cookies.clear()
    assert sign_in(client, rep.email).status_code == 303
    assert 'id="lead-count">1<' in client.get(f"/campaigns/{campaign['id']}").text
    assert "Only the leads you can see." in client.get(f"/campaigns/{campaign['id']}").text
    assert client.get(f"/api/v1/campaigns/{campaign['id']}", headers=rep.headers).json()["leads"] == 1   # as the page


def test_a_sales_rep_reads_campaigns_but_cannot_create_them(client, factory):
    _signed_in(client, factory, "sales_rep")
    assert client.get("/campaigns").status_code == 200
    assert "New campaign" not in client.get("/campaigns").text
    assert client.get("/campaigns/new").status_code == 403


def test_a_post_without_the_csrf_token_is_refused(client, auth, factory):
    _signed_in(client, factory)
    r = client.post("/campaigns/new", data={"name": "X", "code": "X"})
    assert r.status_code == 403
    assert client.get("/api/v1/campaigns", headers=auth, params={"q": "X"}).json()["items"] == []


def test_the_empty_list_says_what_to_do_next(client, factory):
    _signed_in(client, factory)
    page = client.get("/campaigns")
    assert "No campaigns yet." in page.text and 'href="/campaigns/new"' in page.text
