"""HubSpot Forms API v3 drop-in: the real submission creates the lead with consents; errors in HubSpot's shape."""

from __future__ import annotations

import copy
import json

URL = "/compat/hubspot/submissions/v3/integration/submit/{portal}/{form}"
PORTAL, FORM = "1234567", "0d5fa9a8-2e0b-4d7a-9b8c-1f2e3d4c5b6a"


def sample(shared_data) -> dict:
    return json.loads((shared_data / "clients" / "hubspot_forms_v3_submit.json").read_text())["body"]


def submit(client, body, portal=PORTAL, form=FORM):
    return client.post(URL.format(portal=portal, form=form), json=body)


def test_submission_creates_the_lead_with_consents_and_keeps_hutk_and_page_uri(client, auth, shared_data):
    body = sample(shared_data)
    r = submit(client, body)
    assert r.status_code == 200, r.text
    assert r.json() == {"inlineMessage": "Thanks for submitting the form."}
    capture = client.get(f"/api/v1/captures/{r.headers['x-capture-id']}", headers=auth).json()
    assert capture["channel"] == "hubspot" and capture["outcome"] == "created"
    assert capture["client"] == f"hubspot:{PORTAL}/{FORM}"
    assert capture["external_id"] == "60c2ccdfe4892f0fa0593940b12c11aa:1763856000000"
    assert capture["attribution"]["hutk"] == "60c2ccdfe4892f0fa0593940b12c11aa"
    assert capture["attribution"]["landing_page"] == "https://www.example.nl/offerte"
    assert capture["attribution"]["page_name"] == "Offerte aanvragen"
    assert json.loads(capture["payload"]) == body
    lead = client.get(f"/api/v1/leads/{capture['lead_id']}", headers=auth).json()
    assert (lead["first_name"], lead["last_name"]) == ("Maarten", "de Vries")
    assert lead["email"] == "maarten.devries@example.nl" and lead["job_title"] == "Directeur"
    assert lead["country"] == "NL" and lead["phone"] == "+31201234567"
    assert lead["custom_fields"]["message"] == "Graag een offerte"
    assert lead["custom_fields"]["numberofemployees"] == "25"
    consents = {c["purpose"]: c for c in client.get(f"/api/v1/leads/{lead['id']}/consents", headers=auth).json()}
    assert consents["processing"]["granted"] is True
    assert consents["processing"]["text"].startswith("I agree to allow Example Company")
    assert consents["subscription:999"]["granted"] is True


def test_the_same_submission_sent_twice_is_answered_again_not_stored_twice(client, auth, shared_data):
    body = sample(shared_data)
    first, again = submit(client, body), submit(client, body)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    found = client.get("/api/v1/captures", headers=auth,
                       params={"external_id": "60c2ccdfe4892f0fa0593940b12c11aa:1763856000000"}).json()["items"]
    assert len(found) == 1


def test_invalid_email_gets_hubspots_error_shape_and_a_rejected_capture(client, auth, shared_data):
    body = copy.deepcopy(sample(shared_data))
    body["fields"][0]["value"] = "maarten.devries@"
    r = submit(client, body)
    assert r.status_code == 400
    answer = r.json()
    assert answer["status"] == "error" and answer["message"] == "The request is not valid"
    assert answer["correlationId"]
    assert answer["errors"][0]["errorType"] == "INVALID_EMAIL"
    assert answer["errors"][0]["message"].startswith("Error in 'fields.email'.")
    capture = client.get(f"/api/v1/captures/{answer['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected"
    assert capture["reasons"][0]["field"] == "fields.email"


def test_legal_consent_without_its_text_is_refused(client, auth, shared_data):
    body = copy.deepcopy(sample(shared_data))
    del body["legalConsentOptions"]["consent"]["text"]
    r = submit(client, body)
    assert r.status_code == 400
    assert r.json()["errors"][0]["errorType"] == "INVALID_LEGAL_OPTION_FORMAT"


def test_bad_hutk_and_portal_are_named(client, auth, shared_data):
    body = copy.deepcopy(sample(shared_data))
    body["context"]["hutk"] = "not-a-cookie"
    r = submit(client, body, portal="abc")
    assert r.status_code == 400
    types = {e["errorType"] for e in r.json()["errors"]}
    assert {"INVALID_HUTK", "INVALID_PORTAL_ID"} <= types


def test_utm_parameters_in_page_uri_go_to_attribution_and_name_the_campaign(client, auth, shared_data):
    body = copy.deepcopy(sample(shared_data))
    body["context"]["pageUri"] = "https://www.example.nl/offerte?utm_source=google&utm_medium=cpc&utm_campaign=nl-q4"
    r = submit(client, body)
    capture = client.get(f"/api/v1/captures/{r.headers['x-capture-id']}", headers=auth).json()
    assert capture["attribution"]["utm_campaign"] == "nl-q4"
    campaign = client.get(f"/api/v1/campaigns/{capture['campaign_id']}", headers=auth).json()
    assert campaign["code"] == "nl-q4" and campaign["channel"] == "paid_search"


def test_malformed_bodies_are_400_in_hubspots_shape_with_a_rejected_capture(client, auth):
    for content in (b'{"fields": [', b'["not", "an", "object"]', b'{"fields": "email=a@b.example"}'):
        r = client.post(URL.format(portal=PORTAL, form=FORM), content=content,
                        headers={"content-type": "application/json"})
        assert r.status_code == 400, content
        assert r.json()["status"] == "error"
        capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
        assert capture["outcome"] == "rejected" and capture["payload"] == content.decode()
