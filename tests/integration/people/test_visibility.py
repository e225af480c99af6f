"""Who sees which leads, in every lead path of the API: another's lead is a 404, never a 403 or a leak."""

from __future__ import annotations

from tests.integration.people.factories import call_list, lead, person, team, visible


def test_a_sales_rep_sees_only_their_own_leads_and_another_reps_lead_is_404_everywhere(client, auth, factory):
    anna, ben = person(factory, "sales_rep"), person(factory, "sales_rep")
    mine, theirs = lead(client, auth, owner=anna), lead(client, auth, owner=ben)
    lead(client, auth)  # nobody's
    assert visible(client, anna) == {mine}
    h = anna.headers
    assert client.get(f"/api/v1/leads/{mine}", headers=h).status_code == 200
    for method, path, body in (
        ("GET", f"/api/v1/leads/{theirs}", None),
        ("PATCH", f"/api/v1/leads/{theirs}", {"city": "Oslo"}),
        ("GET", f"/api/v1/leads/{theirs}/activities", None),
        ("GET", f"/api/v1/leads/{theirs}/consents", None),
        ("POST", f"/api/v1/leads/{theirs}/notes", {"text": "hello"}),
        ("GET", f"/api/v1/leads/{theirs}/captures", None),
        ("GET", f"/api/v1/leads/{theirs}/merges", None),
        ("POST", f"/api/v1/leads/{mine}/merge", {"other_id": theirs}),
        ("POST", f"/api/v1/leads/{theirs}/merge", {"other_id": mine}),
        ("POST", f"/api/v1/leads/{theirs}/unmerge", None),
        ("GET", "/api/v1/captures", {"lead_id": theirs}),
    ):
        kwargs = {"params": body} if method == "GET" and body else ({"json": body} if body else {})
        r = client.request(method, path, headers=h, **kwargs)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    assert client.get(f"/api/v1/leads/{theirs}", headers=auth).json()["city"] is None  # the PATCH changed nothing


def test_a_sales_rep_sees_teammates_leads_only_where_the_team_shares_them(client, auth, factory):
    team(factory, "North", shared=True)
    team(factory, "South", shared=False)
    n1, n2 = person(factory, "sales_rep", team="North"), person(factory, "sales_rep", team="North")
    s1, s2 = person(factory, "sales_rep", team="South"), person(factory, "sales_rep", team="South")
    leads = {p.id: lead(client, auth, owner=p) for p in (n1, n2, s1, s2)}
    assert visible(client, n1) == {leads[n1.id], leads[n2.id]}
    assert visible(client, s1) == {leads[s1.id]}
    assert client.get(f"/api/v1/leads/{leads[s2.id]}", headers=s1.headers).status_code == 404
    assert client.get(f"/api/v1/leads/{leads[n2.id]}", headers=n1.headers).status_code == 200


def test_a_sales_manager_sees_their_teams_leads_and_not_another_teams(client, auth, factory):
    boss = person(factory, "sales_manager")
    team(factory, "Enterprise", manager=boss.email)
    team(factory, "SMB")
    rep, other = person(factory, "sales_rep", team="Enterprise"), person(factory, "sales_rep", team="SMB")
    ours, theirs, own = lead(client, auth, owner=rep), lead(client, auth, owner=other), lead(client, auth, owner=boss)
    assert visible(client, boss) == {ours, own}
    assert client.get(f"/api/v1/leads/{theirs}", headers=boss.headers).status_code == 404
    assert client.patch(f"/api/v1/leads/{ours}", headers=boss.headers, json={"owner": boss.id}).status_code == 200


def test_a_telemarketer_sees_the_leads_on_their_call_lists(client, auth, factory):
    caller, colleague = person(factory, "telemarketer"), person(factory, "telemarketer")
    rep = person(factory, "sales_rep")
    listed, unlisted = lead(client, auth, owner=rep), lead(client, auth)
    call_list(factory, caller, [listed])
    assert visible(client, caller) == {listed}
    assert visible(client, colleague) == set()
    assert client.get(f"/api/v1/leads/{listed}", headers=caller.headers).status_code == 200
    assert client.get(f"/api/v1/leads/{unlisted}", headers=caller.headers).status_code == 404
    assert client.post(f"/api/v1/leads/{listed}/notes", headers=caller.headers,
                       json={"text": "no answer"}).status_code == 201


def test_marketing_and_admins_see_every_lead(client, auth, factory):
    rep = person(factory, "sales_rep")
    ids = {lead(client, auth, owner=rep), lead(client, auth)}
    for role in ("marketing", "admin"):
        assert ids <= visible(client, person(factory, role))
    assert ids <= {item["id"] for item in client.get("/api/v1/leads", headers=auth,
                                                      params={"limit": 500}).json()["items"]}


def test_the_capture_log_shows_a_rep_only_the_captures_of_their_leads(client, auth, factory):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    mine, theirs = lead(client, auth, owner=rep), lead(client, auth, owner=other)
    client.post("/api/v1/leads", headers=auth, json={"email": "broken"})  # a rejected capture, no lead
    captures = client.get("/api/v1/captures", headers=rep.headers, params={"limit": 500}).json()["items"]
    assert {c["lead_id"] for c in captures} == {mine}
    their_capture = client.get("/api/v1/captures", headers=auth, params={"lead_id": theirs}).json()["items"][0]
    assert client.get(f"/api/v1/captures/{their_capture['id']}", headers=rep.headers).status_code == 404
    mine_capture = captures[0]["id"]
    assert client.get(f"/api/v1/captures/{mine_capture}", headers=rep.headers).status_code == 200
    everything = client.get("/api/v1/captures", headers=person(factory, "marketing").headers,
                            params={"limit": 500}).json()["items"]
    assert any(c["lead_id"] is None for c in everything)


def test_possible_duplicates_show_a_rep_only_pairs_of_leads_they_see(client, auth, factory):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    person_data = dict(first_name="Hans", last_name="Weber", postal_code="80331", city="München")
    a = lead(client, auth, owner=rep, street="Hauptstraße 7", email="hans.weber@gmx.de", **person_data)
    b = lead(client, auth, owner=other, street="Hauptstr. 7", email="h.weber@web.de", **person_data)
    pair = next(p for p in client.get("/api/v1/duplicates", headers=auth).json()["items"]
                if {p["lead"]["id"], p["other"]["id"]} == {a, b})
    assert client.get(f"/api/v1/duplicates/{pair['id']}", headers=rep.headers).status_code == 404
    assert pair["id"] not in {p["id"] for p in client.get("/api/v1/duplicates", headers=rep.headers).json()["items"]}
    decision = client.post(f"/api/v1/duplicates/{pair['id']}/decision", headers=rep.headers, json={"verdict": "merge"})
    assert decision.status_code == 404
    assert client.get(f"/api/v1/leads/{b}", headers=auth).json()["merged_into_id"] is None


def test_a_capture_merged_into_a_lead_the_rep_cannot_see_does_not_show_that_lead(client, auth, factory):
    rep, other = person(factory, "sales_rep"), person(factory, "sales_rep")
    theirs = lead(client, auth, owner=other, email="secret@example.com", city="Bergen")
    assert client.patch(f"/api/v1/leads/{theirs}", headers=auth, json={"job_title": "CFO"}).status_code == 200
    r = client.post("/api/v1/leads", headers=rep.headers, json={"email": "secret@example.com", "job_title": "Intern",
                                                                "phone": "+47 912 34 567"})
    assert r.status_code == 200
    assert r.json() == {"capture_id": r.json()["capture_id"], "outcome": "merged"}   # no id, no field
    assert "location" not in r.headers and str(theirs) not in r.text.replace(r.json()["capture_id"].__str__(), "")
    batch = client.post("/api/v1/leads/batch", headers=rep.headers, json={"leads": [
        {"email": "secret@example.com"}, {"email": "fresh.batch@example.com"}]}).json()
    assert batch["items"][0]["outcome"] == "merged" and batch["items"][0]["lead_id"] is None
    assert batch["items"][1]["outcome"] == "created" and batch["items"][1]["lead_id"]
    kept = client.get(f"/api/v1/leads/{theirs}", headers=auth).json()
    assert kept["job_title"] == "CFO"                      # edited by hand: no capture overwrites it
    assert kept["phone"] == "+4791234567"                  # the capture was still merged: nothing lost
    created = client.post("/api/v1/leads", headers=rep.headers, json={"email": "fresh@example.com"})
    assert created.status_code == 201 and created.json()["email"] == "fresh@example.com"


def test_a_deactivated_users_api_key_stops_working(client, auth, factory):
    from leadflow.people import service as people_service

    rep = person(factory, "sales_rep")
    assert client.get("/api/v1/leads", headers=rep.headers).status_code == 200
    with factory() as session:
        people_service.deactivate_user(people_service.user_by_email(rep.email, session=session), session=session)
        session.commit()
    r = client.get("/api/v1/leads", headers=rep.headers)
    assert r.status_code == 401 and "deactivated" in r.json()["errors"][0]["reason"]
