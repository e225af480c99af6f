"""Ad spend imports through the JSON API: the platforms' reports become costs on matched or new campaigns, the same
report imported again replaces its figures, every file is kept, and a file that cannot be read is a 422 naming the
field and the reason."""

from __future__ import annotations

from pathlib import Path

from tests.integration.people.factories import person

URL = "/api/v1/campaigns/spend-imports"


def _sample(shared_data: Path, name: str) -> bytes:
    return (shared_data / "clients" / "ad_spend" / name).read_bytes()


def _upload(client, auth, data: bytes, filename: str = "report.csv", **fields):
    return client.post(URL, headers=auth, files={"file": (filename, data, "text/csv")}, data=fields)


def _errors(response) -> list[tuple[str, str]]:
    return [(e["field"], e["reason"]) for e in response.json()["errors"]]


def test_a_google_ads_report_becomes_costs_on_new_paid_search_campaigns(client, auth, shared_data):
    r = _upload(client, auth, _sample(shared_data, "google_ads_campaign_report.csv"), "google.csv")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["platform"], body["starts_on"], body["ends_on"]) == ("google", "2026-11-01", "2026-11-30")
    assert [(row["platform_campaign"], row["amount"], row["currency"], row["matched"], row["replaced"])
            for row in body["rows"]] == [
        ("NL - Search - Domotica", "1487.36", "EUR", "created", None),
        ("FI - Search - Lämpöpumput", "902.15", "EUR", "created", None),
        ("NO - Display - Ladere", "318.40", "EUR", "created", None),
        ("Brand - All countries", "266.02", "EUR", "created", None)]
    assert body["totals"] == {"EUR": "2973.93"}
    assert [(s["row"], s["reason"]) for s in body["skipped_rows"]] == [(8, "a totals row"), (9, "a totals row"),
                                                                      (10, "a totals row")]
    assert body["rejected_rows"] == [] and r.headers["location"] == f"{URL}/{body['id']}"

    first = body["rows"][0]
    campaign = client.get(f"/api/v1/campaigns/{first['campaign']['id']}", headers=auth).json()
    assert (campaign["channel"], campaign["source"], campaign["medium"], campaign["currency"],
            campaign["created_automatically"]) == ("paid_search", "google", "cpc", "EUR", True)
    assert campaign["total_cost"] == {"EUR": "1487.36"}
    [cost] = client.get(f"/api/v1/campaigns/{campaign['id']}/costs", headers=auth).json()
    assert (cost["date"], cost["until"], cost["amount"], cost["platform"], cost["external_ref"],
            cost["spend_import_id"]) == ("2026-11-01", "2026-11-30", "1487.36", "google", "20581934512", body["id"])


def test_importing_the_same_report_again_replaces_its_figures_instead_of_doubling_them(client, auth, shared_data):
    data = _sample(shared_data, "linkedin_campaign_manager_export.csv")
    first = _upload(client, auth, data).json()
    corrected = data.replace(b'"1,204.55"', b'"1,300.00"')
    again = _upload(client, auth, corrected)
    assert again.status_code == 201, again.text
    rows = again.json()["rows"]
    assert [(r["matched"], r["amount"], r["replaced"]) for r in rows] == [
        ("linked", "1300.00", {"amount": "1204.55", "spend_import_id": first["id"]}),
        ("linked", "611.20", {"amount": "611.20", "spend_import_id": first["id"]})]
    assert [r["campaign"]["id"] for r in rows] == [r["campaign"]["id"] for r in first["rows"]]
    for row, total in zip(rows, ("1300.00", "611.20")):
        detail = client.get(f"/api/v1/campaigns/{row['campaign']['id']}", headers=auth).json()
        assert detail["total_cost"] == {"EUR": total}
        assert (detail["channel"], detail["source"], detail["medium"]) == ("social", "linkedin", "paid_social")
    listed = client.get(URL, headers=auth).json()["items"]
    assert [i["id"] for i in listed[:2]] == [again.json()["id"], first["id"]]
    assert listed[0]["size_bytes"] == len(corrected) and listed[0]["costs"] == 2


def test_rows_are_matched_to_existing_campaigns_by_code_then_by_name(client, auth, shared_data):
    by_code = client.post("/api/v1/campaigns", headers=auth, json={
        "name": "Heat pumps FI", "code": "lead ads - heat pump guide (fi)", "channel": "social"}).json()
    by_name = client.post("/api/v1/campaigns", headers=auth, json={
        "name": "RETARGETING - DOMOTICA (NL)", "code": "RT-NL", "channel": "social"}).json()
    r = _upload(client, auth, _sample(shared_data, "meta_ads_manager_export.csv"))
    assert r.status_code == 201, r.text
    rows = {row["platform_campaign"]: row for row in r.json()["rows"]}
    assert (rows["Lead ads - Heat pump guide (FI)"]["matched"],
            rows["Lead ads - Heat pump guide (FI)"]["campaign"]["id"]) == ("code", by_code["id"])
    assert (rows["Retargeting - Domotica (NL)"]["matched"],
            rows["Retargeting - Domotica (NL)"]["campaign"]["id"]) == ("name", by_name["id"])
    created = rows["Lead ads - EV charger offer (NO)"]
    assert created["matched"] == "created" and created["created"] is True
    campaign = client.get(f"/api/v1/campaigns/{created['campaign']['id']}", headers=auth).json()
    assert (campaign["channel"], campaign["source"], campaign["medium"]) == ("social", "facebook", "paid_social")
    assert client.get(f"/api/v1/campaigns/{by_code['id']}", headers=auth).json()["total_cost"] == {"EUR": "723.12"}


def test_a_windows_1252_file_with_semicolons_and_decimal_commas(client, auth):
    text = ("Kampagne;Campaign;Start;End;Cost;Currency\n"
            "x;Lämpöpumput Herbst;01.11.2026;30.11.2026;1.487,36;EUR\n"
            "x;Café Zürich;01.11.2026;30.11.2026;0,00;EUR\n"
            "x;Größe;01.11.2026;30.11.2026;zwölf;EUR\n")
    r = _upload(client, auth, text.encode("cp1252"), platform="generic")
    assert r.status_code == 201, r.text
    body = r.json()
    assert [(row["platform_campaign"], row["amount"]) for row in body["rows"]] == [("Lämpöpumput Herbst", "1487.36")]
    assert [(s["row"], s["campaign"], s["reason"]) for s in body["skipped_rows"]] == [(3, "Café Zürich", "no spend")]
    assert [(x["row"], x["campaign"], x["reason"]) for x in body["rejected_rows"]] == [
        (4, "Größe", "amount: 'zwölf' is not an amount")]
    campaign = client.get(f"/api/v1/campaigns/{body['rows'][0]['campaign']['id']}", headers=auth).json()
    assert (campaign["name"], campaign["channel"]) == ("Lämpöpumput Herbst", "other")
    again = client.get(f"{URL}/{body['id']}", headers=auth).json()
    assert again["rows"] == body["rows"] and again["columns"]["amount"] == "Cost"


def test_an_empty_unknown_or_too_large_file_is_a_422_naming_the_field(client, auth):
    assert _errors(_upload(client, auth, b"")) == [("file", "is empty")]
    assert _errors(_upload(client, auth, b"\xef\xbb\xbf\r\n")) == [("file", "is empty")]
    unknown = _upload(client, auth, b"first_name,email\nAnna,anna@example.com\n", "leads.csv")
    assert unknown.status_code == 422
    [(field, reason)] = _errors(unknown)
    assert field == "file" and reason.startswith("no header row with a campaign column")
    kept = client.get(URL, headers=auth).json()["items"][0]  # the unreadable file is kept, with why
    assert (kept["filename"], kept["costs"], kept["error"]) == ("leads.csv", 0, reason)
    big = _upload(client, auth, b"Campaign,Date,Cost\n" + b"x" * 20_000_001)
    assert big.status_code == 422 and _errors(big) == [("file", "is larger than 20 MB: export a shorter period")]
    platform = _upload(client, auth, b"Campaign,Date,Cost\nA,2026-11-01,5\n", platform="tiktok")
    assert platform.status_code == 422 and _errors(platform)[0][0] == "platform"
    currency = _upload(client, auth, b"Campaign,Date,Cost\nA,2026-11-01,5\n", currency="euro")
    assert currency.status_code == 422 and _errors(currency)[0][0] == "currency"
    missing = client.post(URL, headers=auth, data={"platform": "google"})
    assert missing.status_code == 422 and _errors(missing)[0][0] == "file"
    assert client.get(f"{URL}/999999", headers=auth).status_code == 404


def test_a_file_without_a_currency_takes_the_one_sent_with_it(client, auth):
    data = b"Campaign,Date,Cost\nSPRING-26,2026-11-03,12.50\n"
    without = _upload(client, auth, data).json()
    assert without["rows"] == [] and without["rejected_rows"][0]["reason"].startswith("currency: the file names none")
    r = _upload(client, auth, data, currency="sek")
    assert [(row["amount"], row["currency"], row["starts_on"], row["ends_on"]) for row in r.json()["rows"]] == [
        ("12.50", "SEK", "2026-11-03", "2026-11-03")]
    [cost] = client.get(f"/api/v1/campaigns/{r.json()['rows'][0]['campaign']['id']}/costs", headers=auth).json()
    assert (cost["date"], cost["until"], cost["platform"], cost["external_ref"]) == ("2026-11-03", None, "generic",
                                                                                     None)


def test_importing_spend_needs_the_campaigns_write_permission(client, factory):
    rep = person(factory, "sales_rep")
    r = client.post(URL, headers=rep.headers, files={"file": ("a.csv", b"Campaign,Date,Cost\n", "text/csv")})
    assert r.status_code == 403
    assert client.get(URL, headers=rep.headers).status_code == 200


def test_a_daily_report_puts_each_day_on_the_one_campaign_it_created(client, auth):
    data = (b"Campaign report\nNovember 1, 2026 - November 3, 2026\nDay,Campaign,Campaign ID,Currency code,Cost\n"
            b"2026-11-01,Brand NL,77,EUR,10.00\n2026-11-02,Brand NL,77,EUR,20.00\n2026-11-03,Brand NL,77,EUR,0.00\n")
    body = _upload(client, auth, data).json()
    assert body["platform"] == "google"
    assert {row["campaign"]["id"] for row in body["rows"]} == {body["rows"][0]["campaign"]["id"]}
    costs = client.get(f"/api/v1/campaigns/{body['rows'][0]['campaign']['id']}/costs", headers=auth).json()
    assert [(c["date"], c["until"], c["amount"]) for c in costs] == [("2026-11-01", None, "10.00"),
                                                                      ("2026-11-02", None, "20.00")]
    assert [s["reason"] for s in body["skipped_rows"]] == ["no spend"]


def test_a_report_imported_as_another_platforms_or_a_broken_utf16_file_is_a_422(client, auth, shared_data):
    google = _sample(shared_data, "google_ads_campaign_report.csv")
    r = _upload(client, auth, google, "google.csv", platform="meta")
    assert r.status_code == 422 and ("file", "this is a google report by its columns, not a meta one: leave the "
                                             "platform out to detect it") in _errors(r)
    broken = "\ufeffCampaign,Cost\nA,1".encode("utf-16-le")
    r = _upload(client, auth, b"\xff\xfe" + broken[2:] + b"\x00", "broken.csv")  # odd length: cut short
    assert r.status_code == 422 and _errors(r)[0][0] == "file" and "UTF-16" in _errors(r)[0][1]
    assert _upload(client, auth, google, "google.csv").status_code == 201
