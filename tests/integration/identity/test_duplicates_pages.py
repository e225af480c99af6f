"""The review queue page and a lead's duplicates panel: merge, not the same (remembered), undo a merge."""

from __future__ import annotations

from leadflow.identity import dedupe
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}


def capture(client, auth, **fields) -> int:
    r = client.post("/api/v1/leads", headers=auth, json=fields)
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def weber_pair(client, auth, **owner_patch) -> tuple[int, int, int]:
    """Two leads the matcher is unsure of: the pair goes to the review queue."""
    a = capture(client, auth, first_name="Hans", last_name="Weber", street="Hauptstraße 7", postal_code="80331",
                city="München", email="hans.weber@gmx.de")
    b = capture(client, auth, first_name="Hans", last_name="Weber", street="Hauptstr. 7", postal_code="80331",
                city="München", email="h.weber@web.de")
    pair = next(p for p in client.get("/api/v1/duplicates", headers=auth).json()["items"]
                if {p["lead"]["id"], p["other"]["id"]} == {a, b})
    return pair["id"], a, b


def test_the_queue_lists_a_pair_side_by_side_with_score_and_reasons(client, auth, factory):
    pair_id, a, b = weber_pair(client, auth)
    sign_in(client, person(factory, "marketing").email)
    page = client.get("/duplicates")
    assert page.status_code == 200
    section = page.text[page.text.index(f'id="pair-{pair_id}"'):]
    assert "hans.weber@gmx.de" in section and "h.weber@web.de" in section and "differs" in section
    assert "% alike" in section and "Why leadflow thinks they may be one person" in section
    assert f'href="/leads/{a}"' in section and f'href="/leads/{b}"' in section
    assert f'action="/duplicates/{pair_id}/merge"' in section and f'action="/duplicates/{pair_id}/not-same"' in section


def test_merge_from_the_queue_leaves_one_lead_and_undo_brings_the_other_back(client, auth, factory):
    pair_id, a, b = weber_pair(client, auth)
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, "/duplicates")
    r = client.post(f"/duplicates/{pair_id}/merge", data={"csrf_token": token, "survivor_id": str(b)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/duplicates?merged={a}"
    assert client.get(f"/api/v1/leads/{a}", headers=auth).status_code == 404
    listed = client.get("/api/v1/leads", headers=auth, params={"q": "Weber"}).json()["items"]
    assert [lead["id"] for lead in listed] == [b]
    page = client.get(r.headers["location"])
    assert "Merged Hans Weber" in page.text and f'action="/leads/{a}/unmerge"' in page.text
    assert f'id="pair-{pair_id}"' not in page.text

    undo = client.post(f"/leads/{a}/unmerge", data={"csrf_token": token, "back": "queue"}, follow_redirects=False)
    assert undo.status_code == 303
    assert client.get(f"/api/v1/leads/{a}", headers=auth).json()["email"] == "hans.weber@gmx.de"
    assert "Merge undone" in client.get(undo.headers["location"]).text


def test_not_the_same_is_remembered_and_the_pair_does_not_come_back_on_dedupe(client, auth, factory):
    pair_id, a, b = weber_pair(client, auth)
    sign_in(client, person(factory, "sales_manager").email)
    assert f'id="pair-{pair_id}"' not in client.get("/duplicates").text  # not the manager's leads
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, "/duplicates")
    r = client.post(f"/duplicates/{pair_id}/not-same", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert "not suggest or merge them again" in client.get("/duplicates").text
    dedupe.run(factory, dry_run=False)
    assert f'id="pair-{pair_id}"' not in client.get("/duplicates").text
    open_pairs = client.get("/api/v1/duplicates", headers=auth, params={"lead_id": a}).json()["items"]
    assert open_pairs == []
    assert client.get(f"/api/v1/leads/{b}", headers=auth).status_code == 200
    again = client.post(f"/duplicates/{pair_id}/merge", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303
    assert "Not merged: this pair was decided already" in client.get(again.headers["location"]).text


def test_merge_on_the_lead_page_shows_the_survivor_with_an_undo_button(client, auth, factory):
    pair_id, a, b = weber_pair(client, auth)
    sign_in(client, person(factory, "marketing").email)
    panel = client.get(f"/leads/{a}/duplicates", headers=HTMX)
    assert panel.status_code == 200 and "<html" not in panel.text and f'id="pair-{pair_id}"' in panel.text
    token = form_token(client, f"/leads/{a}")
    r = client.post(f"/duplicates/{pair_id}/merge", follow_redirects=False,
                    data={"csrf_token": token, "survivor_id": str(a), "back": "lead", "lead_id": str(a)})
    assert r.status_code == 303 and r.headers["location"] == f"/leads/{a}?merged={b}"
    page = client.get(r.headers["location"])
    assert "Merged Hans Weber (#%d) into Hans Weber (#%d)." % (b, a) in page.text
    assert f'action="/leads/{b}/unmerge"' in page.text and "Undo merge" in page.text
    assert f'action="/leads/{b}/unmerge"' in client.get(f"/leads/{a}/duplicates", headers=HTMX).text
    undo = client.post(f"/leads/{b}/unmerge", data={"csrf_token": token}, follow_redirects=False)
    assert undo.status_code == 303 and undo.headers["location"] == f"/leads/{b}"
    assert client.get(f"/api/v1/leads/{b}", headers=auth).json()["merged_into_id"] is None


def test_a_rep_sees_no_pair_with_a_lead_of_another_rep_and_cannot_decide_it(client, auth, factory):
    mine, theirs = person(factory, "sales_rep"), person(factory, "sales_rep")
    pair_id, a, b = weber_pair(client, auth)
    client.patch(f"/api/v1/leads/{a}", headers=auth, json={"owner": mine.id})
    client.patch(f"/api/v1/leads/{b}", headers=auth, json={"owner": theirs.id})
    sign_in(client, mine.email)
    page = client.get("/duplicates")
    assert page.status_code == 200 and f'id="pair-{pair_id}"' not in page.text
    assert "No possible duplicates to review." in page.text
    assert f'id="pair-{pair_id}"' not in client.get(f"/leads/{a}/duplicates", headers=HTMX).text
    token = form_token(client, "/duplicates")
    assert client.post(f"/duplicates/{pair_id}/merge", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/duplicates/{pair_id}/not-same", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/api/v1/duplicates/{pair_id}", headers=auth).json()["status"] == "open"


def test_a_telemarketer_may_not_judge_duplicates(client, auth, factory):
    sign_in(client, person(factory, "telemarketer").email)
    assert client.get("/duplicates").status_code == 403


def test_every_post_of_the_review_queue_needs_the_csrf_token(client, auth, factory):
    pair_id, a, b = weber_pair(client, auth)
    sign_in(client, person(factory, "marketing").email)
    assert client.post(f"/duplicates/{pair_id}/merge", data={"survivor_id": str(a)}).status_code == 403
    assert client.post(f"/duplicates/{pair_id}/not-same", data={}).status_code == 403
    assert client.post(f"/leads/{a}/unmerge", data={}).status_code == 403
    assert client.get(f"/api/v1/duplicates/{pair_id}", headers=auth).json()["status"] == "open"


def test_the_queue_shows_the_likeliest_pairs_first_a_page_at_a_time(client, auth, factory, monkeypatch):
    from leadflow.identity import views
    from leadflow.identity.models import PossibleDuplicate

    ids = [capture(client, auth, email=f"pager{n}@queue.example") for n in range(3)]
    with factory() as session:
        for (low, high), probability in (((ids[0], ids[1]), 0.6), ((ids[0], ids[2]), 0.9), ((ids[1], ids[2]), 0.6)):
            session.add(PossibleDuplicate(lead_id=low, other_id=high, probability=probability, weight=1.0,
                                          reasons=[{"field": "email", "level": "close", "weight": 2.0}]))
        session.commit()
        pairs = {(p.lead_id, p.other_id): p.id for p in session.query(PossibleDuplicate)}
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    sign_in(client, person(factory, "marketing").email)
    seen, path = [], "/duplicates"
    while path:
        page = client.get(path).text
        seen += [pair_id for pair_id in pairs.values() if f'id="pair-{pair_id}"' in page]
        found = page.split('rel="next"')[0].rsplit('href="', 1)[-1].split('"')[0] if 'rel="next"' in page else None
        path = found.replace("&amp;", "&") if found else None
    assert seen == [pairs[(ids[0], ids[2])], pairs[(ids[1], ids[2])], pairs[(ids[0], ids[1])]]
    assert client.get("/duplicates?cursor=nonsense").status_code == 400
