"""A lead keeps every email and phone it was ever captured with: primary plus others, all still matched on, shown
in the API and the export; strangers who look alike by name are never folded together."""

from __future__ import annotations

import csv

from tests.integration.capture.test_imports import leadflow, leadflow_db, scalar  # noqa: F401  (fixture)


def post(client, auth, **body):
    r = client.post("/api/v1/leads", headers=auth, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def dutch_list(path, count: int):
    """The issue's repro: distinct people whose names, firms and mobiles differ only in their numbers."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Voornaam", "Achternaam", "E-mailadres", "Bedrijfsnaam", "Telefoonnummer", "Plaats", "Land"])
        for i in range(count):
            writer.writerow([f"Voor{i}", f"Achter{i}", f"persoon{i}@bedrijf{i % 30}.nl", f"Bedrijf {i % 30} BV",
                             f"+31 6 {10000000 + i}", "Utrecht", "NL"])
    return path


def test_a_list_of_numbered_people_makes_one_lead_each_and_a_second_import_changes_no_count(leadflow_db, tmp_path):
    source = dutch_list(tmp_path / "beurs.csv", 300)
    first = leadflow("import", source, "--channel", "trade_fair")
    assert first.exit_code == 0, first.output
    assert "300 rows: 300 created, 0 merged, 0 rejected" in first.stderr
    assert scalar(leadflow_db, "SELECT count(*) FROM leads WHERE merged_into_id IS NULL") == 300
    assert scalar(leadflow_db, "SELECT count(DISTINCT email) FROM leads") == 300
    again = leadflow("import", source, "--channel", "trade_fair")
    assert "300 rows: 0 created, 300 merged, 0 rejected" in again.stderr
    assert scalar(leadflow_db, "SELECT count(*) FROM leads WHERE merged_into_id IS NULL") == 300
    assert scalar(leadflow_db, "SELECT count(*) FROM leads WHERE email LIKE 'persoon7@%'") == 1


def test_a_returning_person_keeps_every_email_and_phone_and_is_found_by_each(client, auth):
    first = post(client, auth, first_name="Ingrid", last_name="Solberg", email="ingrid@solberg-bygg.no",
                 mobile="+47 912 34 567", company="Solberg Bygg AS", city="Bergen")
    # a newer address at the same firm, the same mobile: the same person; the newest address becomes primary
    second = post(client, auth, first_name="Ingrid", last_name="Solberg", email="ingrid.solberg@solberg-bygg.no",
                  mobile="+47 912 34 567", phone="+47 55 12 34 56", company="Solberg Bygg AS")
    assert second["id"] == first["id"]
    assert second["email"] == "ingrid.solberg@solberg-bygg.no"
    assert second["other_emails"] == ["ingrid@solberg-bygg.no"]
    # the first address still finds her, by the exact rule, and changes no count
    again = post(client, auth, email="ingrid@solberg-bygg.no", job_title="Daglig leder")
    assert again["id"] == first["id"]
    assert sorted([again["email"], *again["other_emails"]]) == ["ingrid.solberg@solberg-bygg.no",
                                                                 "ingrid@solberg-bygg.no"]
    assert {again["mobile"], again["phone"], *again["other_phones"]} >= {"+4791234567", "+4755123456"}
    found = client.get("/api/v1/leads", headers=auth, params={"email": "ingrid@solberg-bygg.no"}).json()["items"]
    assert [lead["id"] for lead in found] == [first["id"]]


def test_a_merge_keeps_both_leads_identifiers_and_an_unmerge_gives_them_back(client, auth):
    a = post(client, auth, first_name="Kari", last_name="Nordmann", email="kari@firma.no", phone="+47 22 11 22 33")
    b = post(client, auth, first_name="Kari", last_name="Nordmann", email="kari.nordmann@gmail.com",
             mobile="+47 934 56 789")
    assert client.post(f"/api/v1/leads/{a['id']}/merge", headers=auth, json={"other_id": b["id"]}).status_code == 201
    merged = client.get(f"/api/v1/leads/{a['id']}", headers=auth).json()
    assert {merged["email"], *merged["other_emails"]} == {"kari@firma.no", "kari.nordmann@gmail.com"}
    assert {merged["phone"], merged["mobile"], *merged["other_phones"]} - {None} == {"+4722112233", "+4793456789"}
    # a capture by the merged-away address lands on the survivor
    assert post(client, auth, email="kari.nordmann@gmail.com")["id"] == a["id"]
    assert client.post(f"/api/v1/leads/{b['id']}/unmerge", headers=auth).status_code == 200
    restored_a = client.get(f"/api/v1/leads/{a['id']}", headers=auth).json()
    restored_b = client.get(f"/api/v1/leads/{b['id']}", headers=auth).json()
    assert {restored_a["email"], *restored_a["other_emails"]} == {"kari@firma.no"}
    assert restored_b["email"] == "kari.nordmann@gmail.com" and restored_b["other_emails"] == []
    assert restored_b["mobile"] == "+4793456789"


def test_an_email_replaced_by_hand_stays_the_leads_and_a_listed_one_is_matched_after_the_worker(client, auth,
                                                                                                factory):
    from leadflow import worker

    lead = post(client, auth, first_name="Mikko", last_name="Virtanen", email="mikko@old.fi")
    r = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth, json={"email": "mikko@new.fi"})
    assert r.status_code == 200, r.text
    assert r.json()["other_emails"] == ["mikko@old.fi"]
    r = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth,
                     json={"other_emails": ["Mikko@Old.fi", "m.virtanen@gmail.com", "mikko@new.fi"]})
    assert r.json()["other_emails"] == ["mikko@old.fi", "m.virtanen@gmail.com"]   # normalized, primary left out
    bad = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth, json={"other_emails": ["not an email"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "other_emails.0"
    worker.drain(factory)
    assert post(client, auth, email="m.virtanen@gmail.com")["id"] == lead["id"]


def test_people_alike_only_by_name_are_never_merged_automatically(client, auth):
    toka = post(client, auth, first_name="Toka", last_name="Kakakaen", company="Company Toka",
                email="load6@example6.com")
    tika = post(client, auth, first_name="Tika", last_name="Kakakaen", company="Company Tika",
                email="load16@example16.com")
    assert tika["id"] != toka["id"]
    assert client.get(f"/api/v1/leads/{toka['id']}", headers=auth).json()["email"] == "load6@example6.com"
    same_name = post(client, auth, first_name="Toka", last_name="Kakakaen", company="Globex", email="toka@globex.com")
    assert same_name["id"] != toka["id"]   # another email at another firm: at most a review candidate


def test_the_export_lists_every_email_and_phone(leadflow_db, tmp_path):
    source = tmp_path / "two.csv"
    source.write_text("First Name,Last Name,Email,Mobile,Company\n"
                      "Eva,Lind,eva@lind.se,+46 70 123 45 67,Lind AB\n"
                      "Eva,Lind,eva.lind@lind.se,+46 70 123 45 67,Lind AB\n", encoding="utf-8")
    result = leadflow("import", source)
    assert "2 rows: 1 created, 1 merged, 0 rejected" in result.stderr, result.output
    assert leadflow("export", "leads", tmp_path / "out.csv").exit_code == 0
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["email"] == "eva.lind@lind.se" and row["other_emails"] == "eva@lind.se"
    assert row["mobile"] == "+46701234567"
