"""Changes through the JSON API: null where a field cannot be emptied, broken text and negative money are a 422
naming the field (never a 500); control characters are dropped; null still clears what can be cleared."""

from __future__ import annotations

import pytest


@pytest.fixture
def lead(client, auth) -> dict:
    return client.post("/api/v1/leads", headers=auth, json={"email": "change@example.com", "first_name": "Ola",
                                                             "custom_fields": {"size": "L"}}).json()


@pytest.mark.parametrize("field", ["custom_fields", "do_not_contact", "stage"])
def test_null_for_a_lead_field_that_cannot_be_emptied_is_refused(client, auth, lead, field):
    r = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth, json={field: None})
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": field, "reason": "may not be null"}]


def test_null_clears_a_text_field_and_the_owner(client, auth, lead):
    r = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth, json={"first_name": None, "owner": None})
    assert r.status_code == 200, r.text
    assert r.json()["first_name"] is None and r.json()["owner"] is None


def test_null_company_name_or_currency_and_campaign_currency_are_refused(client, auth):
    company = client.post("/api/v1/companies", headers=auth, json={"name": "Acme"}).json()
    for field in ("currency", "name"):
        r = client.patch(f"/api/v1/companies/{company['id']}", headers=auth, json={field: None})
        assert r.status_code == 422 and r.json()["errors"] == [{"field": field, "reason": "may not be null"}]
    assert client.patch(f"/api/v1/companies/{company['id']}", headers=auth,
                        json={"industry": None}).status_code == 200
    campaign = client.post("/api/v1/campaigns", headers=auth, json={"name": "Spring", "code": "SPR"}).json()
    for field in ("currency", "name", "code", "channel"):
        r = client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=auth, json={field: None})
        assert r.status_code == 422 and r.json()["errors"] == [{"field": field, "reason": "may not be null"}]


def test_an_edit_drops_control_characters_and_refuses_a_lone_surrogate(client, auth, lead):
    raw = '{"job_title": "Daglig\\u0000 leder", "custom_fields": {"no\\u0000te": "a\\u0007b"}}'
    r = client.patch(f"/api/v1/leads/{lead['id']}", headers={**auth, "content-type": "application/json"},
                     content=raw.encode())
    assert r.status_code == 200, r.text
    assert r.json()["job_title"] == "Daglig leder" and r.json()["custom_fields"] == {"size": "L", "note": "ab"}
    r = client.patch(f"/api/v1/leads/{lead['id']}", headers={**auth, "content-type": "application/json"},
                     content=b'{"city": "Oslo\\udfff"}')
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "city" and "surrogate" in r.json()["errors"][0]["reason"]
    r = client.post("/api/v1/companies", headers={**auth, "content-type": "application/json"},
                    content=b'{"name": "\\ud800 Corp"}')
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"


def test_custom_fields_nested_too_deep_in_an_edit_are_refused(client, auth, lead):
    value: dict = {"x": 1}
    for _ in range(15):
        value = {"a": value}
    r = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth, json={"custom_fields": value})
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"].startswith("custom_fields.a.a") and "nested more than 10 levels" in error["reason"]


def test_a_negative_cost_or_budget_is_refused_and_a_wrong_entry_can_be_removed(client, auth):
    campaign = client.post("/api/v1/campaigns", headers=auth, json={"name": "Fair", "code": "FAIR"}).json()
    costs = f"/api/v1/campaigns/{campaign['id']}/costs"
    r = client.post(costs, headers=auth, json={"date": "2026-03-01", "amount": "-100.00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
    r = client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=auth, json={"budget": "-1"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "budget"
    wrong = client.post(costs, headers=auth, json={"date": "2026-03-01", "amount": "1000.00"}).json()
    client.post(costs, headers=auth, json={"date": "2026-03-02", "amount": "250.00"})
    assert client.delete(f"{costs}/{wrong['id']}", headers=auth).status_code == 204
    assert client.delete(f"{costs}/{wrong['id']}", headers=auth).status_code == 404
    detail = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth).json()
    assert detail["total_cost"] == {"EUR": "250.00"}


def test_a_nul_in_a_search_or_an_address_is_dropped_like_in_any_text(client, auth, factory):
    from tests.integration.people.factories import person
    from tests.integration.people.pages import sign_in

    client.post("/api/v1/companies", headers=auth, json={"name": "Nulco"})
    for path in ("/api/v1/companies?q=Nul%00co", "/api/v1/leads?email=a%00b&company=x%00",
                 "/api/v1/captures?external_id=%00", "/api/v1/campaigns?q=%00"):
        r = client.get(path, headers=auth)
        assert r.status_code == 200, (path, r.text)
    assert [c["name"] for c in client.get("/api/v1/companies?q=Nul%00co", headers=auth).json()["items"]] == ["Nulco"]
    assert client.get("/f/no%00form").status_code == 404
    sign_in(client, person(factory, "admin").email)
    assert client.get("/companies?q=%00").status_code == 200
