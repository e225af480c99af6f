"""Files in the encodings exports really come in (Windows-1250 and ISO-8859-2 from Central Europe, Latin-1 from
the Nordics, UTF-16 without a byte-order mark from Excel) keep every name exactly, through the CLI and the API."""

from __future__ import annotations

import pytest

from leadflow import worker
from tests.integration.capture.test_imports import leadflow, leadflow_db, leads  # noqa: F401 (fixture)

PEOPLE = {
    "cp1250": [("Łukasz", "Wiśniewski", "Przedsiębiorstwo Żółć Sp. z o.o.", "Łódź"),
               ("Zofia", "Gęślarz", "Świętokrzyska Spółka", "Kraków"),
               ("Václav", "Dvořák", "Šťastný a syn s.r.o.", "Brno"),
               ("Jiří", "Čermák", "Žďárské strojírny", "Ústí nad Labem"),
               ("Ödön", "Kővári", "Győri Szűcs Kft.", "Győr"),
               ("Erzsébet", "Szűcs", "Pécsi Ősi Bt.", "Pécs")],
    "iso8859_2": [("Tomáš", "Šťastný", "Žatecký pivovar", "Žatec"),
                  ("Małgorzata", "Kaczmarczyk", "Śląskie Zakłady", "Katowice"),
                  ("Ľubomír", "Kováč", "Košická Ťažba", "Košice")],
    "latin_1": [("Aino", "Jääskeläinen", "Öljy ja Sähkö Oy", "Hämeenlinna"),
                ("Bjørn", "Ødegård", "Blåbær Fisk AS", "Tromsø"),
                ("Åse", "Kjærstad", "Fjære Sag AS", "Førde"),
                ("Päivi", "Äijälä", "Kärkkäinen Oy", "Jyväskylä")],
    "cp1252": [("Søren", "Kierkegård", "Æble & Pære ApS", "Århus"),
               ("François", "Lefèvre", "Crème Brûlée SARL", "Besançon")],
    "utf_16_le": [("Anouk", "van den Berg", "Bakkerij 't Hoekje", "'s-Hertogenbosch"),
                  ("Geert", "Ruïne", "Crème & Café B.V.", "Eindhoven"),
                  ("Daniël", "Brouwer", "IJzerhandel Één", "Zwolle")],
    "utf_16_be": [("Noël", "de Jong", "Brouwerij Ôde", "Utrecht")],
}


def encoded(encoding: str) -> bytes:
    lines = ["Voornaam;Achternaam;E-mail;Bedrijf;Plaats"]
    for index, (first, last, company, city) in enumerate(PEOPLE[encoding]):
        lines.append(f"{first};{last};p{index}.{encoding}@example.com;{company};{city}")
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))  # no byte-order mark: the file must be recognised
    return data


def names(rows) -> set[tuple]:
    return {(r["first_name"], r["last_name"], r["company"], r["city"]) for r in rows}


@pytest.mark.parametrize("encoding", sorted(PEOPLE))
def test_the_cli_import_keeps_every_name_exactly(leadflow_db, tmp_path, encoding):  # noqa: F811
    source = tmp_path / f"{encoding}.csv"
    source.write_bytes(encoded(encoding))
    result = leadflow("import", source)
    assert result.exit_code == 0, result.output
    assert names(leads(leadflow_db)) == set(PEOPLE[encoding])


def test_the_api_upload_keeps_every_name_exactly(client, auth, factory):
    for encoding in ("cp1250", "latin_1", "utf_16_le"):
        r = client.post("/api/v1/imports", headers=auth,
                        files={"file": (f"{encoding}.csv", encoded(encoding), "text/csv")})
        assert r.status_code == 202, r.text
        assert r.json()["sample"][0]["Voornaam"] == PEOPLE[encoding][0][0]
    worker.drain(factory)
    found = names(client.get("/api/v1/leads", params={"limit": 500}, headers=auth).json()["items"])
    assert found == set(PEOPLE["cp1250"]) | set(PEOPLE["latin_1"]) | set(PEOPLE["utf_16_le"])
