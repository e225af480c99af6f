"""`leadflow import FILE`: rejects with row numbers and reasons, re-imports, id column, headers, .xlsx, mapping."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from leadflow import db

HEADER = ["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Badge"]
ROWS = [
    ["Anna", "Jansen", "anna@jansen.example", "+31 20 123 4567", "Jansen BV", "B-1"],
    ["Piet", "Bakker", "piet@bakker", "", "Bakker NV", "B-2"],
    ["Kees", "de Boer", "kees@boer.example", "", "De Boer", "B-3"],
    ["Joost", "", "", "", "", "B-4"],
    ["Ola", "Nordmann", "ola@nordmann.example", "12", "", "B-5"],
    ["Aino", "Virtanen", "aino@virtanen.example", "+358 40 123 4567", "Virtanen Oy", "B-6"],
]


@pytest.fixture
def leadflow_db(fresh_database, monkeypatch):
    """A migrated database of the test's own that the command commits to for real."""
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    monkeypatch.setenv("LEADFLOW_DEFAULT_COUNTRY", "")
    get_settings.cache_clear()
    engine = db.make_engine(fresh_database.url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def leadflow(*args: str):
    from leadflow.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def write_csv(path, header=HEADER, rows=ROWS, delimiter=",", encoding="utf-8"):
    with path.open("w", newline="", encoding=encoding) as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def leads(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text("SELECT * FROM leads ORDER BY id")).mappings()]


def custom_fields(lead: dict) -> dict:
    value = lead["custom_fields"]
    return value if isinstance(value, dict) else json.loads(value)


def test_bad_rows_go_to_the_reject_file_with_row_numbers_and_reasons_and_the_rest_is_imported(leadflow_db, tmp_path):
    source = write_csv(tmp_path / "fair.csv")
    result = leadflow("import", source, "--channel", "trade_fair")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "6 rows: 5 created, 0 merged, 1 rejected (2 kept with an unreadable value set aside" in result.stderr

    with (tmp_path / "fair.csv.rejects.csv").open(newline="", encoding="utf-8") as rejects:
        rows = list(csv.reader(rejects))
    assert rows[0] == [*HEADER, "row_number", "reason"]
    assert [(r[0], r[-2]) for r in rows[1:]] == [("Joost", "5")]   # nothing identifies him
    assert rows[1][:-2] == ROWS[3] and rows[1][-1].startswith("lead:")

    # A mistyped email or an unreadable phone does not lose the person: the value is kept as given.
    by_name = {lead["first_name"]: lead for lead in leads(leadflow_db)}
    assert sorted(by_name) == ["Aino", "Anna", "Kees", "Ola", "Piet"]
    assert by_name["Piet"]["email"] is None and custom_fields(by_name["Piet"]) == {
        "Badge": "B-2", "email_as_given": "piet@bakker"}
    assert by_name["Ola"]["phone"] is None and by_name["Ola"]["email"] == "ola@nordmann.example"
    assert custom_fields(by_name["Ola"])["phone_as_given"] == "12"
    assert scalar(leadflow_db,
                  "SELECT count(*) FROM captures WHERE outcome = 'rejected' AND channel = 'trade_fair'") == 1
    assert scalar(leadflow_db, "SELECT count(*) FROM activities WHERE kind = 'captured'") == 5
    assert scalar(leadflow_db, "SELECT count(*) FROM outbox WHERE topic = 'lead.captured'") == 5
    assert scalar(leadflow_db, "SELECT set_aside FROM imports") == 2
    reasons = scalar(leadflow_db, "SELECT reasons FROM captures WHERE lead_id = :id", id=by_name["Ola"]["id"])
    assert "set aside, kept as phone_as_given" in str(reasons)
    anna = by_name["Anna"]
    assert anna["phone"] == "+31201234567" and anna["channel"] == "trade_fair" and anna["company_id"]
    assert custom_fields(anna) == {"Badge": "B-1"}


def test_national_numbers_are_read_by_the_files_country_and_a_rows_own_country_comes_first(leadflow_db, tmp_path):
    source = write_csv(tmp_path / "local.csv", header=["First name", "Last name", "Email", "Phone", "Country"], rows=[
        ["Kari", "Nordmann", "kari@nordmann.example", "912 34 567", ""],
        ["Liisa", "Virtanen", "liisa@virtanen.example", "040 123 4567", "Finland"],
    ])
    result = leadflow("import", source, "--country", "Norway")
    assert result.exit_code == 0, result.output
    assert "2 rows: 2 created, 0 merged, 0 rejected in" in result.stderr
    assert [lead["phone"] for lead in leads(leadflow_db)] == ["+4791234567", "+358401234567"]
    assert scalar(leadflow_db, "SELECT country FROM imports") == "NO"

    refused = leadflow("import", source, "--country", "Atlantis")
    assert refused.exit_code == 2 and "country: not a country" in refused.stderr


def test_without_a_country_a_national_number_is_set_aside_and_the_person_imported(leadflow_db, tmp_path):
    source = write_csv(tmp_path / "local.csv", header=["Name", "E-mail", "Telephone"], rows=[
        ["Kari Nordmann", "kari@nordmann.example", "912 34 567"],
    ])
    result = leadflow("import", source)
    assert "1 rows: 1 created, 0 merged, 0 rejected (1 kept" in result.stderr, result.output
    (kari,) = leads(leadflow_db)
    assert kari["phone"] is None and custom_fields(kari)["phone_as_given"] == "912 34 567"


def test_importing_the_same_file_again_adds_no_lead(leadflow_db, tmp_path):
    source = write_csv(tmp_path / "fair.csv")
    assert leadflow("import", source).exit_code == 0
    before = scalar(leadflow_db, "SELECT count(*) FROM leads")
    again = leadflow("import", source)
    assert again.exit_code == 0
    assert "6 rows: 0 created, 5 merged, 1 rejected" in again.stderr
    assert scalar(leadflow_db, "SELECT count(*) FROM leads") == before == 5
    assert scalar(leadflow_db, "SELECT count(*) FROM activities WHERE kind = 'merged'") == 5


def test_rows_that_are_the_same_person_within_one_file_become_one_lead(leadflow_db, tmp_path):
    rows = [
        ["Anna", "Jansen", "anna@jansen.example", "", "", ""],
        ["Anna", "Jansen", "ANNA@Jansen.example", "+31 20 123 4567", "", "x"],
        ["", "", "", "0031201234567", "Jansen BV", ""],
        ["Matti", "Meikäläinen", "", "", "Nokia Oyj", ""],
        ["matti", "meikalainen", "", "", "Nokia", "y"],
    ]
    source = write_csv(tmp_path / "dupes.csv", rows=rows)
    result = leadflow("import", source, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "5 rows: 2 created, 3 merged, 0 rejected" in result.stderr
    anna, matti = leads(leadflow_db)
    assert (anna["email"], anna["phone"], anna["company"]) == ("anna@jansen.example", "+31201234567", "Jansen BV")
    assert matti["company"] == "Nokia"


def test_id_column_keeps_each_rows_value_as_its_captures_external_id(leadflow_db, tmp_path):
    from fastapi.testclient import TestClient

    from leadflow.app import create_app
    from leadflow.db import make_sessionmaker
    from leadflow.people import service as people_service
    from tests.conftest import make_settings

    source = write_csv(tmp_path / "fair.csv")
    assert leadflow("import", source, "--id-column", "Badge").exit_code == 0
    factory = make_sessionmaker(leadflow_db)
    with factory() as session:
        _, key = people_service.create_api_key(session=session, name="tests")
        session.commit()
    url = leadflow_db.url.render_as_string(hide_password=False)
    with TestClient(create_app(make_settings(url), engine=leadflow_db)) as client:
        auth = {"Authorization": f"Bearer {key}"}
        found = client.get("/api/v1/captures", params={"external_id": "B-3"}, headers=auth).json()["items"]
        assert len(found) == 1 and found[0]["outcome"] == "created"
        lead = client.get(f"/api/v1/leads/{found[0]['lead_id']}", headers=auth).json()
        assert lead["email"] == "kees@boer.example"
        rejected = client.get("/api/v1/captures", params={"external_id": "B-4"}, headers=auth).json()["items"]
        assert rejected[0]["outcome"] == "rejected"
        assert rejected[0]["reasons"][0]["field"] == "lead"
        aside = client.get("/api/v1/captures", params={"external_id": "B-2"}, headers=auth).json()["items"]
        assert aside[0]["outcome"] == "created"
        assert aside[0]["reasons"][0]["field"] == "email" and "email_as_given" in aside[0]["reasons"][0]["reason"]
        listed = client.get("/api/v1/imports", headers=auth).json()["items"][0]
        assert (listed["created"], listed["rejected"], listed["set_aside"]) == (5, 1, 2)


def test_dutch_norwegian_and_finnish_headers_map_by_themselves(leadflow_db, tmp_path):
    header = ["Voornaam", "Etternavn", "Sähköposti", "Mobiel", "Yritys", "Postnummer", "Plaats", "Land", "Kieli",
              "Functie", "Nyhetsbrev"]
    rows = [["Sanne", "Nilsen", "sanne@nilsen.example", "+47 412 34 567", "Nilsen AS", "0150", "Oslo", "Norge", "nb",
             "Innkjøper", "ja"]]
    source = write_csv(tmp_path / "mix.csv", header=header, rows=rows, delimiter=";", encoding="cp1252")
    result = leadflow("import", source)
    assert result.exit_code == 0, result.output
    [lead] = leads(leadflow_db)
    assert (lead["first_name"], lead["last_name"], lead["email"], lead["mobile"], lead["company"]) == (
        "Sanne", "Nilsen", "sanne@nilsen.example", "+4741234567", "Nilsen AS")
    assert (lead["postal_code"], lead["city"], lead["country"], lead["language"], lead["job_title"]) == (
        "0150", "Oslo", "NO", "nb", "Innkjøper")
    assert custom_fields(lead) == {"Nyhetsbrev": "ja"}


def test_a_full_name_column_is_split_and_opt_outs_set_do_not_contact(leadflow_db, tmp_path):
    header = ["Contact Name", "E-mail", "Organisation", "Email Opt Out", "Marketing Consent"]
    rows = [["Maarten de Vries", "maarten@vries.example", "De Vries BV", "1", "no"],
            ["Virtanen, Aino", "aino@virtanen.example", "", "0", "yes"]]
    assert leadflow("import", write_csv(tmp_path / "names.csv", header=header, rows=rows)).exit_code == 0
    maarten, aino = leads(leadflow_db)
    assert (maarten["first_name"], maarten["last_name"], bool(maarten["do_not_contact"])) == ("Maarten", "de Vries",
                                                                                              True)
    assert (aino["first_name"], aino["last_name"], bool(aino["do_not_contact"])) == ("Aino", "Virtanen", False)
    consents = scalar(leadflow_db, "SELECT count(*) FROM consents WHERE purpose = 'marketing' AND granted = :g", g=True)
    assert consents == 1


def test_an_xlsx_file_imports(leadflow_db, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(["Vorname", "Nachname", "E-Mail", "Telefon", "Firma", "PLZ", "Messe-Stand"])
    sheet.append(["Jürgen", "Müller", "juergen@mueller.example", "+49 30 1234567", "Müller GmbH", 10115, 7])
    sheet.append(["Eva", "Schmidt", "eva@", None, None, None, None])
    sheet.append([])
    sheet.append(["Eva", "Schmidt", "eva@schmidt.example", None, "Schmidt AG", "01067", 8])
    book.save(tmp_path / "messe.xlsx")
    result = leadflow("import", tmp_path / "messe.xlsx", "--campaign", "MESSE-2026")
    assert result.exit_code == 0, result.output
    assert "3 rows: 2 created, 0 merged, 1 rejected" in result.stderr
    juergen, eva = leads(leadflow_db)
    assert (juergen["first_name"], juergen["phone"], juergen["postal_code"]) == ("Jürgen", "+49301234567", "10115")
    assert eva["company"] == "Schmidt AG"
    campaign_id = scalar(leadflow_db, "SELECT id FROM campaigns WHERE code = 'MESSE-2026'")
    assert juergen["campaign_id"] == eva["campaign_id"] == campaign_id
    rows = list(csv.reader((tmp_path / "messe.xlsx.rejects.csv").open(encoding="utf-8")))
    assert [(r[0], r[-2]) for r in rows[1:]] == [("Eva", "4")]


def test_a_mapping_file_overrides_and_a_wrong_target_stops_before_anything_is_imported(leadflow_db, tmp_path):
    source = write_csv(tmp_path / "fair.csv")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"Badge": "badge_number"}))
    refused = leadflow("import", source, "--mapping", wrong)
    assert refused.exit_code == 2
    assert "mapping.Badge" in refused.stderr and "badge_number" in refused.stderr
    assert scalar(leadflow_db, "SELECT count(*) FROM imports") == 0
    assert scalar(leadflow_db, "SELECT count(*) FROM captures") == 0

    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Badge": "ignore", "Company Name": "custom:Standhouder"}))
    assert leadflow("import", source, "--mapping", mapping).exit_code == 0
    anna = leads(leadflow_db)[0]
    assert anna["company"] is None and custom_fields(anna) == {"Standhouder": "Jansen BV"}


def test_a_misspelt_row_country_sets_its_numbers_aside_instead_of_reading_them_by_another_country(leadflow_db,
                                                                                                  tmp_path):
    source = write_csv(tmp_path / "misspelt.csv", header=["First name", "Email", "Phone", "Country"], rows=[
        ["Sven", "sven@example.se", "070 123 45 67", "Sweeden"],
    ])
    result = leadflow("import", source, "--country", "DE")
    assert "1 rows: 1 created" in result.stderr, result.output
    (sven,) = leads(leadflow_db)
    assert sven["phone"] is None and sven["country"] is None   # never +49 70 …, a German number he does not have
    assert custom_fields(sven) == {"country_as_given": "Sweeden", "phone_as_given": "070 123 45 67"}


def test_a_resumed_import_keeps_the_country_its_rows_were_read_by(leadflow_db, tmp_path):
    source = write_csv(tmp_path / "fair.csv")
    assert leadflow("import", source, "--country", "NL").exit_code == 0
    with leadflow_db.begin() as conn:
        conn.execute(text("UPDATE imports SET status = 'failed'"))
    refused = leadflow("import", source, "--resume", "1", "--country", "NO")
    assert refused.exit_code == 2 and "country: import 1 has read rows by its country (NL)" in refused.stderr


def test_an_imported_company_never_takes_a_domain_another_company_holds(leadflow_db, tmp_path):
    first = write_csv(tmp_path / "first.csv", header=["Name", "Email", "Company"], rows=[
        ["Ola Nordmann", "ola@nordmann.example", "Nordmann Bygg AS"],
        ["Asa Fjord", "asa@nordmann.example", "Fjord AS"],   # a shared mail host, or a reseller's address
    ])
    later = write_csv(tmp_path / "later.csv", header=["Name", "Email", "Company"], rows=[
        ["Per Vik", "per@nordmann.example", "Vik Elektro AS"],
    ])
    assert leadflow("import", first).exit_code == 0 and leadflow("import", later).exit_code == 0
    with leadflow_db.connect() as conn:
        domains = dict(conn.execute(text("SELECT name, domain FROM companies")).all())
    assert domains == {"Nordmann Bygg AS": "nordmann.example", "Fjord AS": None, "Vik Elektro AS": None}


def test_an_imported_company_the_holders_domain_names_joins_the_holder_as_a_capture_does(leadflow_db, tmp_path):
    first = write_csv(tmp_path / "first.csv", header=["Name", "Email", "Company"], rows=[
        ["Ann Lee", "ann@ibm.example", "International Business Machines Corporation"]])
    later = write_csv(tmp_path / "later.csv", header=["Name", "Email", "Company"], rows=[
        ["Bo Berg", "bo@ibm.example", "IBM"]])
    assert leadflow("import", first).exit_code == 0 and leadflow("import", later).exit_code == 0
    assert scalar(leadflow_db, "SELECT count(*) FROM companies") == 1
    assert scalar(leadflow_db, "SELECT count(DISTINCT company_id) FROM leads") == 1
