"""POST /api/v1/leads and /leads/batch: create, merge, idempotency, and every kind of bad input."""

from __future__ import annotations

import json


def post(client, auth, body, **headers):
    return client.post("/api/v1/leads", headers={**auth, **headers}, json=body)


def test_new_lead_is_created_with_normalized_email_and_phone(client, auth):
    r = post(client, auth, {"first_name": " Anna ", "last_name": "Jansen", "email": " Anna.Jansen@Example.COM ",
                            "phone": "020 123 4567", "country": "Nederland"})
    assert r.status_code == 201, r.text
    lead = r.json()
    assert lead["email"] == "anna.jansen@example.com"
    assert lead["phone"] == "+31201234567"
    assert lead["country"] == "NL"
    assert lead["first_name"] == "Anna"
    assert r.headers["location"] == f"/api/v1/leads/{lead['id']}"


def test_same_email_in_other_case_merges_into_one_lead(client, auth):
    first = post(client, auth, {"email": "piet@bedrijf.nl", "first_name": "Piet"}).json()
    second = post(client, auth, {"email": "  PIET@Bedrijf.NL", "job_title": "Inkoper"})
    assert second.status_code == 200
    assert second.json()["id"] == first["id"]
    assert second.json()["job_title"] == "Inkoper"
    assert second.json()["first_name"] == "Piet"
    listed = client.get("/api/v1/leads", params={"email": "piet@bedrijf.nl"}, headers=auth).json()
    assert len(listed["items"]) == 1
    timeline = client.get(f"/api/v1/leads/{first['id']}/activities", headers=auth).json()
    merged = [a for a in timeline if a["kind"] == "merged"]
    assert merged and merged[0]["data"]["changes"] == [{"field": "job_title", "old": None, "new": "Inkoper"}]


def test_same_phone_in_another_notation_merges(client, auth):
    first = post(client, auth, {"phone": "+47 22 33 44 55", "first_name": "Ola"}).json()
    second = post(client, auth, {"mobile": "0047 22334455", "last_name": "Nordmann"})
    assert second.status_code == 200
    assert second.json()["id"] == first["id"]


def test_lead_without_email_needs_a_name_with_company_address_or_city_or_an_organisation_address(client, auth):
    ok = post(client, auth, {"first_name": "Matti", "last_name": "Virtanen", "company": "Nokia Oyj"})
    assert ok.status_code == 201
    assert ok.json()["company_id"] is not None
    bad = post(client, auth, {"first_name": "Matti"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "lead"
    assert post(client, auth, {"first_name": "Aino", "last_name": "Korhonen", "city": "Tampere"}).status_code == 201
    assert post(client, auth, {"company": "Kesko Oyj", "street": "Työpajankatu 12"}).status_code == 201
    assert post(client, auth, {"company": "Kesko Oyj", "city": "Helsinki"}).status_code == 422


def test_idempotent_retry_returns_the_first_answer_and_changes_nothing(client, auth):
    body = {"email": "retry@example.com", "first_name": "Ret"}
    first = post(client, auth, body, **{"Idempotency-Key": "abc-1"})
    again = post(client, auth, {**body, "first_name": "Changed"}, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    lead = client.get(f"/api/v1/leads/{first.json()['id']}", headers=auth).json()
    assert lead["first_name"] == "Ret"
    captures = client.get("/api/v1/captures", params={"lead_id": lead["id"]}, headers=auth).json()["items"]
    assert len(captures) == 1


def test_malformed_json_is_400_and_kept_as_rejected_capture(client, auth):
    r = client.post("/api/v1/leads", headers={**auth, "content-type": "application/json"}, content=b'{"email": ')
    assert r.status_code == 400
    body = r.json()
    assert body["errors"][0]["field"] == "body"
    capture = client.get(f"/api/v1/captures/{body['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected"
    assert capture["payload"] == '{"email": '


def test_wrong_types_name_the_field(client, auth):
    r = post(client, auth, {"email": ["not", "a", "string"], "consents": "yes"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"email", "consents"} <= fields
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected"


def test_invalid_email_and_phone_are_named_with_reasons(client, auth):
    r = post(client, auth, {"email": "not-an-email", "phone": "12"})
    assert r.status_code == 422
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert "email" in errors and "phone" in errors


def test_unknown_field_is_refused_with_a_hint(client, auth):
    r = post(client, auth, {"email": "a@b.example", "favourite_colour": "blue"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "favourite_colour"


def test_oversized_body_is_413_and_kept_as_rejected_capture(client, auth, app):
    limit = app.state.settings.max_body_bytes
    big = json.dumps({"email": "big@example.com", "custom_fields": {"x": "y" * (limit + 10)}})
    r = client.post("/api/v1/leads", headers={**auth, "content-type": "application/json"}, content=big)
    assert r.status_code == 413
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected"


def test_api_needs_a_valid_key(client, auth):
    assert client.get("/api/v1/leads").status_code == 401
    assert client.get("/api/v1/leads", headers={"Authorization": "Bearer lf_00000000_nope"}).status_code == 401
    assert client.get("/api/v1/leads", headers=auth).status_code == 200


def test_attribution_first_touch_kept_last_touch_updated(client, auth):
    first = post(client, auth, {"email": "touch@example.com", "utm_source": "google", "utm_medium": "cpc",
                                "utm_campaign": "spring", "gclid": "G-1", "landing_page": "https://x.example/a"})
    assert first.status_code == 201
    second = post(client, auth, {"email": "touch@example.com", "utm_source": "newsletter", "utm_medium": "email",
                                 "utm_campaign": "autumn"}).json()
    assert second["first_touch"]["utm_source"] == "google"
    assert second["first_touch"]["gclid"] == "G-1"
    assert second["last_touch"]["utm_source"] == "newsletter"
    spring = client.get("/api/v1/campaigns", params={"q": "spring"}, headers=auth).json()["items"][0]
    assert spring["channel"] == "paid_search"
    assert second["campaign_id"] == spring["id"]


def test_utm_parameters_in_the_landing_page_count(client, auth):
    lead = post(client, auth, {"email": "lp@example.com",
                               "landing_page": "https://x.example/p?utm_source=linkedin&utm_campaign=q4"}).json()
    assert lead["first_touch"]["utm_source"] == "linkedin"
    assert lead["first_touch"]["utm_campaign"] == "q4"


def test_campaign_found_by_code(client, auth):
    created = client.post("/api/v1/campaigns", headers=auth,
                          json={"name": "Hannover Messe", "code": "HM-2026", "channel": "trade_fair"})
    assert created.status_code == 201
    lead = post(client, auth, {"email": "fair@example.com", "campaign": "hm-2026"}).json()
    assert lead["campaign_id"] == created.json()["id"]


def test_batch_answers_per_item(client, auth):
    r = client.post("/api/v1/leads/batch", headers=auth, json={"leads": [
        {"email": "b1@example.com"}, {"email": "B1@example.com", "city": "Oslo"}, {"email": "nope"},
        {"first_name": "x", "unknown": 1},
    ]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["outcome"] for i in body["items"]] == ["created", "merged", "rejected", "rejected"]
    assert body["created"] == 1 and body["merged"] == 1 and body["rejected"] == 2
    assert body["items"][2]["errors"][0]["field"] == "email"


def test_batch_over_1000_is_refused(client, auth):
    r = client.post("/api/v1/leads/batch", headers=auth, json={"leads": [{"email": f"{i}@x.example"} for i in range(1001)]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "leads"


def test_consents_are_recorded_with_their_text(client, auth):
    lead = post(client, auth, {"email": "c@example.com", "consents": [
        {"purpose": "newsletter", "granted": True, "text": "Send me the monthly newsletter"}]}).json()
    consents = client.get(f"/api/v1/leads/{lead['id']}/consents", headers=auth).json()
    assert consents[0]["purpose"] == "newsletter" and consents[0]["text"] == "Send me the monthly newsletter"
