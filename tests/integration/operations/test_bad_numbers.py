"""Numbers a client gets wrong (too large for the database, digits that are not decimal) are a 4xx, never a 500."""

from __future__ import annotations

from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in

HUGE = "99999999999999999999"


def test_an_id_too_large_for_the_database_is_not_found_on_pages_and_refused_by_the_api(client, auth, factory):
    r = client.get(f"/api/v1/leads/{HUGE}", headers=auth)
    assert r.status_code in (404, 422), r.text
    assert r.json()["errors"]
    sign_in(client, person(factory, "admin").email)
    for path in (f"/leads/{HUGE}", f"/companies/{HUGE}", f"/campaigns/{HUGE}"):
        page = client.get(path)
        assert page.status_code == 404, (path, page.status_code)
        assert "<html" in page.text.lower()


def test_a_page_given_a_value_of_the_wrong_type_answers_with_a_page_naming_the_field(client, factory):
    sign_in(client, person(factory, "admin").email)
    r = client.get("/leads", params={"owner": "²", "campaign": "²"})
    assert r.status_code in (200, 422)
    assert "Internal" not in r.text
