"""POST /api/v1/imports: upload, a worker runs it, progress and results by GET, the reject file, the size limit."""

from __future__ import annotations

import csv
import io
import json

from leadflow import worker

HEADER = ["Voornaam", "Achternaam", "E-mailadres", "Telefoon", "Bedrijf", "Stand"]
ROWS = [
    ["Anna", "Jansen", "anna@jansen.example", "+31 20 123 4567", "Jansen BV", "A12"],
    ["Piet", "Bakker", "not-an-email", "", "Bakker NV", "B3"],
    ["Kees", "de Boer", "kees@boer.example", "", "", "C1"],
    ["", "", "", "", "", "D4"],
    ["ANNA", "Jansen", "ANNA@jansen.example", "", "", "A12"],
]


def csv_bytes(header=HEADER, rows=ROWS, delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(client, auth, content: bytes, name="fair.csv", **fields):
    return client.post("/api/v1/imports", headers=auth, files={"file": (name, content, "text/csv")},
                       data={k: v for k, v in fields.items() if v is not None})


def test_upload_runs_through_the_worker_and_reports_results_and_rejects(client, auth, factory):
    r = upload(client, auth, csv_bytes(), channel="trade_fair", country="Netherlands")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued"
    assert body["mapping"]["Voornaam"] == "first_name"
    assert body["mapping"]["E-mailadres"] == "email"
    assert body["mapping"]["Stand"] == "custom:Stand"
    assert body["sample"][0]["Voornaam"] == "Anna"
    assert r.headers["location"] == f"/api/v1/imports/{body['id']}"

    assert worker.drain(factory) >= 1
    done = client.get(f"/api/v1/imports/{body['id']}", headers=auth).json()
    assert done["status"] == "done", done
    assert (done["rows_done"], done["created"], done["merged"], done["rejected"]) == (5, 3, 1, 1)
    assert (done["set_aside"], done["country"]) == (1, "NL")   # Piet imported, his mistyped email kept as given
    assert done["progress"] == 1.0
    assert done["started_at"] and done["finished_at"]

    rejects = list(csv.reader(io.StringIO(client.get(f"/api/v1/imports/{body['id']}/rejects.csv",
                                                     headers=auth).text)))
    assert rejects[0] == [*HEADER, "row_number", "reason"]
    assert [row[-2] for row in rejects[1:]] == ["5"]
    assert rejects[1][-1].startswith("lead:")

    anna = client.get("/api/v1/leads", params={"email": "anna@jansen.example"}, headers=auth).json()["items"]
    assert len(anna) == 1 and anna[0]["channel"] == "trade_fair"
    assert anna[0]["custom_fields"] == {"Stand": "A12"}
    captures = client.get("/api/v1/captures", params={"import_id": body["id"]}, headers=auth).json()["items"]
    assert sorted(c["outcome"] for c in captures) == ["created", "created", "created", "merged", "rejected"]
    assert {json.loads(client.get(f"/api/v1/captures/{c['id']}", headers=auth).json()["payload"])["row_number"]
            for c in captures} == {2, 3, 4, 5, 6}


def test_mapping_can_be_corrected_before_a_waiting_import_starts(client, auth, factory):
    body = upload(client, auth, csv_bytes(), start="false").json()
    assert body["status"] == "waiting"
    assert worker.drain(factory) == 0
    changed = client.patch(f"/api/v1/imports/{body['id']}", headers=auth,
                           json={"mapping": {"Stand": "ignore", "Bedrijf": "custom:Firma"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["mapping"]["Stand"] == "ignore"
    wrong = client.patch(f"/api/v1/imports/{body['id']}", headers=auth, json={"mapping": {"Stand": "shoe_size"}})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "mapping.Stand"

    started = client.post(f"/api/v1/imports/{body['id']}/start", headers=auth)
    assert started.status_code == 202 and started.json()["status"] == "queued"
    worker.drain(factory)
    assert client.get(f"/api/v1/imports/{body['id']}", headers=auth).json()["status"] == "done"
    kees = client.get("/api/v1/leads", params={"email": "kees@boer.example"}, headers=auth).json()["items"][0]
    assert kees["custom_fields"] == {}
    anna = client.get("/api/v1/leads", params={"email": "anna@jansen.example"}, headers=auth).json()["items"][0]
    assert anna["custom_fields"] == {"Firma": "Jansen BV"} and anna["company"] is None
    again = client.post(f"/api/v1/imports/{body['id']}/start", headers=auth)
    assert again.status_code == 409


def test_unknown_mapping_target_is_refused_before_anything_is_imported(client, auth, factory):
    r = upload(client, auth, csv_bytes(), mapping=json.dumps({"Voornaam": "given_name"}))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "mapping.Voornaam"
    missing = upload(client, auth, csv_bytes(), mapping=json.dumps({"Geboortedatum": "ignore"}))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "mapping.Geboortedatum"
    worker.drain(factory)
    assert client.get("/api/v1/captures", params={"channel": "import"}, headers=auth).json()["items"] == []


def test_unreadable_file_is_refused_and_kept_as_a_failed_import(client, auth):
    r = upload(client, auth, b"\xd0\xcf\x11\xe0 old excel", name="leads.xls")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "file"
    kept = client.get(f"/api/v1/imports/{r.json()['import_id']}", headers=auth).json()
    assert kept["status"] == "failed" and ".xls" in kept["error"]
    assert upload(client, auth, b"").status_code == 422
    no_file = client.post("/api/v1/imports", headers=auth, data={"channel": "import"})
    assert no_file.status_code == 422 and no_file.json()["errors"][0]["field"] == "file"


def test_oversized_upload_is_413(database, factory, auth):
    from fastapi.testclient import TestClient

    from leadflow.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database.url, max_upload_bytes=2_000), sessionmaker=factory)
    with TestClient(app, raise_server_exceptions=False) as small:
        content = csv_bytes(rows=ROWS * 40)
        r = upload(small, auth, content)
        assert r.status_code == 413
        assert r.json()["errors"][0]["field"] == "body"

        def chunks():  # no Content-Length: counted as it streams
            boundary = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
            yield boundary
            yield content
            yield b"\r\n--x--\r\n"
        streamed = small.post("/api/v1/imports", headers={**auth, "content-type": "multipart/form-data; boundary=x"},
                              content=chunks())
        assert streamed.status_code == 413
        assert small.get("/api/v1/imports", headers=auth).json()["items"] == []


def test_imports_are_listed_newest_first(client, auth):
    first = upload(client, auth, csv_bytes(), start="false").json()
    second = upload(client, auth, csv_bytes(), start="false").json()
    listed = client.get("/api/v1/imports", headers=auth).json()["items"]
    assert [i["id"] for i in listed[:2]] == [second["id"], first["id"]]
    assert client.get("/api/v1/imports/999999", headers=auth).status_code == 404


def test_a_wrong_country_is_refused_naming_the_field(client, auth):
    r = upload(client, auth, csv_bytes(), country="Atlantis")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "country"
