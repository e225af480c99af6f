"""Bad input is a clear 4xx naming the field, the raw submission is kept, and the same on SQLite and PostgreSQL:
control characters are dropped, lone surrogates, non-finite numbers and JSON nested too deep are refused."""

from __future__ import annotations

import csv
import json

from fastapi.testclient import TestClient

from leadflow import db
from tests.conftest import make_settings
from tests.integration.live import run_cli


def post_raw(client, auth, raw: str, path: str = "/api/v1/leads"):
    """A body as a client wrote it: json.dumps keeps \\u0000 and \\ud800 as escapes, valid JSON either way."""
    return client.post(path, headers={**auth, "content-type": "application/json"}, content=raw.encode())


def nested(levels: int) -> dict:
    value: dict = {"leaf": "x"}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def test_a_nul_and_other_control_characters_are_dropped_from_every_text_on_both_databases(client, auth):
    body = {"first_name": "An\u0000na", "last_name": "Jan\u0007sen", "email": "anna.nul@example.com",
            "company": "Acme\u0000 BV", "custom_fields": {"no\u0000te": "line one\nline\u0000 two"},
            "consents": [{"purpose": "news\u0000letter", "text": "Send me\u0000 news"}],
            "utm_source": "goo\u0000gle"}
    r = post_raw(client, auth, json.dumps(body))
    assert r.status_code == 201, r.text
    lead = client.get(f"/api/v1/leads/{r.json()['id']}", headers=auth).json()
    assert (lead["first_name"], lead["last_name"], lead["company"]) == ("Anna", "Jansen", "Acme BV")
    assert lead["custom_fields"] == {"note": "line one\nline two"}
    assert lead["first_touch"]["utm_source"] == "google"
    consents = client.get(f"/api/v1/leads/{lead['id']}/consents", headers=auth).json()
    assert [(c["purpose"], c["text"]) for c in consents] == [("newsletter", "Send me news")]


def test_direction_overrides_that_disguise_a_name_are_dropped_and_right_to_left_text_is_kept(client, auth):
    body = {"first_name": "Ann\u202eagiv", "last_name": "\u2067\u05db\u05d4\u05df\u2069", "email": "rlo@example.com",
            "company": "\u0634\u0631\u0643\u0629\u200f Acme"}
    r = post_raw(client, auth, json.dumps(body))
    assert r.status_code == 201, r.text
    lead = client.get(f"/api/v1/leads/{r.json()['id']}", headers=auth).json()
    assert (lead["first_name"], lead["last_name"]) == ("Annagiv", "\u05db\u05d4\u05df")
    assert lead["company"] == "\u0634\u0631\u0643\u0629\u200f Acme"   # a right-to-left mark is text, kept


def test_a_lone_surrogate_is_refused_naming_the_field_and_the_raw_capture_is_kept(client, auth):
    raw = '{"email": "lone@example.com", "first_name": "A\\ud800B", "custom_fields": {"k\\udc00": "v"}}'
    r = post_raw(client, auth, raw)
    assert r.status_code == 422, r.text
    body = r.json()
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"first_name", "custom_fields.k\\udc00"}
    assert all("surrogate" in e["reason"] for e in body["errors"])
    capture = client.get(f"/api/v1/captures/{body['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected" and capture["payload"] == raw
    assert {e["field"] for e in capture["reasons"]} == fields
    assert client.get("/api/v1/leads", params={"email": "lone@example.com"}, headers=auth).json()["items"] == []


def test_custom_fields_nested_300_deep_are_refused_with_a_rejected_capture(client, auth):
    r = client.post("/api/v1/leads", headers=auth, json={"email": "deep@example.com", "custom_fields": nested(300)})
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"].startswith("custom_fields.a.a") and "nested more than" in error["reason"]
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected" and capture["reasons"][0]["field"] == error["field"]
    ok = client.post("/api/v1/leads", headers=auth, json={"email": "deep@example.com", "custom_fields": nested(5)})
    assert ok.status_code == 201


def test_a_number_that_is_not_finite_is_refused(client, auth):
    r = post_raw(client, auth, '{"email": "nan@example.com", "custom_fields": {"score": NaN, "max": Infinity}}')
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == {"custom_fields.score", "custom_fields.max"}


def test_one_bad_item_in_a_batch_is_refused_alone(client, auth):
    raw = ('{"leads": [{"email": "b1@example.com", "first_name": "X\\ud800"}, '
           '{"email": "b2@example.com", "custom_fields": {"n": NaN}}, '
           '{"email": "b3@example.com", "custom_fields": {"big": 18446744073709551616}}, '
           '{"email": "b4@example.com", "custom_fields": ' + json.dumps(nested(50)) + '}, '
           '{"email": "b5@example.com", "first_name": "Fi\\u0000ne"}]}')
    r = post_raw(client, auth, raw, "/api/v1/leads/batch")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["outcome"] for i in items] == ["rejected", "rejected", "created", "rejected", "created"]
    assert items[0]["errors"][0]["field"] == "first_name"
    assert items[1]["errors"][0]["field"] == "custom_fields.n"
    lead = client.get(f"/api/v1/leads/{items[4]['lead_id']}", headers=auth).json()
    assert lead["first_name"] == "Fine"
    first = client.get(f"/api/v1/captures/{items[0]['capture_id']}", headers=auth).json()
    assert first["outcome"] == "rejected" and "b1@example.com" in first["payload"]


def test_a_vendor_post_with_a_lone_surrogate_is_refused_in_its_own_words(client, auth):
    raw = ('{"fields": [{"name": "email", "value": "hs@example.com"}, {"name": "firstname", "value": "\\ud800"}],'
           ' "context": {"pageUri": "https://example.com/x"}}')
    r = client.post("/compat/hubspot/submissions/v3/integration/submit/123/abc",
                    headers={"content-type": "application/json"}, content=raw.encode())
    assert r.status_code == 400, r.text
    assert "firstname" in r.json()["errors"][0]["message"]
    capture = client.get(f"/api/v1/captures/{r.json()['capture_id']}", headers=auth).json()
    assert capture["outcome"] == "rejected" and capture["payload"] == raw


def test_the_exported_csv_holds_no_control_character(fresh_database, tmp_path):
    db.upgrade(fresh_database.url)
    from leadflow.app import create_app
    from leadflow.people import service as people_service

    app = create_app(make_settings(fresh_database.url))
    with app.state.write_sessionmaker() as session:
        _, key = people_service.create_api_key(session=session, name="export")
        session.commit()
    with TestClient(app) as client:
        r = post_raw(client, {"Authorization": f"Bearer {key}"},
                     json.dumps({"email": "csv@example.com", "first_name": "Nu\u0000l", "city": "Tr\u001bomsø"}))
        assert r.status_code == 201, r.text
    app.state.engine.dispose()
    out = tmp_path / "leads.csv"
    result = run_cli(fresh_database.url, "export", "leads", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "\x00" not in text and "\x1b" not in text
    row = next(csv.DictReader(text.splitlines()))
    assert (row["first_name"], row["city"]) == ("Nul", "Tromsø")


def test_an_upload_whose_names_hold_a_nul_is_imported_with_the_names_cleaned(client, auth):
    content = "Email;Voornaam\r\nup@example.com;Anna\r\n".encode()
    r = client.post("/api/v1/imports", headers=auth, files={"file": ("fair\x00.csv", content, "text/csv")},
                    data={"campaign": "FAIR\x00-26", "id_column": "Em\x00ail", "start": "false"})
    assert r.status_code == 202, r.text
    assert r.json()["id_column"] == "Email" and "\x00" not in r.json()["filename"]
    codes = [c["code"] for c in client.get("/api/v1/campaigns", headers=auth).json()["items"]]
    assert "FAIR-26" in codes
    bad = client.post("/api/v1/imports", headers=auth, files={"file": ("x.csv", content, "text/csv")},
                      data={"mapping": '{"Email": "\\ud800"}', "start": "false"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("mapping")
    long = client.post("/api/v1/imports", headers=auth, files={"file": ("x.csv", content, "text/csv")},
                       data={"id_column": "E" * 301, "start": "false"})
    assert long.status_code == 422 and long.json()["errors"][0]["field"] == "id_column"
