"""Leads through the API: edits by hand survive intake, filters, cursors, notes and the timeline."""

from __future__ import annotations


def capture(client, auth, **body):
    r = client.post("/api/v1/leads", headers=auth, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_a_field_edited_by_hand_is_never_overwritten_by_intake(client, auth):
    lead = capture(client, auth, email="hand@example.com", job_title="Engineer", city="Utrecht")
    r = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth, json={"job_title": "Head of Engineering"})
    assert r.status_code == 200 and r.json()["manual_fields"] == ["job_title"]
    again = capture(client, auth, email="hand@example.com", job_title="Intern", city="Amsterdam")
    assert again["job_title"] == "Head of Engineering"
    assert again["city"] == "Amsterdam"
    merged = [a for a in client.get(f"/api/v1/leads/{lead['id']}/activities", headers=auth).json()
              if a["kind"] == "merged"][0]
    assert merged["data"]["kept_manual"] == ["job_title"]
    edits = [a for a in client.get(f"/api/v1/leads/{lead['id']}/activities", headers=auth).json()
             if a["kind"] == "field_changed"]
    assert edits[0]["data"]["changes"][0] == {"field": "job_title", "old": "Engineer", "new": "Head of Engineering"}


def test_a_poorer_spelling_of_the_same_name_never_replaces_the_better_one(client, auth):
    lead = capture(client, auth, email="asa@fjord.example", first_name="Åsa", last_name="Ødegård-Ñúñez",
                   company="Fjord Bygg AS", city="Tromsø")
    again = capture(client, auth, email="asa@fjord.example", first_name="ASA", last_name="Odegard-Nunez",
                    company="FJORD BYGG AS", city="Tromso", job_title="CTO")
    assert again["id"] == lead["id"]
    assert (again["first_name"], again["last_name"], again["company"], again["city"]) == (
        "Åsa", "Ødegård-Ñúñez", "Fjord Bygg AS", "Tromsø")
    assert again["job_title"] == "CTO"
    # a different text is news, and a richer spelling of the same replaces a poorer one
    third = capture(client, auth, email="asa@fjord.example", last_name="Ødegård", city="Bodø")
    assert (third["last_name"], third["city"]) == ("Ødegård", "Bodø")


def test_patch_normalizes_and_refuses_bad_values(client, auth):
    lead = capture(client, auth, email="p@example.com")
    ok = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth,
                      json={"phone": "+358 40 123 4567", "country": "Suomi", "stage": "mql"})
    assert ok.status_code == 200
    assert ok.json()["phone"] == "+358401234567" and ok.json()["country"] == "FI" and ok.json()["stage"] == "mql"
    bad = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth, json={"email": "nope", "stage": "won"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"stage"}
    bad_email = client.patch(f"/api/v1/leads/{lead['id']}", headers=auth, json={"email": "nope"})
    assert bad_email.status_code == 422 and bad_email.json()["errors"][0]["field"] == "email"


def test_unknown_lead_is_404(client, auth):
    assert client.get("/api/v1/leads/999999", headers=auth).status_code == 404
    assert client.patch("/api/v1/leads/999999", headers=auth, json={"city": "x"}).status_code == 404


def test_list_filters_and_cursor_pagination(client, auth):
    for i in range(7):
        capture(client, auth, email=f"page{i}@example.com", company="Pagina BV" if i % 2 else "Other Oy")
    seen, cursor = [], None
    while True:
        params = {"limit": 3, "q": "page"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/leads", headers=auth, params=params).json()
        seen += [item["email"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and len(set(seen)) == 7
    pagina = client.get("/api/v1/leads", headers=auth, params={"company": "pagina"}).json()["items"]
    assert {lead["email"] for lead in pagina} == {"page1@example.com", "page3@example.com", "page5@example.com"}
    assert client.get("/api/v1/leads", headers=auth, params={"cursor": "garbage"}).status_code == 422
    assert client.get("/api/v1/leads", headers=auth, params={"stage": "won"}).status_code == 422
    assert client.get("/api/v1/leads", headers=auth, params={"created_after": "2000-01-01T00:00:00Z",
                                                               "q": "page"}).json()["items"]
    assert not client.get("/api/v1/leads", headers=auth, params={"created_after": "2999-01-01T00:00:00Z"}
                          ).json()["items"]


def test_filter_by_campaign_code_and_stage(client, auth):
    capture(client, auth, email="camp1@example.com", campaign="WEBINAR-7")
    capture(client, auth, email="camp2@example.com")
    by_code = client.get("/api/v1/leads", headers=auth, params={"campaign": "webinar-7"}).json()["items"]
    assert [lead["email"] for lead in by_code] == ["camp1@example.com"]
    new = client.get("/api/v1/leads", headers=auth, params={"stage": "new", "q": "camp"}).json()["items"]
    assert len(new) == 2


def test_notes_land_on_the_timeline(client, auth):
    lead = capture(client, auth, email="note@example.com")
    r = client.post(f"/api/v1/leads/{lead['id']}/notes", headers=auth, json={"text": "Met at the fair <b>booth</b>"})
    assert r.status_code == 201
    timeline = client.get(f"/api/v1/leads/{lead['id']}/activities", headers=auth).json()
    assert timeline[0]["kind"] == "note" and timeline[0]["data"]["text"] == "Met at the fair <b>booth</b>"
    assert timeline[-1]["kind"] == "captured"


def test_do_not_contact_from_a_capture_is_kept(client, auth):
    lead = capture(client, auth, email="dnc@example.com")
    again = capture(client, auth, email="dnc@example.com", do_not_contact=True)
    assert again["do_not_contact"] is True
    third = capture(client, auth, email="dnc@example.com", do_not_contact=False)
    assert third["do_not_contact"] is True and third["id"] == lead["id"]
