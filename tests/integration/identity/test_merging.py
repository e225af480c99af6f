"""Merging two leads, undoing it exactly, the review queue and its remembered verdicts."""

from __future__ import annotations


def post(client, auth, **body):
    r = client.post("/api/v1/leads", headers=auth, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def snapshot(client, auth, lead_id):
    lead = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    captures = sorted(c["id"] for c in client.get(f"/api/v1/leads/{lead_id}/captures", headers=auth).json())
    consents = sorted((c["purpose"], c["granted"]) for c in
                      client.get(f"/api/v1/leads/{lead_id}/consents", headers=auth).json())
    activities = {a["id"] for a in client.get(f"/api/v1/leads/{lead_id}/activities", headers=auth).json()}
    lead.pop("updated_at")
    return lead, captures, consents, activities


def test_merge_then_unmerge_restores_both_leads_exactly(client, auth):
    a = post(client, auth, first_name="Ida", last_name="Berg", email="ida@berg.example", city="Bergen",
             consents=[{"purpose": "newsletter", "granted": True, "text": "News please"}])
    b = post(client, auth, first_name="Ida", last_name="Berg-Hansen", email="ida.hansen@gmail.com", job_title="CFO",
             phone="+47 912 34 567", consents=[{"purpose": "sales_contact", "granted": True}])
    before_a, before_b = snapshot(client, auth, a["id"]), snapshot(client, auth, b["id"])
    r = client.post(f"/api/v1/leads/{a['id']}/merge", headers=auth, json={"other_id": b["id"]})
    assert r.status_code == 201, r.text
    merged = client.get(f"/api/v1/leads/{a['id']}", headers=auth).json()
    assert merged["job_title"] == "CFO" and merged["phone"] == "+4791234567"
    assert client.get(f"/api/v1/leads/{b['id']}", headers=auth).status_code == 404
    ids = {c["id"] for c in client.get(f"/api/v1/leads/{a['id']}/captures", headers=auth).json()}
    assert set(before_b[1]) <= ids
    listed = client.get("/api/v1/leads", headers=auth, params={"q": "Berg"}).json()["items"]
    assert [lead["id"] for lead in listed] == [a["id"]]

    r = client.post(f"/api/v1/leads/{b['id']}/unmerge", headers=auth)
    assert r.status_code == 200, r.text
    after_a, after_b = snapshot(client, auth, a["id"]), snapshot(client, auth, b["id"])
    assert after_a[:3] == before_a[:3]
    assert after_b[:3] == before_b[:3]
    assert before_b[3] <= after_b[3]  # its own activities came back (plus the merge and unmerge entries)
    again = client.post(f"/api/v1/leads/{b['id']}/unmerge", headers=auth)
    assert again.status_code == 404
    pairs = client.get("/api/v1/duplicates", headers=auth, params={"status": "not_same", "lead_id": a["id"]}).json()
    assert [(p["lead"]["id"], p["other"]["id"]) for p in pairs["items"]] == [(a["id"], b["id"])]


def test_do_not_contact_and_withdrawn_consent_survive_a_merge(client, auth):
    a = post(client, auth, first_name="Jo", last_name="Lee", email="jo@lee.example",
             consents=[{"purpose": "newsletter", "granted": True}])
    b = post(client, auth, first_name="Jo", last_name="Lee", email="jo.lee@gmail.com", do_not_contact=True,
             consents=[{"purpose": "newsletter", "granted": False, "text": "Unsubscribed"}])
    # the survivor granted after the other withdrew: the withdrawal still wins
    post(client, auth, email="jo@lee.example", consents=[{"purpose": "newsletter", "granted": True}])
    assert client.post(f"/api/v1/leads/{a['id']}/merge", headers=auth, json={"other_id": b["id"]}).status_code == 201
    lead = client.get(f"/api/v1/leads/{a['id']}", headers=auth).json()
    assert lead["do_not_contact"] is True
    consents = client.get(f"/api/v1/leads/{a['id']}/consents", headers=auth).json()
    assert consents[-1]["purpose"] == "newsletter" and consents[-1]["granted"] is False
    client.post(f"/api/v1/leads/{b['id']}/unmerge", headers=auth)
    assert client.get(f"/api/v1/leads/{a['id']}", headers=auth).json()["do_not_contact"] is False
    assert client.get(f"/api/v1/leads/{a['id']}/consents", headers=auth).json()[-1]["granted"] is True


def test_a_value_edited_by_hand_survives_a_merge(client, auth):
    a = post(client, auth, first_name="Ole", last_name="Dahl", email="ole@dahl.example", job_title="Engineer")
    client.patch(f"/api/v1/leads/{a['id']}", headers=auth, json={"job_title": "Chief Engineer"})
    b = post(client, auth, first_name="Ole", last_name="Dahl", email="ole.dahl@gmail.com", job_title="Intern")
    client.post(f"/api/v1/leads/{a['id']}/merge", headers=auth, json={"other_id": b["id"]})
    assert client.get(f"/api/v1/leads/{a['id']}", headers=auth).json()["job_title"] == "Chief Engineer"


def test_survivorship_rules_are_configurable(client, auth):
    r = client.put("/api/v1/identity/survivorship", headers=auth, json={"rules": {"job_title": "oldest"}})
    assert r.status_code == 200
    a = post(client, auth, first_name="Eva", last_name="Lind", email="eva@lind.example", job_title="Founder")
    b = post(client, auth, first_name="Eva", last_name="Lind", email="eva.lind@gmail.com", job_title="Advisor")
    client.post(f"/api/v1/leads/{a['id']}/merge", headers=auth, json={"other_id": b["id"]})
    assert client.get(f"/api/v1/leads/{a['id']}", headers=auth).json()["job_title"] == "Founder"
    bad = client.put("/api/v1/identity/survivorship", headers=auth, json={"rules": {"shoe_size": "newest"}})
    assert bad.status_code == 422


def test_unsure_pairs_go_to_the_review_queue_and_not_the_same_is_remembered(client, auth):
    a = post(client, auth, first_name="Hans", last_name="Weber", street="Hauptstraße 7", postal_code="80331",
             city="München", email="hans.weber@gmx.de")
    b = post(client, auth, first_name="Hans", last_name="Weber", street="Hauptstr. 7", postal_code="80331",
             city="München", email="h.weber@web.de")
    assert a["id"] != b["id"]
    queue = client.get("/api/v1/duplicates", headers=auth).json()["items"]
    pair = next(p for p in queue if {p["lead"]["id"], p["other"]["id"]} == {a["id"], b["id"]})
    assert pair["reasons"] and 0 < pair["probability"] < 1 and "email" in pair["differences"]
    r = client.post(f"/api/v1/duplicates/{pair['id']}/decision", headers=auth, json={"verdict": "not_same"})
    assert r.status_code == 200
    assert client.post(f"/api/v1/duplicates/{pair['id']}/decision", headers=auth,
                       json={"verdict": "merge"}).status_code == 409
    open_ids = {p["id"] for p in client.get("/api/v1/duplicates", headers=auth).json()["items"]}
    assert pair["id"] not in open_ids


def test_a_queued_pair_can_be_merged_from_the_queue(client, auth):
    a = post(client, auth, first_name="Hans", last_name="Weber", street="Hauptstraße 7", postal_code="80331",
             city="München", email="hans.weber@gmx.de")
    b = post(client, auth, first_name="Hans", last_name="Weber", street="Hauptstr. 7", postal_code="80331",
             city="München", email="h.weber@web.de")
    pair = next(p for p in client.get("/api/v1/duplicates", headers=auth).json()["items"]
                if {p["lead"]["id"], p["other"]["id"]} == {a["id"], b["id"]})
    r = client.post(f"/api/v1/duplicates/{pair['id']}/decision", headers=auth,
                    json={"verdict": "merge", "survivor_id": b["id"]})
    assert r.status_code == 200 and r.json()["survivor_id"] == b["id"]
    assert client.get(f"/api/v1/leads/{a['id']}", headers=auth).status_code == 404


def test_a_merge_moves_the_merged_leads_events_and_an_unmerge_brings_them_back(client, auth):
    a = post(client, auth, first_name="Liv", last_name="Dahl", email="liv@dahl.example")
    b = post(client, auth, first_name="Liv", last_name="Dahl", email="liv.dahl@gmail.com")
    sent = client.post("/api/v1/events", headers=auth, json={"events": [
        {"lead_id": b["id"], "type": "page_view", "properties": {"url": "https://acme.example/pricing"}},
        {"lead_id": b["id"], "type": "download", "properties": {"name": "brochure.pdf"}}]})
    assert sent.status_code == 200, sent.text

    def types(lead_id):
        r = client.get(f"/api/v1/leads/{lead_id}/events", headers=auth)
        assert r.status_code == 200, r.text
        return sorted(e["type"] for e in r.json()["items"])

    assert types(b["id"]) == ["download", "page_view"] and types(a["id"]) == []
    assert client.post(f"/api/v1/leads/{a['id']}/merge", headers=auth, json={"other_id": b["id"]}).status_code == 201
    assert types(a["id"]) == ["download", "page_view"]
    assert client.post(f"/api/v1/leads/{b['id']}/unmerge", headers=auth).status_code == 200
    assert types(b["id"]) == ["download", "page_view"] and types(a["id"]) == []


def test_an_undone_merge_scores_each_lead_again_from_the_history_it_holds(client, auth, factory):
    """The merged lead's events go back to it on unmerge, and so does what they scored: the survivor's score, band
    and Sales Ready are worked out again (leads.unmerged, by the worker), not left with the other's behaviour."""
    from leadflow import worker

    a = post(client, auth, email="score.keeper@example.com", first_name="Karin", last_name="Keeper")
    b = post(client, auth, email="score.visitor@example.com", first_name="Vera", last_name="Visitor")
    r = client.post("/api/v1/events", headers=auth, json={"events": [
        {"type": "page_view", "lead_id": b["id"], "properties": {"url": f"https://acme.example/pricing/{i}"}}
        for i in range(4)] + [{"type": "download", "lead_id": b["id"],
                               "properties": {"url": "https://acme.example/a.pdf"}}]})
    assert r.status_code == 200, r.text
    worker.drain(factory)

    def score(lead_id):
        return client.get(f"/api/v1/leads/{lead_id}/score", headers=auth).json()["score"]

    alone_a, alone_b = score(a["id"]), score(b["id"])
    assert alone_b > alone_a
    assert client.post(f"/api/v1/leads/{a['id']}/merge", headers=auth, json={"other_id": b["id"]}).status_code == 201
    worker.drain(factory)
    assert score(a["id"]) > alone_a   # the survivor gained the other's behaviour
    assert client.post(f"/api/v1/leads/{b['id']}/unmerge", headers=auth).status_code == 200
    worker.drain(factory)
    assert (score(a["id"]), score(b["id"])) == (alone_a, alone_b)
