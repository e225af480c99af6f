"""Finding a lead by its phone number typed as people type it: national form with spaces, dashes or parentheses,
with or without the country code, a leading 00; in the API's `q` and the inbox's search alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in


@pytest.fixture
def numbers(client, auth) -> dict[str, int]:
    made = {}
    for key, body in {
        "sheffield": {"first_name": "Harriet", "phone": "+44 114 496 0574", "country": "GB"},
        "utrecht": {"first_name": "Daan", "mobile": "+31 6 12345678", "country": "NL"},
        "other": {"first_name": "Niels", "phone": "+31 30 123 4567", "country": "NL"},
    }.items():
        r = client.post("/api/v1/leads", headers=auth, json=body)
        assert r.status_code in (200, 201), r.text
        made[key] = r.json()["id"]
    return made


def _found(client, auth, q: str) -> list[int]:
    r = client.get("/api/v1/leads", headers=auth, params={"q": q})
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


@pytest.mark.parametrize(("typed", "who"), [
    ("01144 960574", "sheffield"), ("0114 496 0574", "sheffield"), ("(0114) 496-0574", "sheffield"),
    ("+44 (0)114 496 0574", "sheffield"), ("0044 114 496 0574", "sheffield"), ("441144960574", "sheffield"),
    ("+441144960574", "sheffield"), ("06-12345678", "utrecht"), ("06 1234 5678", "utrecht"),
    ("+31 6 1234 5678", "utrecht"), ("0031 (0)6 12 34 56 78", "utrecht"), ("030 123 4567", "other"),
])
def test_the_api_finds_a_lead_by_its_number_as_people_type_it(client, auth, numbers, typed, who):
    assert _found(client, auth, typed) == [numbers[who]]


def test_numbers_that_belong_to_nobody_find_nobody(client, auth, numbers):
    assert _found(client, auth, "01144 960575") == []
    assert _found(client, auth, "2024") == []  # too short to be a number: a word search


def test_the_inbox_search_finds_a_number_typed_in_national_form(client, auth, factory, numbers):
    sign_in(client, person(factory, "marketing").email)
    page = client.get("/leads", params={"q": "01144 960574"})
    assert page.status_code == 200
    assert f'href="/leads/{numbers["sheffield"]}"' in page.text
    assert f'href="/leads/{numbers["utrecht"]}"' not in page.text
    export = client.get("/leads/export.csv", params={"q": "06-12345678"})
    assert export.status_code == 200 and len(export.text.strip().splitlines()) == 2  # the header and Daan


def test_a_number_of_a_country_no_lead_names_is_read_in_the_default_country(database, factory, auth):
    with TestClient(create_app_for(database, factory, "NO"), raise_server_exceptions=False) as client:
        r = client.post("/api/v1/leads", headers=auth, json={"first_name": "Ola", "mobile": "+47 912 34 567"})
        assert r.status_code in (200, 201), r.text
        assert _found(client, auth, "912 34 567") == [r.json()["id"]]


def create_app_for(database, factory, country: str):
    from leadflow.app import create_app

    return create_app(make_settings(database.url, default_country=country), sessionmaker=factory)
