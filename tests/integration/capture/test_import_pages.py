"""Imports in the browser: upload, correct a column in the mapping preview, start, progress, the reject file."""

from __future__ import annotations

import csv
import io
import re

from leadflow import worker
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in

HEADER = ["Voornaam", "Achternaam", "Mail adres werk", "Bedrijf", "Beurs stand"]
ROWS = [
    ["Anna", "Jansen", "anna@jansen.example", "Jansen BV", "A12"],
    ["Piet", "Bakker", "not-an-email", "Bakker NV", "B3"],
    ["Kees", "de Boer", "kees@boer.example", "", "C1"],
    ["", "", "", "", "D4"],
]


def csv_bytes(header=HEADER, rows=ROWS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _signed_in(client, factory, role="marketing"):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    return who


def _upload(client, content: bytes, name="fair.csv", **fields):
    token = form_token(client, "/imports/new")
    return client.post("/imports/new", files={"file": (name, content, "text/csv")},
                       data={"csrf_token": token, "channel": "trade_fair", **fields}, follow_redirects=False)


def _selected(html: str, index: int) -> str:
    select = re.search(rf'<select id="map-{index}".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="([^"]+)" selected', select).group(1)


def test_upload_correct_a_column_start_and_download_the_reject_file(client, auth, factory):
    _signed_in(client, factory)
    client.post("/api/v1/campaigns", headers=auth, json={"name": "Fair 2026", "code": "FAIR-26"})
    r = _upload(client, csv_bytes(), campaign="FAIR-26")
    assert r.status_code == 303, r.text
    mapping_url = r.headers["location"]
    import_id = int(mapping_url.split("/")[2])
    page = client.get(mapping_url)
    assert page.status_code == 200 and "fair.csv uploaded" in page.text
    # The synonym table knows Voornaam; "Mail adres werk" is read by its naming word; "Beurs stand" is unknown and
    # would become a custom field.
    assert _selected(page.text, 0) == "first_name"
    assert _selected(page.text, 2) == "email"
    assert _selected(page.text, 4) == "custom"
    assert "anna@jansen.example" in page.text and "not recognised" in page.text
    assert client.get(f"/api/v1/imports/{import_id}", headers=auth).json()["status"] == "waiting"
    assert worker.drain(factory) == 0

    token = form_token(client, mapping_url)
    started = client.post(mapping_url, follow_redirects=False, data={
        "csrf_token": token, "action": "start", "map-0": "first_name", "map-1": "last_name", "map-2": "email",
        "map-3": "company", "map-4": "custom", "custom-4": "Stand", "id_column": "", "country": "NL"})
    assert started.status_code == 303, started.text
    assert started.headers["location"] == f"/imports/{import_id}"
    queued = client.get(f"/imports/{import_id}")
    assert "Import started" in queued.text
    assert f'hx-get="/imports/{import_id}/progress" hx-trigger="every 2s"' in queued.text

    assert worker.drain(factory) >= 1
    done = client.get(f"/imports/{import_id}/progress")
    assert done.status_code == 200 and "hx-trigger" not in done.text
    assert 'id="count-created">3<' in done.text and 'id="count-rejected">1<' in done.text
    assert 'id="count-set-aside">1<' in done.text   # Piet's mistyped email is kept as given, Piet imported
    assert '<dd id="import-country">NL</dd>' in client.get(f"/imports/{import_id}").text
    assert 'value="100"' in done.text
    assert f'id="rejects-link" href="/imports/{import_id}/rejects.csv"' in done.text

    anna = client.get("/api/v1/leads", params={"email": "anna@jansen.example"}, headers=auth).json()["items"]
    assert len(anna) == 1 and anna[0]["custom_fields"] == {"Stand": "A12"} and anna[0]["company"] == "Jansen BV"
    detail = client.get(f"/api/v1/imports/{import_id}", headers=auth).json()
    assert detail["mapping"]["Mail adres werk"] == "email" and detail["country"] == "NL" and detail["set_aside"] == 1
    piet = client.get("/api/v1/leads", params={"q": "Bakker"}, headers=auth).json()["items"]
    assert [p["custom_fields"]["email_as_given"] for p in piet] == ["not-an-email"]

    rejects = client.get(f"/imports/{import_id}/rejects.csv")
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    assert "attachment" in rejects.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(rejects.text)))
    assert lines[0] == [*HEADER, "row_number", "reason"]
    assert [line[-2] for line in lines[1:]] == ["5"]
    assert lines[1][-1].startswith("lead:")

    listed = client.get("/imports")
    assert "fair.csv" in listed.text and "Done" in listed.text and "Fair 2026" in listed.text


def test_a_mapping_choice_that_is_not_a_field_is_shown_beside_its_column(client, factory):
    _signed_in(client, factory)
    mapping_url = _upload(client, csv_bytes()).headers["location"]
    token = form_token(client, mapping_url)
    r = client.post(mapping_url, data={"csrf_token": token, "action": "start", "map-0": "shoe_size",
                                       "map-1": "last_name", "map-2": "custom", "custom-2": "",
                                       "map-3": "company", "map-4": "ignore"})
    assert r.status_code == 422
    assert 'id="map-0-error"' in r.text and 'id="map-2-error"' in r.text
    assert _selected(r.text, 4) == "ignore"
    assert worker.drain(factory) == 0


def test_a_country_that_is_none_is_shown_beside_its_choice(client, factory):
    _signed_in(client, factory)
    mapping_url = _upload(client, csv_bytes()).headers["location"]
    page = client.get(mapping_url)
    assert '<option value="NO">Norway (NO)</option>' in page.text
    token = form_token(client, mapping_url)
    r = client.post(mapping_url, data={"csrf_token": token, "action": "start", "map-0": "first_name",
                                       "map-1": "last_name", "map-2": "email", "map-3": "company",
                                       "map-4": "ignore", "country": "Atlantis"})
    assert r.status_code == 422 and 'id="country-error"' in r.text and "Not a country" in r.text
    assert worker.drain(factory) == 0


def test_an_unreadable_file_gets_a_clear_error_not_a_500(client, factory):
    _signed_in(client, factory)
    r = _upload(client, b"\xd0\xcf\x11\xe0" + b"\x00" * 600, name="old.xls")
    assert r.status_code == 422
    assert 'id="import-file-error"' in r.text and ".xls format is not supported" in r.text
    empty = _upload(client, b"", name="empty.csv")
    assert empty.status_code == 422 and 'id="import-file-error"' in empty.text
    token = form_token(client, "/imports/new")
    missing = client.post("/imports/new", data={"csrf_token": token, "channel": "import"})
    assert missing.status_code == 422 and "Choose a CSV or .xlsx file." in missing.text


def test_an_upload_over_the_size_limit_is_refused(client, factory, app):
    _signed_in(client, factory)
    app.state.settings.max_upload_bytes = 2000
    try:
        r = _upload(client, csv_bytes(rows=ROWS * 100))
    finally:
        app.state.settings.max_upload_bytes = 200_000_000
    assert r.status_code == 413 and "larger than 2000 bytes" in r.text


def test_a_sales_rep_cannot_import_and_a_post_without_csrf_is_refused(client, auth, factory):
    _signed_in(client, factory, "sales_rep")
    assert client.get("/imports/new").status_code == 403
    assert client.get("/imports").status_code == 403
    client.cookies.clear()
    _signed_in(client, factory)
    r = client.post("/imports/new", files={"file": ("fair.csv", csv_bytes(), "text/csv")}, data={})
    assert r.status_code == 403
    assert client.get("/api/v1/imports", headers=auth).json()["items"] == []


def test_the_empty_list_says_what_to_do_next(client, factory):
    _signed_in(client, factory)
    page = client.get("/imports")
    assert "No imports yet." in page.text and 'href="/imports/new"' in page.text
