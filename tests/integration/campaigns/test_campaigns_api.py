"""Campaigns: codes are unique whatever their case, programs as parents, cost entries in decimal money."""

from __future__ import annotations


def test_campaign_with_costs_and_lead_count(client, auth):
    r = client.post("/api/v1/campaigns", headers=auth, json={
        "name": "Vakbeurs Utrecht", "code": "VB-UTR-26", "channel": "trade_fair", "budget": "12000.00",
        "starts_on": "2026-03-01", "ends_on": "2026-03-03"})
    assert r.status_code == 201, r.text
    campaign = r.json()
    assert campaign["budget"] == "12000.00" and campaign["leads"] == 0
    for amount in ("4500.10", "1200.90"):
        cost = client.post(f"/api/v1/campaigns/{campaign['id']}/costs", headers=auth,
                           json={"date": "2026-03-01", "amount": amount, "note": "stand"})
        assert cost.status_code == 201 and cost.json()["amount"] == amount
    client.post("/api/v1/leads", headers=auth, json={"email": "visitor@example.com", "campaign": "vb-utr-26"})
    detail = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth).json()
    assert detail["total_cost"] == {"EUR": "5701.00"} and detail["leads"] == 1
    costs = client.get(f"/api/v1/campaigns/{campaign['id']}/costs", headers=auth).json()
    assert [c["amount"] for c in costs] == ["4500.10", "1200.90"]


def test_codes_are_unique_whatever_their_case(client, auth):
    assert client.post("/api/v1/campaigns", headers=auth, json={"name": "A", "code": "Spring"}).status_code == 201
    r = client.post("/api/v1/campaigns", headers=auth, json={"name": "B", "code": "SPRING"})
    assert r.status_code == 409


def test_programs_are_parent_campaigns_without_cycles(client, auth):
    program = client.post("/api/v1/campaigns", headers=auth, json={"name": "2026 Program", "code": "P26"}).json()
    child = client.post("/api/v1/campaigns", headers=auth,
                        json={"name": "Email wave 1", "code": "P26-E1", "channel": "email",
                              "parent_id": program["id"]}).json()
    assert child["parent_id"] == program["id"]
    r = client.patch(f"/api/v1/campaigns/{program['id']}", headers=auth, json={"parent_id": child["id"]})
    assert r.status_code == 422
    listed = client.get("/api/v1/campaigns", headers=auth, params={"parent_id": program["id"]}).json()["items"]
    assert [c["code"] for c in listed] == ["P26-E1"]


def test_bad_campaign_input_names_the_field(client, auth):
    r = client.post("/api/v1/campaigns", headers=auth,
                    json={"name": "X", "code": "X1", "channel": "billboard", "budget": "abc"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"channel", "budget"}
    r = client.post("/api/v1/campaigns", headers=auth,
                    json={"name": "X", "code": "X2", "starts_on": "2026-05-01", "ends_on": "2026-04-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_on"
    r = client.post("/api/v1/campaigns/1/costs", headers=auth, json={"date": "yesterday", "amount": "1"})
    assert r.status_code in (404, 422)
