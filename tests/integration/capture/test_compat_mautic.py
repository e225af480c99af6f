"""Mautic form drop-in: the real mauticform[...] post creates the lead; answers as Mautic's form endpoint does."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

URL = "/compat/mautic/form/submit?formId=3"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def sample(shared_data) -> dict:
    return json.loads((shared_data / "clients" / "mautic_form_submit.json").read_text())


def test_form_post_creates_the_lead(client, auth, shared_data):
    post = sample(shared_data)
    r = client.post(URL, content=post["body_urlencoded"], headers=FORM)
    assert r.status_code == 200, r.text
    assert r.json()["success"] == 1 and r.json()["formName"] == "brochurerequest"
    capture = client.get(f"/api/v1/captures/{r.headers['x-capture-id']}", headers=auth).json()
    assert capture["channel"] == "mautic" and capture["client"] == "mautic:3" and capture["outcome"] == "created"
    lead = client.get(f"/api/v1/leads/{capture['lead_id']}", headers=auth).json()
    assert (lead["first_name"], lead["last_name"], lead["company"]) == ("Sofie", "Peeters", "Peeters BVBA")
    assert lead["email"] == "sofie.peeters@example.be" and lead["phone"] == "+3231234567"
    assert lead["custom_fields"] == {"message": "Brochure aub"}
    campaign = client.get(f"/api/v1/campaigns/{lead['campaign_id']}", headers=auth).json()
    assert campaign["code"] == "mautic-form-3"


def test_multipart_post_from_the_form_builder_markup_creates_the_lead(client, auth, shared_data):
    fields = [(name, value) for name, value in sample(shared_data)["fields"] if name != "mauticform[messenger]"]
    r = client.post(URL, files={name: (None, value) for name, value in fields}, follow_redirects=False,
                    headers={"referer": "https://www.example.be/brochure?utm_source=newsletter&utm_medium=email"})
    assert r.status_code == 302, r.text
    assert r.headers["location"].startswith("https://www.example.be/brochure?utm_source=newsletter")
    assert "mauticMessage=" in r.headers["location"]
    capture = client.get(f"/api/v1/captures/{r.headers['x-capture-id']}", headers=auth).json()
    assert capture["outcome"] == "created" and capture["content_type"].startswith("multipart/form-data")
    assert capture["attribution"]["utm_source"] == "newsletter"


def test_invalid_email_from_the_js_embed_gets_mautics_validation_errors(client, auth, shared_data):
    fields = dict(parse_qsl(sample(shared_data)["body_urlencoded"], keep_blank_values=True))
    fields.update({"mauticform[email]": "sofie@", "mauticform[phone]": ""})
    r = client.post(URL, content=urlencode(fields), headers={**FORM, "X-Requested-With": "XMLHttpRequest"})
    assert r.status_code == 422
    assert r.json()["success"] == 0 and "email" in r.json()["validationErrors"]
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected" and capture["reasons"][0]["field"] == "mauticform[email]"


def test_post_without_a_form_id_is_refused(client, auth):
    r = client.post("/compat/mautic/form/submit", content="mauticform%5Bemail%5D=a%40b.example", headers=FORM)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "formId"


def test_malformed_bodies_are_4xx_with_a_rejected_capture(client, auth):
    for body, headers, status in [
        (b"<xml/>", {"content-type": "text/xml"}, 415),
        (b"--nope\r\nnot multipart", {"content-type": "multipart/form-data; boundary=other"}, 400),
        (b"mauticform%5Bemail%5D", FORM, 400),
    ]:
        r = client.post(URL, content=body, headers=headers)
        assert r.status_code == status, (body, r.text)
        capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
        assert capture["outcome"] == "rejected"
