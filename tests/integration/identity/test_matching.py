"""Real pairs through the API: every kind of variation is one lead; people who only look alike stay apart."""

from __future__ import annotations

import pytest


def post(client, auth, **body):
    r = client.post("/api/v1/leads", headers=auth, json=body)
    assert r.status_code in (200, 201), r.text
    return r


SAME_PERSON = {
    "nickname": ({"first_name": "William", "last_name": "Turner", "email": "w.turner@turner-eng.co.uk",
                  "company": "Turner Engineering Ltd", "city": "Leeds", "phone": "+44 113 496 0001"},
                 {"first_name": "Bill", "last_name": "Turner", "phone": "0113 496 0001", "country": "GB",
                  "company": "Turner Engineering", "city": "Leeds"}),
    "initials": ({"first_name": "Johannes", "last_name": "de Vries", "email": "jdevries@bouwbedrijf.nl",
                  "company": "De Vries Bouw B.V.", "street": "Kerkstraat 12", "postal_code": "3511 LK",
                  "city": "Utrecht"},
                 {"first_name": "J.", "last_name": "de Vries", "company": "De Vries Bouw",
                  "street": "Kerkstr. 12", "postal_code": "3511LK", "city": "Utrecht"}),
    "swapped names": ({"first_name": "Mikko", "last_name": "Korhonen", "mobile": "+358 40 765 4321",
                       "company": "Korhonen Oy", "city": "Oulu"},
                      {"first_name": "Korhonen", "last_name": "Mikko", "email": "mikko.korhonen@gmail.com",
                       "company": "Korhonen", "city": "Oulu", "mobile": "040 765 4321", "country": "FI"}),
    "typo and diacritics": ({"first_name": "Søren", "last_name": "Østergaard", "email": "soren@ostergaard.dk",
                             "company": "Østergaard ApS", "postal_code": "8000", "city": "Aarhus"},
                            {"first_name": "Soren", "last_name": "Ostergard", "email": "soren@ostergaard.dk"}),
    "legal form and address": ({"first_name": "Kari", "last_name": "Nordmann", "company": "Fjordkraft AS",
                                "street": "Storgata 5", "postal_code": "0155", "city": "Oslo"},
                               {"first_name": "Kari", "last_name": "Nordmann", "company": "FJORDKRAFT",
                                "street": "Storgt. 5", "postal_code": "0155", "city": "Oslo"}),
    "same local part at the company domain": (
        {"first_name": "Anna", "last_name": "Schmidt", "email": "anna.schmidt@mueller-gmbh.de",
         "company": "Müller GmbH", "city": "Köln"},
        {"first_name": "Anna", "last_name": "Schmidt", "email": "anna.schmidt@mueller.de",
         "company": "Mueller GmbH & Co. KG", "city": "Koeln"}),
}


@pytest.mark.parametrize("kind", sorted(SAME_PERSON))
def test_the_same_person_written_differently_is_one_lead(client, auth, kind):
    first, second = SAME_PERSON[kind]
    a = post(client, auth, **first)
    b = post(client, auth, **second)
    assert a.status_code == 201
    assert b.status_code == 200, f"{kind}: {b.json()}"
    assert b.json()["id"] == a.json()["id"]
    capture = client.get(f"/api/v1/captures/{b.headers['x-capture-id']}", headers=auth).json()
    assert capture["outcome"] == "merged" and capture["reasons"]


DIFFERENT_PEOPLE = {
    "twins at one address": (
        {"first_name": "Emma", "last_name": "Bakker", "street": "Dorpsweg 3", "postal_code": "1234 AB",
         "city": "Zaandam", "phone": "+31 75 123 4567", "custom_fields": {"birth_date": "1990-04-02"}},
        {"first_name": "Lotte", "last_name": "Bakker", "street": "Dorpsweg 3", "postal_code": "1234 AB",
         "city": "Zaandam", "phone": "+31 75 123 4567", "custom_fields": {"birth_date": "1990-04-02"}}),
    "father and son": (
        {"first_name": "Hans", "last_name": "Weber", "email": "hans.weber@gmx.de", "street": "Hauptstraße 7",
         "postal_code": "80331", "city": "München", "custom_fields": {"birth_date": "1961-09-14"}},
        {"first_name": "Hans", "last_name": "Weber", "email": "h.weber.jr@web.de", "street": "Hauptstr. 7",
         "postal_code": "80331", "city": "München", "custom_fields": {"birth_date": "1992-01-30"}}),
    "two employees of one company": (
        {"first_name": "Pekka", "last_name": "Mäkinen", "email": "pekka.makinen@konepaja.fi",
         "phone": "+358 9 1234 5678", "company": "Konepaja Oy", "city": "Espoo"},
        {"first_name": "Liisa", "last_name": "Virtanen", "email": "liisa.virtanen@konepaja.fi",
         "phone": "+358 9 1234 5678", "company": "Konepaja Oy", "city": "Espoo"}),
    "two sites of one agency sharing its phone": (
        {"company": "Bright Start Academy Northside", "phone": "+1 312 555 0100", "street": "4520 N Beacon St",
         "postal_code": "60640", "city": "Chicago", "country": "US"},
        {"company": "Bright Start Academy Southside", "phone": "+1 312 555 0100", "street": "7822 S Halsted St",
         "postal_code": "60620", "city": "Chicago", "country": "US"}),
    "common name in one city": (
        {"first_name": "John", "last_name": "Smith", "email": "john.smith1975@gmail.com", "city": "London"},
        {"first_name": "John", "last_name": "Smith", "email": "jsmith@outlook.com", "city": "London"}),
}


@pytest.mark.parametrize("kind", sorted(DIFFERENT_PEOPLE))
def test_people_who_only_look_alike_stay_apart(client, auth, kind):
    first, second = DIFFERENT_PEOPLE[kind]
    a = post(client, auth, **first)
    b = post(client, auth, **second)
    assert a.status_code == b.status_code == 201, f"{kind}: {b.json()}"
    assert a.json()["id"] != b.json()["id"]
