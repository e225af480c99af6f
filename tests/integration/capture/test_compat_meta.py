"""Meta Lead Ads webhook drop-in: the verify handshake, signed posts, pending leadgen entries, field_data leads."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json

import pytest

from tests.conftest import make_settings

URL = "/compat/meta/leadgen"
SECRET = "meta-app-secret-for-tests"
TOKEN = "verify-me-please"


@pytest.fixture
def settings(database):
    return make_settings(database.url, meta_app_secret=SECRET, meta_verify_token=TOKEN)


def sample(shared_data, name: str) -> dict:
    return json.loads((shared_data / "clients" / name).read_text())["body"]


def signed_post(client, body, secret: str = SECRET):
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(URL, content=raw, headers={"content-type": "application/json",
                                                   "X-Hub-Signature-256": signature})


def test_verify_handshake_echoes_the_challenge_for_the_right_token(client):
    r = client.get(URL, params={"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"})
    assert r.status_code == 200 and r.text == "1158201444"
    assert r.headers["content-type"].startswith("text/plain")


def test_verify_handshake_with_a_wrong_token_is_403(client):
    r = client.get(URL, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert r.status_code == 403
    assert r.json()["errors"][0]["field"] == "hub.verify_token"


def test_webhook_post_records_a_pending_capture_per_leadgen_entry(client, auth, shared_data):
    body = sample(shared_data, "meta_lead_ads_webhook.json")
    r = signed_post(client, body)
    assert r.status_code == 200, r.text
    [item] = r.json()["received"]
    assert item["leadgen_id"] == "1324937241209743" and item["outcome"] == "pending"
    [capture] = client.get("/api/v1/captures", params={"external_id": "1324937241209743"},
                           headers=auth).json()["items"]
    assert capture["channel"] == "meta" and capture["outcome"] == "pending" and capture["lead_id"] is None
    assert capture["reasons"] == [{"field": "leadgen_id", "reason": "fields to be fetched from Meta"}]
    assert capture["client"] == "meta:153125381133/1215340505289451"


def test_one_post_with_two_entries_records_two_captures(client, auth, shared_data):
    body = copy.deepcopy(sample(shared_data, "meta_lead_ads_webhook.json"))
    second = copy.deepcopy(body["entry"][0])
    second["changes"][0]["value"]["leadgen_id"] = "999000111"
    body["entry"].append(second)
    r = signed_post(client, body)
    assert [i["leadgen_id"] for i in r.json()["received"]] == ["1324937241209743", "999000111"]
    assert len({i["capture_id"] for i in r.json()["received"]}) == 2


def test_post_carrying_field_data_creates_the_lead(client, auth, shared_data):
    r = signed_post(client, sample(shared_data, "meta_lead_ads_lead.json"))
    assert r.status_code == 200, r.text
    [item] = r.json()["received"]
    assert item["outcome"] == "created"
    lead = client.get(f"/api/v1/leads/{item['lead_id']}", headers=auth).json()
    assert (lead["first_name"], lead["last_name"]) == ("Aino", "Virtanen")
    assert lead["email"] == "aino.virtanen@example.fi" and lead["phone"] == "+358401234567"
    assert lead["company"] == "Virtanen Oy" and lead["job_title"] == "CEO" and lead["city"] == "Tampere"
    assert lead["custom_fields"]["when_do_you_plan_to_buy?"] == "within_3_months"
    assert lead["first_touch"]["utm_source"] == "facebook"
    assert lead["first_touch"]["utm_campaign"] == "Lead gen NO"
    consents = client.get(f"/api/v1/leads/{lead['id']}/consents", headers=auth).json()
    assert [(c["purpose"], c["granted"]) for c in consents] == [("marketing_optin", True)]
    capture = client.get(f"/api/v1/captures/{item['capture_id']}", headers=auth).json()
    assert capture["external_id"] == "1324937241209743"


def test_webhook_entry_with_field_data_inside_creates_the_lead(client, auth, shared_data):
    body = copy.deepcopy(sample(shared_data, "meta_lead_ads_webhook.json"))
    body["entry"][0]["changes"][0]["value"]["field_data"] = sample(shared_data, "meta_lead_ads_lead.json")["field_data"]
    [item] = signed_post(client, body).json()["received"]
    assert item["outcome"] == "created" and item["leadgen_id"] == "1324937241209743"


def test_the_same_leadgen_id_twice_makes_one_lead(client, auth, shared_data):
    lead = sample(shared_data, "meta_lead_ads_lead.json")
    first = signed_post(client, lead).json()["received"][0]
    again = signed_post(client, lead).json()["received"][0]
    assert again["capture_id"] == first["capture_id"] and again.get("replayed") is True
    listed = client.get("/api/v1/leads", params={"email": "aino.virtanen@example.fi"}, headers=auth).json()
    assert len(listed["items"]) == 1
    captures = client.get("/api/v1/captures", params={"external_id": "1324937241209743"}, headers=auth).json()
    assert len(captures["items"]) == 1


def test_fields_forwarded_after_the_webhook_fill_the_pending_capture_once(client, auth, shared_data):
    pending = signed_post(client, sample(shared_data, "meta_lead_ads_webhook.json")).json()["received"][0]
    lead = sample(shared_data, "meta_lead_ads_lead.json")
    filled = signed_post(client, lead).json()["received"][0]
    assert filled["outcome"] == "created" and filled["capture_id"] != pending["capture_id"]
    assert signed_post(client, lead).json()["received"][0]["replayed"] is True
    first = client.get(f"/api/v1/captures/{pending['capture_id']}", headers=auth).json()
    assert first["lead_id"] == filled["lead_id"] and first["outcome"] == "merged"
    listed = client.get("/api/v1/leads", params={"email": "aino.virtanen@example.fi"}, headers=auth).json()
    assert len(listed["items"]) == 1


def test_bad_signature_is_403_with_a_rejected_capture(client, auth, shared_data):
    body = sample(shared_data, "meta_lead_ads_webhook.json")
    for r in (signed_post(client, body, secret="someone-else"),
              client.post(URL, json=body),
              client.post(URL, json=body, headers={"X-Hub-Signature-256": "md5=abc"})):
        assert r.status_code == 403
        assert r.json()["errors"][0]["field"] == "X-Hub-Signature-256"
        capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
        assert capture["outcome"] == "rejected" and capture["reasons"][0]["field"] == "X-Hub-Signature-256"
    assert client.get("/api/v1/captures", params={"external_id": "1324937241209743"},
                      headers=auth).json()["items"] == []


def test_without_an_app_secret_posts_are_refused_never_accepted_unsigned(database, factory, auth, shared_data):
    from fastapi.testclient import TestClient

    from leadflow.app import create_app

    app = create_app(make_settings(database.url), sessionmaker=factory)
    with TestClient(app) as client:
        r = client.post(URL, json=sample(shared_data, "meta_lead_ads_webhook.json"),
                        headers={"X-Hub-Signature-256": "sha256=00"})
        assert r.status_code == 503
        assert "LEADFLOW_META_APP_SECRET" in r.json()["errors"][0]["reason"]
        capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
        assert capture["outcome"] == "rejected" and capture["lead_id"] is None
        verify = client.get(URL, params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
        assert verify.status_code == 403


def test_malformed_signed_bodies_are_4xx_with_a_rejected_capture(client, auth):
    for raw, status in ((b'{"entry": [', 400), (b'{"entry": [{"changes": [{"field": "leadgen", "value": {}}]}]}', 422),
                        (b'{"hello": "world"}', 422)):
        r = signed_post(client, raw)
        assert r.status_code == status, raw
        capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
        assert capture["outcome"] == "rejected"


def test_field_data_with_an_invalid_email_is_answered_200_and_kept_rejected(client, auth, shared_data):
    lead = copy.deepcopy(sample(shared_data, "meta_lead_ads_lead.json"))
    lead["field_data"][1]["values"] = ["aino@"]
    r = signed_post(client, lead)
    assert r.status_code == 200
    [item] = r.json()["received"]
    assert item["outcome"] == "rejected"
    capture = client.get(f"/api/v1/captures/{item['capture_id']}", headers=auth).json()
    assert capture["reasons"][0]["field"] == "email"
