"""Segments' pages: the list with member counts, a new segment with its live preview and the condition's problem
shown with its column, edit, the members a person sees, delete after confirming; the navigation entry; and the
inbox's segment filter (a salesperson still sees only their own leads)."""

from __future__ import annotations

import re

from tests.integration.leads.test_inbox_pages import ids_on, signed_in
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in
from tests.integration.segments.helpers import drain, segment, stored_members

SEGMENT_LINK = re.compile(r'href="/segments/(\d+)"')


def test_marketing_makes_a_segment_with_a_live_preview_and_sees_its_members(client, auth, factory):
    finn = lead(client, auth, first_name="Aino", last_name="Virtanen", country="FI")
    lead(client, auth, first_name="Sven", country="SE")
    signed_in(client, factory, "marketing")
    listing = client.get("/segments")
    assert listing.status_code == 200 and "No segments yet" in listing.text and 'href="/segments/new"' in listing.text
    assert 'href="/segments"' in client.get("/leads").text  # the navigation entry
    token = form_token(client, "/segments/new")
    help_card = client.get("/segments/new").text
    assert "custom field <code>industry</code>" in help_card and "`industry`" not in help_card  # names as code

    preview = client.post("/segments/preview", data={"csrf_token": token, "condition": 'country == "FI"'},
                          headers={"HX-Request": "true"})
    assert preview.status_code == 200 and "Aino Virtanen" in preview.text and "Sven" not in preview.text
    broken = client.post("/segments/preview", data={"csrf_token": token, "condition": 'country == "FI" and'},
                         headers={"HX-Request": "true"})
    assert broken.status_code == 422 and "Not valid:" in broken.text and "(at column 20)" in broken.text

    refused = client.post("/segments/new", data={"csrf_token": token, "name": "Finns", "condition": "contry == 1"},
                          follow_redirects=False)
    assert refused.status_code == 422 and "unknown field &#39;contry&#39;" in refused.text
    assert "at column 1" in refused.text and 'value="Finns"' in refused.text
    saved = client.post("/segments/new", data={"csrf_token": token, "name": "Finns", "description": "Suomi",
                                               "condition": 'country == "FI"'}, follow_redirects=False)
    assert saved.status_code == 303
    segment_id = int(saved.headers["location"].rsplit("/", 1)[1])
    drain(factory)
    page = client.get(f"/segments/{segment_id}")
    assert page.status_code == 200 and "Aino Virtanen" in page.text and f'href="/leads/{finn}"' in page.text
    assert "Sven" not in page.text and f'href="/leads?segment={segment_id}"' in page.text
    assert "Finns" in client.get("/segments").text and ">1</td>" in client.get("/segments").text

    edit = client.get(f"/segments/{segment_id}/edit")
    assert edit.status_code == 200 and "country == &#34;FI&#34;" in edit.text and "Aino Virtanen" in edit.text
    changed = client.post(f"/segments/{segment_id}/edit", data={"csrf_token": token, "name": "Swedes",
                                                                "condition": 'country == "SE"'},
                          follow_redirects=False)
    assert changed.status_code == 303
    drain(factory)
    assert "Sven" in client.get(f"/segments/{segment_id}").text
    assert client.post(f"/segments/{segment_id}/edit", data={"name": "x", "condition": "score > 1"},
                       follow_redirects=False).status_code == 403  # no CSRF token

    confirm = client.get(f"/segments/{segment_id}/delete")
    assert confirm.status_code == 200 and "Delete the segment" in confirm.text
    deleted = client.post(f"/segments/{segment_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert deleted.status_code == 303 and client.get(f"/segments/{segment_id}").status_code == 404


def test_a_rep_sees_segments_with_only_their_own_members_and_cannot_change_them(client, auth, factory):
    finns = segment(client, auth, 'country == "FI"', name="Finland")
    rep = signed_in(client, factory, "sales_rep")
    mine = lead(client, auth, owner=rep, first_name="Oma", last_name="Liidi", country="FI")
    lead(client, auth, first_name="Toisen", last_name="Liidi", country="FI")
    drain(factory)
    assert len(stored_members(factory, finns)) == 2
    listing = client.get("/segments")
    assert listing.status_code == 200 and "New segment" not in listing.text and ">1</td>" in listing.text
    page = client.get(f"/segments/{finns}")
    assert "Oma Liidi" in page.text and "Toisen" not in page.text and "Edit" not in page.text
    assert f'href="/leads/{mine}"' in page.text
    for path in ("/segments/new", f"/segments/{finns}/edit", f"/segments/{finns}/delete"):
        assert client.get(path).status_code == 403
    token = form_token(client, "/segments")
    assert client.post(f"/segments/{finns}/delete", data={"csrf_token": token},
                       follow_redirects=False).status_code == 403


def test_the_inbox_filters_by_segment_and_a_rep_still_sees_only_their_own(client, auth, factory):
    finns = segment(client, auth, 'country == "FI"', name="Finland")
    rep = person(factory, "sales_rep")
    mine = lead(client, auth, owner=rep, first_name="Oma", country="FI")
    theirs = lead(client, auth, first_name="Muu", country="FI")
    swede = lead(client, auth, owner=rep, first_name="Sven", country="SE")
    drain(factory)
    signed_in(client, factory, "marketing")
    inbox = client.get("/leads")
    assert 'name="segment"' in inbox.text and ">Finland</option>" in inbox.text
    assert set(ids_on(client.get("/leads", params={"segment": finns}))) == {mine, theirs}
    unknown = client.get("/leads", params={"segment": "999999"})
    assert unknown.status_code == 422 and "No such segment" in unknown.text
    assert client.get("/leads", params={"segment": "abc"}).status_code == 422
    exported = client.get("/leads/export.csv", params={"segment": finns})
    assert exported.status_code == 200 and exported.text.count("\n") == 3  # the header and the two Finns
    client.cookies.clear()
    assert sign_in(client, rep.email).status_code == 303
    assert set(ids_on(client.get("/leads", params={"segment": finns}))) == {mine}
    assert set(ids_on(client.get("/leads"))) == {mine, swede}
