"""Google Ads lead form webhook drop-in: google_key checked, one lead per lead_id, test data kept apart."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import make_settings

URL = "/compat/google-ads/leadform"
KEY = "shared-secret-set-in-the-form"


@pytest.fixture
def settings(database):
    return make_settings(database.url, google_ads_key=KEY)


def sample(shared_data, test: bool = False) -> dict:
    body = json.loads((shared_data / "clients" / "google_ads_lead_form_webhook.json").read_text())["body"]
    return {**body, "is_test": test}


def test_lead_form_post_creates_the_lead_and_keeps_the_key_out_of_the_capture(client, auth, shared_data):
    body = sample(shared_data)
    r = client.post(URL, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "created"
    lead = client.get(f"/api/v1/leads/{r.json()['lead_id']}", headers=auth).json()
    assert (lead["first_name"], lead["last_name"]) == ("Emma", "Jansen")
    assert lead["email"] == "emma.jansen@example.be" and lead["phone"] == "+32470123456"
    assert lead["company"] == "Jansen NV" and lead["job_title"] == "Inkoper" and lead["postal_code"] == "2000"
    assert lead["first_touch"]["gclid"] == "EAIaIQobChMI-test"
    [capture] = client.get("/api/v1/captures", params={"external_id": body["lead_id"]}, headers=auth).json()["items"]
    detail = client.get(f"/api/v1/captures/{capture['id']}", headers=auth).json()
    assert KEY not in detail["payload"] and "EAIaIQobChMI-test" in detail["payload"]


def test_the_same_lead_id_twice_makes_one_lead(client, auth, shared_data):
    body = sample(shared_data)
    first, again = client.post(URL, json=body), client.post(URL, json=body)
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert len(client.get("/api/v1/captures", params={"external_id": body["lead_id"]},
                          headers=auth).json()["items"]) == 1


def test_send_test_data_is_answered_200_but_makes_no_lead(client, auth, shared_data):
    r = client.post(URL, json=sample(shared_data, test=True))
    assert r.status_code == 200 and r.json()["test"] is True
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["lead_id"] is None and capture["reasons"][0]["field"] == "is_test"


def test_wrong_key_is_403_with_a_rejected_capture(client, auth, shared_data):
    body = copy.deepcopy(sample(shared_data))
    body["google_key"] = "guessed"
    r = client.post(URL, json=body)
    assert r.status_code == 403
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected" and capture["reasons"][0]["field"] == "google_key"


def test_malformed_bodies_are_4xx_with_a_rejected_capture(client, auth):
    for content, status in ((b'{"lead_id": ', 400), (json.dumps({"google_key": KEY}).encode(), 422)):
        r = client.post(URL, content=content, headers={"content-type": "application/json"})
        assert r.status_code == status
        capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
        assert capture["outcome"] == "rejected"


def test_without_a_key_set_posts_are_refused(database, factory, auth, shared_data):
    from fastapi.testclient import TestClient

    from leadflow.app import create_app

    with TestClient(create_app(make_settings(database.url), sessionmaker=factory)) as client:
        r = client.post(URL, json=sample(shared_data))
        assert r.status_code == 503 and "LEADFLOW_GOOGLE_ADS_KEY" in r.json()["errors"][0]["reason"]
        capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
        assert capture["outcome"] == "rejected"
