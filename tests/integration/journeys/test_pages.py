"""The journeys pages: the list, the journey drawn as a flow with its ways side by side and counts, the editor (add a
step after a step or on a way, edit it with its type's form, problems shown by the field, remove it), entry and
goals, the JSON view (a stale save is a 409), publish and pause; who sees and who changes them."""

from __future__ import annotations

import json
import re

from tests.integration.journeys.journeys import brochure, make
from tests.integration.people.factories import person
from tests.integration.people.pages import TOKEN, sign_in


def signed_in(client, factory, role: str = "marketing"):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    return who


def post(client, path: str, data: dict | None = None, *, token_from: str):
    page = client.get(token_from)
    assert page.status_code == 200, page.text
    token = TOKEN.search(page.text).group(1)
    return client.post(path, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def draft_of(client, auth, journey_id: int) -> dict:
    return client.get(f"/api/v1/journeys/{journey_id}", headers=auth).json()["draft"]["definition"]


def test_the_list_shows_each_journey_and_a_new_journey_is_made_from_it(client, auth, factory):
    signed_in(client, factory)
    make(client, auth)
    page = client.get("/journeys")
    assert page.status_code == 200
    assert "Brochure follow-up" in page.text and "New from template: brochure" in page.text
    assert re.search(r'<a href="/journeys/\d+">Brochure follow-up</a>', page.text)
    made = post(client, "/journeys", {"name": "Webinar follow-up"}, token_from="/journeys")
    assert made.status_code == 303 and re.match(r"/journeys/\d+$", made.headers["location"])
    again = post(client, "/journeys", {"name": "webinar follow-up"}, token_from="/journeys")
    assert again.status_code == 422 and 'id="error-new-name"' in again.text
    assert "Another journey is called" in again.text


def test_the_journey_is_drawn_as_boxes_with_the_ways_of_its_branch_side_by_side(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    page = client.get(f"/journeys/{journey['id']}")
    assert page.status_code == 200
    text = page.text
    for step in ("wait7", "survey", "answer", "route", "discard", "sales", "call", "nurture"):
        assert f'id="step-{step}"' in text
    assert text.index('id="step-wait7"') < text.index('id="step-survey"') < text.index('id="step-route"')
    ways = text[text.index('class="ways"'):]
    assert ways.count('<section class="way') == 5
    assert "its email bounced (survey)" in ways and "survey.next_step in (&#34;quote&#34;, &#34;meeting&#34;)" in ways
    assert "Otherwise" in ways and "goes on at discard" in ways
    assert "0 waiting" in text and "0 passed" in text and "7 days" in text
    assert "<script>" not in text and "style=" not in text


def test_a_step_is_added_after_a_step_with_its_form_and_a_problem_is_shown_by_its_field(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    choose = client.get(base + "/steps/new", params={"after": "wait7"})
    assert choose.status_code == 200 and "Add points" in choose.text and "type=add_points" in choose.text
    form = client.get(base + "/steps/new", params={"after": "wait7", "type": "add_points"})
    assert 'name="points"' in form.text and 'name="reason"' in form.text
    token_from = base + "/steps/new?after=wait7&type=add_points"
    bad = post(client, base + "/steps", {"type": "add_points", "after": "wait7", "points": "lots", "reason": "x"},
               token_from=token_from)
    assert bad.status_code == 422 and 'id="error-points"' in bad.text and "lots" in bad.text
    zero = post(client, base + "/steps", {"type": "add_points", "after": "wait7", "points": "0", "reason": "x"},
                token_from=token_from)
    assert zero.status_code == 422 and 'aria-invalid="true" aria-describedby="error-points"' in zero.text
    added = post(client, base + "/steps", {"type": "add_points", "after": "wait7", "points": "5",
                                           "reason": "asked for the brochure"}, token_from=token_from)
    assert added.status_code == 303 and added.headers["location"].endswith("#step-points1")
    steps = {s["id"]: s for s in draft_of(client, auth, journey["id"])["steps"]}
    assert steps["wait7"]["next"] == "points1" and steps["points1"] == {
        "id": "points1", "type": "add_points", "points": 5, "reason": "asked for the brochure", "next": "survey"}


def test_a_step_on_a_way_of_the_branch_and_a_condition_with_its_column(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    token_from = base + "/steps/new?after=route&way=1&type=wait"
    added = post(client, base + "/steps", {"type": "wait", "after": "route", "way": "1", "duration": "2d"},
                 token_from=token_from)
    assert added.status_code == 303
    steps = {s["id"]: s for s in draft_of(client, auth, journey["id"])["steps"]}
    assert steps["route"]["branches"][1]["next"] == "wait1" and steps["wait1"]["next"] == "sales"
    edit = client.get(base + "/steps/route")
    assert 'name="way-1-condition"' in edit.text and "Way 4" in edit.text
    bad = post(client, base + "/steps/route",
               {"way-1-kind": "condition", "way-1-condition": 'survey.next_step in ("quote"'},
               token_from=base + "/steps/route")
    assert bad.status_code == 422 and 'id="error-way-1"' in bad.text and "column" in bad.text
    assert draft_of(client, auth, journey["id"])["steps"][3]["branches"][1]["when"]["condition"] == (
        'survey.next_step in ("quote", "meeting")')


def test_editing_and_removing_steps(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    form = client.get(base + "/steps/wait7")
    assert 'name="duration" value="P7D"' in form.text.replace('id="duration" ', "")
    bad = post(client, base + "/steps/wait7", {"duration": "a while", "next": "survey"},
               token_from=base + "/steps/wait7")
    assert bad.status_code == 422 and 'id="error-duration"' in bad.text and "a while" in bad.text
    ok = post(client, base + "/steps/wait7", {"duration": "5d", "name": "Wait five days", "next": "survey"},
              token_from=base + "/steps/wait7")
    assert ok.status_code == 303
    assert draft_of(client, auth, journey["id"])["steps"][0] == {"id": "wait7", "type": "wait", "duration": "5d",
                                                                 "name": "Wait five days", "next": "survey"}
    gone = post(client, base + "/steps/wait7/remove", token_from=base)
    assert gone.status_code == 303
    assert draft_of(client, auth, journey["id"])["start"] == "survey"
    refused = post(client, base + "/steps/survey/remove", token_from=base)
    assert refused.status_code == 303
    shown = client.get(refused.headers["location"]).text
    assert "Not changed: steps.route.branches.0.when.step: &#39;survey&#39; is no send_email step" in shown
    assert any(s["id"] == "survey" for s in draft_of(client, auth, journey["id"])["steps"])


def test_entry_reentry_and_goals_and_the_json_view(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    page = client.get(base + "/settings")
    assert page.status_code == 200 and 'name="goals"' in page.text
    bad = post(client, base + "/settings", {"name": "Brochure follow-up", "entry_kinds": "manual",
                                            "reentry_mode": "after_days", "reentry_days": "x", "goals": ""},
               token_from=base + "/settings")
    assert bad.status_code == 422 and "reentry.days" in bad.text
    ok = post(client, base + "/settings", {"name": "Brochure nurture", "entry_kinds": "manual",
                                           "reentry_mode": "after_days", "reentry_days": "30",
                                           "goals": 'Customer: stage == "sql"'}, token_from=base + "/settings")
    assert ok.status_code == 303
    got = client.get(f"/api/v1/journeys/{journey['id']}", headers=auth).json()
    assert got["name"] == "Brochure nurture" and got["draft"]["definition"]["reentry"] == {"mode": "after_days",
                                                                                           "days": 30}
    view = client.get(base + "/json")
    revision = re.search(r'name="revision" value="([0-9a-f]+)"', view.text).group(1)
    token = TOKEN.search(view.text).group(1)
    changed = brochure()
    changed["steps"][0]["duration"] = "P2D"
    saved = client.post(base + "/json", data={"csrf_token": token, "revision": revision,
                                              "definition": json.dumps(changed)}, follow_redirects=False)
    assert saved.status_code == 303
    stale = client.post(base + "/json", data={"csrf_token": token, "revision": revision,
                                              "definition": json.dumps(brochure())}, follow_redirects=False)
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    broken = client.post(base + "/json", data={"csrf_token": token, "revision": "", "definition": "{nope"},
                         follow_redirects=False)
    assert broken.status_code == 422 and "Not JSON: " in broken.text
    assert draft_of(client, auth, journey["id"])["steps"][0]["duration"] == "P2D"


def test_publish_pause_and_resume_from_the_page(client, auth, factory):
    who = signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    assert "Publish version 1" in client.get(base).text
    assert post(client, base + "/publish", token_from=base).status_code == 303
    page = client.get(base).text
    assert "Live: version 1" in page and "Pause" in page and "Publish version" not in page
    assert f" by {who.role} {who.email}" in page and " by user:" not in page  # the publisher by name
    assert post(client, base + "/pause", token_from=base).status_code == 303
    assert "Resume" in client.get(base).text
    assert post(client, base + "/resume", token_from=base).status_code == 303
    assert client.get(f"/api/v1/journeys/{journey['id']}", headers=auth).json()["status"] == "live"


def test_a_manager_reads_without_editing_and_a_rep_is_refused(client, auth, factory):
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    signed_in(client, factory, "sales_manager")
    page = client.get(base)
    assert page.status_code == 200 and "Add a step" not in page.text and "Publish" not in page.text
    assert 'href="/journeys"' in client.get("/journeys").text
    assert client.get(base + "/steps/wait7").status_code == 403
    assert client.get(base + "/simulate").status_code == 200
    client.cookies.clear()
    signed_in(client, factory, "sales_rep")
    assert client.get("/journeys").status_code == 403
    assert 'href="/journeys"' not in client.get("/my-day").text


def test_a_number_typed_with_other_digits_is_a_problem_by_its_field_not_a_server_error(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    base = f"/journeys/{journey['id']}"
    assert post(client, base + "/publish", token_from=base).status_code == 303
    for field, value in (("lead_id", "\u00b2"), ("lead_id", "9" * 30), ("segment_id", "\u00b2"),
                         ("segment_id", "424242")):
        r = post(client, base + "/enrol", {field: value}, token_from=base)
        assert r.status_code == 422, (field, value, r.status_code)


def test_the_simulator_reads_a_segment_number_typed_with_other_digits_as_none(client, auth, factory):
    signed_in(client, factory)
    journey = make(client, auth)
    page = client.get(f"/journeys/{journey['id']}/simulate", params={"source": "segment", "segment_id": "\u00b2",
                                                                     "version": "\u00b2"})
    assert page.status_code in (200, 422), page.status_code
