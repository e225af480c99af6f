"""Salesforce Web-to-Lead drop-in: the real form post creates the lead, keeps 00N fields, redirects to retURL."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

URL = "/compat/salesforce/servlet.WebToLead?encoding=UTF-8"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def sample(shared_data) -> dict:
    return json.loads((shared_data / "clients" / "salesforce_web_to_lead.json").read_text())


def capture_of(client, auth, response) -> dict:
    return client.get(f"/api/v1/captures/{response.headers['x-capture-id']}", headers=auth).json()


def test_web_to_lead_post_creates_the_lead_with_custom_fields_and_redirects_to_ret_url(client, auth, shared_data):
    post = sample(shared_data)
    r = client.post(URL, content=post["body"], headers=FORM, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "https://www.example.com/thank-you"
    capture = capture_of(client, auth, r)
    assert capture["channel"] == "salesforce" and capture["outcome"] == "created"
    assert capture["client"] == "salesforce:00D5g000004XyZa"
    assert capture["payload"] == post["body"]
    lead = client.get(f"/api/v1/leads/{capture['lead_id']}", headers=auth).json()
    assert lead["email"] == "kari.nordmann@example.no"
    assert lead["job_title"] == "Innkjøpssjef"
    assert lead["postal_code"] == "0150" and lead["country"] == "NO" and lead["phone"] == "+4722123456"
    assert lead["custom_fields"]["00N5g00000AbCdE"] == "25000"
    assert lead["custom_fields"]["00N5g00000AbCdF"] == "0-3 months"
    assert lead["custom_fields"]["lead_source"] == "Web"
    assert lead["custom_fields"]["employees"] == "45"
    assert "oid" not in lead["custom_fields"] and "submit" not in lead["custom_fields"]
    campaign = client.get(f"/api/v1/campaigns/{lead['campaign_id']}", headers=auth).json()
    assert campaign["code"] == "7015g000000AbCd"
    consents = client.get(f"/api/v1/leads/{lead['id']}/consents", headers=auth).json()
    assert [(c["purpose"], c["granted"]) for c in consents] == [("email_marketing", False)]


def test_utm_parameters_of_the_form_page_and_ret_url_become_attribution(client, auth, shared_data):
    fields = dict(parse_qsl(sample(shared_data)["body"]))
    fields["retURL"] = "https://www.example.com/thank-you?utm_campaign=spring-no"
    r = client.post(URL, content=urlencode(fields), follow_redirects=False,
                    headers={**FORM, "referer": "https://www.example.com/demo?utm_source=linkedin&utm_medium=social"})
    assert r.status_code == 303
    capture = capture_of(client, auth, r)
    assert capture["attribution"]["utm_source"] == "linkedin"
    assert capture["attribution"]["utm_campaign"] == "spring-no"
    assert capture["attribution"]["landing_page"].startswith("https://www.example.com/demo")


def test_post_without_ret_url_answers_200_with_the_capture(client, auth, shared_data):
    fields = dict(parse_qsl(sample(shared_data)["body"]))
    del fields["retURL"]
    r = client.post(URL, content=urlencode(fields), headers=FORM)
    assert r.status_code == 200
    assert r.json() == {"capture_id": r.json()["capture_id"], "outcome": "received"}
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "created" and capture["lead_id"]
    again = client.post(URL, content=urlencode(fields), headers=FORM)
    assert again.json()["outcome"] == "received" and "lead_id" not in again.json()   # known or not: one answer


def test_invalid_email_is_422_named_by_the_salesforce_field_and_kept_rejected(client, auth, shared_data):
    fields = dict(parse_qsl(sample(shared_data)["body"]))
    fields.update(email="not-an-email", title="x" * 400)
    r = client.post(URL, content=urlencode(fields), headers=FORM, follow_redirects=False)
    assert r.status_code == 422
    named = {e["field"] for e in r.json()["errors"]}
    assert {"email", "title"} <= named
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected"
    assert {reason["field"] for reason in capture["reasons"]} == named


def test_post_without_org_id_is_refused(client, auth):
    r = client.post(URL, content="email=a%40b.example&last_name=B", headers=FORM)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "oid"


def test_ret_url_that_is_not_http_is_refused_not_followed(client, auth):
    r = client.post(URL, content="oid=00D5g000004XyZa&email=a%40b.example&retURL=javascript%3Aalert(1)",
                    headers=FORM, follow_redirects=False)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "retURL"


def test_malformed_bodies_are_4xx_and_kept_as_rejected_captures(client, auth):
    for body, headers, status in [
        (b'{"email": "a@b.example"}', {"content-type": "application/json"}, 415),
        (b"oid=00D5g000004XyZa&email", FORM, 400),
        (b"oid=00D5g000004XyZa&email=%FF%FE", FORM, 400),
    ]:
        r = client.post(URL, content=body, headers=headers)
        assert r.status_code == status, (body, r.text)
        capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
        assert capture["outcome"] == "rejected" and capture["payload"] == body.decode("latin-1")


def test_latin1_post_is_read_with_the_encoding_it_names(client, auth):
    body = "oid=00D5g000004XyZa&email=l%F8kke%40example.no&last_name=L%F8kke"
    r = client.post("/compat/salesforce/servlet.WebToLead?encoding=ISO-8859-1", content=body, headers=FORM)
    assert r.status_code == 200, r.text
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    lead = client.get(f"/api/v1/leads/{capture['lead_id']}", headers=auth).json()
    assert lead["last_name"] == "Løkke"


def test_oversized_post_is_413_and_kept_as_rejected_capture(client, auth, app):
    body = "oid=00D5g000004XyZa&description=" + "x" * (app.state.settings.max_body_bytes + 10)
    r = client.post(URL, content=body, headers=FORM)
    assert r.status_code == 413
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected"
