"""Column auto-mapping: CRM export headers and local-language names, overrides, full names, yes/no cells."""

from __future__ import annotations

import csv

import pytest

from leadflow.capture.imports import headers, rows
from leadflow.capture.imports.encodings import detect
from leadflow.capture.imports.files import detect_delimiter
from leadflow.errors import Invalid

EXPORTS = {
    "hubspot_contacts_export.csv": {"First Name": "first_name", "Last Name": "last_name", "Email": "email",
                                    "Phone Number": "phone", "Mobile Phone Number": "mobile",
                                    "Company Name": "company", "Country/Region": "country"},
    "salesforce_leads_report_export.csv": {"First Name": "first_name", "Last Name": "last_name", "Email": "email",
                                           "Phone": "phone", "Mobile": "mobile", "Company / Account": "company",
                                           "Zip/Postal Code": "postal_code", "Email Opt Out": "do_not_contact"},
    "salesforce_lead_dataloader_export.csv": {"FirstName": "first_name", "LastName": "last_name", "Email": "email",
                                              "Phone": "phone", "MobilePhone": "mobile", "Company": "company",
                                              "Name": "full_name", "HasOptedOutOfEmail": "do_not_contact"},
    "pipedrive_people_export.csv": {"Person - First name": "first_name", "Person - Last name": "last_name",
                                    "Person - Email - Work": "email", "Person - Email - Home": "email",
                                    "Person - Phone - Work": "phone", "Person - Phone - Mobile": "mobile",
                                    "Person - Organization": "company", "Person - Name": "full_name"},
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_crm_export_headers_map_name_email_phone_and_company(shared_data, name):
    with (shared_data / "clients" / "exports" / name).open(newline="", encoding="utf-8") as source:
        header = next(csv.reader(source))
    mapping = headers.propose(headers.unique_headers(header)).as_dict()
    for column, target in EXPORTS[name].items():
        assert mapping[column] == target, column
    assert all(target.startswith("custom:") for column, target in mapping.items() if column.endswith("ID"))


@pytest.mark.parametrize(("header", "target"), [
    ("Voornaam", "first_name"), ("Fornavn", "first_name"), ("Etunimi", "first_name"), ("Förnamn", "first_name"),
    ("Achternaam", "last_name"), ("Etternavn", "last_name"), ("Sukunimi", "last_name"), ("Nachname", "last_name"),
    ("Naam", "full_name"), ("Navn", "full_name"), ("Nimi", "full_name"), ("Contact Name", "full_name"),
    ("E-mailadres", "email"), ("E-post", "email"), ("Sähköposti", "email"), ("e_mail", "email"),
    ("Telefoonnummer", "phone"), ("Puhelin", "phone"), ("Mobiel", "mobile"), ("Matkapuhelin", "mobile"),
    ("Bedrijfsnaam", "company"), ("Selskap", "company"), ("Yritys", "company"), ("Functie", "job_title"),
    ("Postcode", "postal_code"), ("Postinumero", "postal_code"), ("Woonplaats", "city"), ("Poststed", "city"),
    ("Kaupunki", "city"), ("Land", "country"), ("Maa", "country"), ("Taal", "language"), ("UTM Source", "utm_source"),
    ("GCLID", "gclid"), ("Campagne", "campaign"), ("Unsubscribed from all email", "do_not_contact"),
    ("  FIRST   name ", "first_name"), ("Lead Email", "email"),
])
def test_local_and_english_names_map_to_lead_fields(header, target):
    assert headers.guess(header) == target


@pytest.mark.parametrize(("header", "target"), [
    ("Email address of the contact", "email"), ("Phone (work)", "phone"), ("Work phone nr", "phone"),
    ("Mobile number (private)", "mobile"), ("Mail adres werk", "email"), ("Puhelin (työ)", "phone"),
    ("Company size", None), ("Email 2", None), ("Email (2)", None), ("Phone / Fax", None), ("Phone (fax)", None),
    ("Phone (mobile)", None), ("Email (bounced)", None), ("Email [old]", None), ("Company address", None),
    ("Company number", None), ("Company (parent)", None), ("Site name", None), ("Name (as on badge)", None),
])
def test_a_header_is_read_past_the_words_that_say_whose_or_which_never_past_one_that_says_what(header, target):
    assert headers.guess(header) == target


def test_unknown_columns_become_custom_fields_under_their_own_header():
    mapping = headers.propose(["Email", "Stand nummer", "Lead Status"])
    assert mapping.as_dict() == {"Email": "email", "Stand nummer": "custom:Stand nummer",
                                 "Lead Status": "custom:Lead Status"}
    assert [c.source for c in mapping.columns] == ["synonym", "unknown", "unknown"]


def test_an_override_wins_and_a_wrong_target_or_column_is_named():
    mapping = headers.propose(["Email", "Title"], {"title": "custom:Aanhef"})
    assert mapping.as_dict() == {"Email": "email", "Title": "custom:Aanhef"}
    with pytest.raises(Invalid) as wrong:
        headers.propose(["Email"], {"Email": "e_mail", "Shoe": "ignore"}, id_column="Badge")
    assert {e.field for e in wrong.value.errors} == {"mapping.Email"}
    with pytest.raises(Invalid) as missing:
        headers.propose(["Email"], {"Shoe": "ignore"}, id_column="Badge")
    assert {e.field for e in missing.value.errors} == {"mapping.Shoe", "id_column"}


def test_blank_and_repeated_headers_get_names_of_their_own():
    assert headers.unique_headers(["Email", "", "Email", None]) == ["Email", "Column 2", "Email (2)", "Column 4"]


@pytest.mark.parametrize(("full", "first", "last"), [
    ("Maarten de Vries", "Maarten", "de Vries"), ("Jan van der Berg", "Jan", "van der Berg"),
    ("Virtanen, Aino", "Aino", "Virtanen"), ("Anna Maria Jansen", "Anna Maria", "Jansen"), ("Cher", "Cher", None),
])
def test_a_full_name_is_split_into_first_and_last(full, first, last):
    assert rows.split_name(full) == (first, last)


def test_a_second_column_for_the_same_field_is_kept_as_a_custom_field():
    mapping = headers.propose(["Person - Email - Work", "Person - Email - Home", "Naam", "Opt-out"])
    submission = rows.to_submission(mapping, ["a@b.example", "a@home.example", "Aino Virtanen", "Kyllä"])
    assert submission.fields == {"email": "a@b.example", "first_name": "Aino", "last_name": "Virtanen"}
    assert submission.custom_fields == {"Person - Email - Home": "a@home.example"}
    assert submission.do_not_contact is True


def test_spreadsheet_cells_become_text_as_a_person_reads_them():
    assert rows.text_of(1015.0) == "1015"
    assert rows.text_of(3.5) == "3.5"
    assert rows.text_of(True) == "true"
    assert rows.text_of(None) == ""


def test_a_row_wider_than_the_header_is_rejected_with_the_reason():
    mapping = headers.propose(["Email", "Company"])
    prepared = rows.prepare(mapping, [(2, ["a@b.example", "Acme, Inc", "extra"]), (3, ["c@d.example", "X", ""])])
    assert prepared[0].errors[0].field == "row" and prepared[0].lead is None
    assert prepared[1].lead is not None


@pytest.mark.parametrize(("line", "delimiter"), [
    ("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("a|b|c", "|"), ('"x;y",b,c', ","), ("single", ","),
])
def test_the_delimiter_is_the_one_that_splits_the_header(line, delimiter):
    assert detect_delimiter(line) == delimiter


def test_the_encoding_is_utf8_with_or_without_bom_else_the_code_page_the_letters_belong_to():
    assert detect("Jürgen".encode()) == "utf-8"
    assert detect(b"\xef\xbb\xbfJ\xc3\xbcrgen") == "utf-8-sig"
    assert detect("Jürgen;Bjørn;Åsa".encode("cp1252")) == "cp1252"
    assert detect("Jürgen".encode("utf-16")) == "utf-16"
    assert detect("Łukasz;Wiśniewski;Żółć".encode("cp1250")) == "cp1250"
    assert detect("Ödön;Kővári;Győr;Szűcs".encode("cp1250")) in ("cp1250", "iso8859_2")
    assert detect("name;city\r\nJan de Vries;Den Haag\r\n".encode("utf-16-le")) == "utf_16_le"


def test_a_csv_stream_is_read_past_its_bom_blank_lines_and_stray_bytes():
    import io

    from leadflow.capture.imports.files import open_table

    data = "\ufeff\r\nVoornaam\tE-mail\r\nJosé\tjose@x.example\r\n".encode() + b"Ren\xe9\tr@x.example\r\n"
    table = open_table(io.BytesIO(data))
    assert (table.columns, table.header_row, table.delimiter) == (["Voornaam", "E-mail"], 2, "\t")
    assert list(table.rows) == [(3, ["José", "jose@x.example"]), (4, ["René", "r@x.example"])]
