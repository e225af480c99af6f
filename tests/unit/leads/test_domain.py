"""The rules of a lead's fields, without a database."""

from __future__ import annotations

import pytest

from leadflow.leads.domain import (
    company_key, domain_of, merge_changes, name_key, normalize_country, normalize_email, normalize_fields,
    normalize_phone,
)


@pytest.mark.parametrize("raw", ["  Anna@Example.COM", "anna@example.com ", "ANNA@EXAMPLE.COM", "mailto:anna@example.com"])
def test_email_case_space_and_prefix_fold_to_one(raw):
    assert normalize_email(raw) == "anna@example.com"


def test_email_unicode_is_composed_the_same_way():
    composed, decomposed = "jos\u00e9@example.com", "jose\u0301@example.com"
    assert normalize_email(composed) == normalize_email(decomposed)


@pytest.mark.parametrize("raw,region,expected", [
    ("+31 20 123 4567", None, "+31201234567"), ("0031201234567", None, "+31201234567"),
    ("020-1234567", "NL", "+31201234567"), ("040 123 4567", "FI", "+358401234567"),
    ("22 33 44 55", "NO", "+4722334455"),
])
def test_phone_numbers_become_e164(raw, region, expected):
    assert normalize_phone(raw, region) == expected


def test_national_number_without_a_country_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="country"):
        normalize_phone("020 123 4567", None)


@pytest.mark.parametrize("raw,code", [("NL", "NL"), ("nld", "NL"), ("Netherlands", "NL"), ("Nederland", "NL"),
                                      ("Suomi", "FI"), ("Norge", "NO"), ("Deutschland", "DE"), ("UK", "GB"),
                                      ("United Kingdom", "GB")])
def test_countries_become_iso_codes(raw, code):
    assert normalize_country(raw) == code


def test_normalize_fields_reports_each_bad_field():
    values, errors = normalize_fields({"email": "x", "phone": "abc", "country": "Atlantis", "city": " Oslo "})
    assert values == {"city": "Oslo"}
    assert {e.field for e in errors} == {"email", "phone", "country"}


def test_newest_non_empty_value_wins_but_never_over_a_hand_edit():
    changes, kept = merge_changes({"city": "Oslo", "job_title": "CEO", "phone": None},
                                  {"city": "Bergen", "job_title": "Intern", "phone": "", "email": "a@b.example"},
                                  manual_fields=["job_title"])
    assert {(c.field, c.old, c.new) for c in changes} == {("city", "Oslo", "Bergen"), ("email", None, "a@b.example")}
    assert kept == ["job_title"]


@pytest.mark.parametrize("a,b", [("Acme B.V.", "ACME bv"), ("Nokia Oyj", "Nokia"), ("Equinor ASA", "equinor"),
                                 ("Volvo AB (publ)", "Volvo"), ("Siemens AG", "Siemens"),
                                 ("Müller GmbH & Co. KG", "Muller")])
def test_company_names_without_legal_forms_give_one_key(a, b):
    assert company_key(a) == company_key(b)


def test_names_fold_accents_case_and_spacing():
    assert name_key("José", "Pérez-Soto") == name_key(" jose ", "perez soto")
    assert name_key(None, None) is None


def test_domain_of_urls_and_emails():
    assert domain_of("https://www.example.com/path") == "example.com"
    assert domain_of("someone@Sub.Example.com") == "sub.example.com"
