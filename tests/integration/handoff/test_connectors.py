"""The CRM connectors against local servers that answer as HubSpot's and Salesforce's public API documentation says:
a Sales Ready lead is upserted with its history (HubSpot: a contact by email and a note; Salesforce: a Lead by an
external id field), a lead HubSpot cannot take is dead at once with the reason, a wrong token is retried."""

from __future__ import annotations

from leadflow import worker
from tests.integration.handoff.conftest import deliveries, endpoint, sales_ready_lead
from tests.integration.handoff.servers import FakeHubSpot, FakeSalesforce

TOKEN = "pat-na1-" + "t" * 32


def test_hubspot_gets_the_sales_ready_lead_as_a_contact_by_email_with_a_note_of_its_history(client, auth, factory,
                                                                                             moment):
    with FakeHubSpot(TOKEN) as hubspot:
        made = endpoint(client, auth, kind="hubspot", url=hubspot.url, token=TOKEN, name="HubSpot")
        assert made["events"] == ["lead.sales_ready"] and TOKEN not in str(made) and made["secret"].endswith("tttt)")
        lead_id = sales_ready_lead(client, auth, factory, email="ann@pumps.example", first_name="Ann",
                                   last_name="Lee", company="Pumps Ltd", phone="+44 20 7946 0018")
    contact = hubspot.contacts["ann@pumps.example"]["properties"]
    assert contact["email"] == "ann@pumps.example" and contact["firstname"] == "Ann"
    assert contact["lastname"] == "Lee" and contact["company"] == "Pumps Ltd" and contact["jobtitle"] == "VP Sales"
    assert contact["phone"].startswith("+44")
    [note] = hubspot.notes
    text = note["properties"]["hs_note_body"]
    assert f"/leads/{lead_id}" in text and "grade B" in text and "Why Sales Ready" in text and "timeline" in text
    assert note["associations"][0]["to"]["id"] == hubspot.contacts["ann@pumps.example"]["id"]
    assert all(r["headers"]["authorization"] == f"Bearer {TOKEN}" for r in hubspot.requests)
    [done] = deliveries(client, auth)
    assert done["status"] == "delivered" and done["last_status_code"] == 201


def test_a_lead_without_an_email_is_dead_at_once_for_hubspot_with_the_reason(client, auth, factory, moment):
    with FakeHubSpot(TOKEN) as hubspot:
        endpoint(client, auth, kind="hubspot", url=hubspot.url, token=TOKEN)
        assert client.put("/api/v1/sales-ready-rule", headers=auth,
                          json={"expression": 'grade = "B"'}).status_code == 200
        r = client.post("/api/v1/leads", headers=auth, json={
            "phone": "+44 20 7946 0019", "first_name": "Phil", "job_title": "VP Sales",
            "custom_fields": {"employees": 5000}})
        assert r.status_code in (200, 201), r.text
        worker.drain(factory)
    assert hubspot.requests == []
    [dead] = deliveries(client, auth)
    assert dead["status"] == "dead" and dead["attempts"] == 1 and "has none" in dead["last_error"]


def test_a_wrong_hubspot_token_is_retried_and_goes_through_once_the_token_is_rotated(client, auth, factory, moment):
    with FakeHubSpot(TOKEN) as hubspot:
        made = endpoint(client, auth, kind="hubspot", url=hubspot.url, token="pat-wrong-" + "w" * 20)
        sales_ready_lead(client, auth, factory, email="bo@pumps.example")
        [failed] = deliveries(client, auth)
        assert failed["status"] == "failed" and failed["last_status_code"] == 401
        r = client.patch(f"/api/v1/webhooks/{made['id']}", headers=auth, json={"token": TOKEN})
        assert r.status_code == 200 and TOKEN not in r.text
        moment.advance(minutes=1)
        worker.drain(factory)
    assert "bo@pumps.example" in hubspot.contacts and len(hubspot.notes) == 1
    assert deliveries(client, auth)[0]["status"] == "delivered"


def test_salesforce_gets_the_sales_ready_lead_upserted_by_its_external_id_with_its_history(client, auth, factory,
                                                                                          moment):
    with FakeSalesforce(TOKEN) as salesforce:
        made = endpoint(client, auth, kind="salesforce", url=salesforce.url, token=TOKEN,
                        options={"api_version": "v60.0", "external_id_field": "Leadflow_Id__c"})
        assert made["options"] == {"api_version": "v60.0", "external_id_field": "Leadflow_Id__c"}
        lead_id = sales_ready_lead(client, auth, factory, email="cy@valves.example", first_name="Cy",
                                   city="Lyon", country="FR")
        [done] = deliveries(client, auth)
        assert done["status"] == "delivered" and done["last_status_code"] == 201
        stored = salesforce.leads[str(lead_id)]
        assert stored["FirstName"] == "Cy" and stored["Email"] == "cy@valves.example"
        assert stored["LastName"] == "cy@valves.example" and stored["Company"] == "cy@valves.example"  # required
        assert stored["City"] == "Lyon" and stored["Country"] == "FR" and stored["LeadSource"] == "leadflow"
        assert "Why Sales Ready" in stored["Description"] and f"/leads/{lead_id}" in stored["Description"]
        assert salesforce.requests[0]["path"] == f"/services/data/v60.0/sobjects/Lead/Leadflow_Id__c/{lead_id}"

        r = client.post(f"/api/v1/webhooks/deliveries/{done['delivery_id']}/replay", headers=auth)
        assert r.status_code == 200
        worker.drain(factory)
    again = client.get(f"/api/v1/webhooks/deliveries/{done['delivery_id']}", headers=auth).json()
    assert again["status"] == "delivered" and again["last_status_code"] == 204  # updated, not a second Lead
    assert len(salesforce.leads) == 1


def test_salesforce_refusing_the_request_is_dead_at_once_with_its_answer(client, auth, factory, moment):
    with FakeSalesforce(TOKEN) as salesforce:
        endpoint(client, auth, kind="salesforce", url=salesforce.url, token=TOKEN,
                 options={"external_id_field": "No_Such_Field__c"})
        sales_ready_lead(client, auth, factory, email="di@valves.example")
    [dead] = deliveries(client, auth)
    assert dead["status"] == "dead" and dead["last_status_code"] == 404 and "NOT_FOUND" in dead["last_error"]
