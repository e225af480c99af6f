"""The "Import ad spend" page: linked from the campaigns list, an upload with its CSRF token shows what each row
became, and a file that cannot be read is shown beside the file field with 422."""

from __future__ import annotations

from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in


def _signed_in(client, factory, role="marketing"):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    return who


def test_a_report_uploaded_on_the_page_shows_its_costs_and_campaigns(client, auth, factory, shared_data):
    _signed_in(client, factory)
    assert 'href="/campaigns/spend"' in client.get("/campaigns").text
    token = form_token(client, "/campaigns/spend")
    data = (shared_data / "clients" / "ad_spend" / "meta_ads_manager_export.csv").read_bytes()
    r = client.post("/campaigns/spend", data={"csrf_token": token, "platform": ""},
                    files={"file": ("meta.csv", data, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    result = client.get(r.headers["location"])
    assert result.status_code == 200
    assert "meta.csv: 3 costs imported, 0 skipped, 0 rejected." in result.text
    for text in ("Lead ads - Heat pump guide (FI)", "723.12 EUR", "329.80 EUR", "141.66 EUR", "new campaign",
                 "2026-11-01 – 2026-11-30", "1194.58 EUR"):
        assert text in result.text
    assert "meta.csv" in client.get("/campaigns/spend").text
    imported = client.get("/api/v1/campaigns/spend-imports", headers=auth).json()["items"]
    assert [(i["filename"], i["platform"], i["totals"]) for i in imported] == [("meta.csv", "meta",
                                                                               {"EUR": "1194.58"})]


def test_an_unreadable_file_is_shown_beside_the_field_and_a_post_without_the_token_is_refused(client, factory):
    _signed_in(client, factory)
    token = form_token(client, "/campaigns/spend")
    wrong = client.post("/campaigns/spend", data={"csrf_token": token},
                        files={"file": ("leads.csv", b"first_name,email\nAnna,a@example.com\n", "text/csv")})
    assert wrong.status_code == 422
    assert 'id="spend-file-error"' in wrong.text and "cannot be read as a spend report" in wrong.text
    empty = client.post("/campaigns/spend", data={"csrf_token": token}, files={"file": ("e.csv", b"", "text/csv")})
    assert empty.status_code == 422 and "Is empty." in empty.text
    forged = client.post("/campaigns/spend", files={"file": ("a.csv", b"Campaign,Date,Cost\n", "text/csv")})
    assert forged.status_code == 403


def test_the_page_is_for_those_who_may_change_campaigns(client, factory):
    _signed_in(client, factory, "sales_rep")
    assert client.get("/campaigns/spend").status_code == 403
