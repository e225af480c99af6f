"""The calling screen over HTTP: it claims the next lead with its script and history, records an outcome from a
plain form post (no script needed), keeps what was typed when a field is wrong, skips, renews the claim, and says
why nobody is left."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.integration.people.pages import form_token, sign_in
from tests.integration.telemarketing.helpers import SCRIPT, agents, callable_lead, make_list

LEAD = re.compile(r'name="lead_id" value="(\d+)"')


def _script(client, auth) -> int:
    r = client.post("/api/v1/call-scripts", headers=auth, json={"name": f"Pumps {id(client)}-{len(SCRIPT)}",
                                                               "intro": "Hello, this is Ann from Pumps.",
                                                               "questions": SCRIPT})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _calling(client, auth, factory, leads: int = 2, **plan):
    team_id, (ann, bob) = agents(factory)
    made = make_list(client, auth, team_id=team_id, owner_id=ann.id, **plan)
    ids = [callable_lead(client, auth, first_name=f"Callee{i}", job_title="Buyer") for i in range(leads)]
    assert client.post(f"/api/v1/call-lists/{made['id']}/leads", headers=auth, json={"lead_ids": ids}).status_code \
        == 200
    return made["id"], ids, ann, bob


def test_the_screen_claims_a_lead_and_shows_its_number_script_and_the_seven_outcomes(client, auth, factory):
    list_id, ids, ann, _ = _calling(client, auth, factory, script_id=_script(client, auth))
    sign_in(client, ann.email)
    page = client.get(f"/call-lists/{list_id}/call")
    assert page.status_code == 200, page.text[:2000]
    held = int(LEAD.search(page.text).group(1))
    assert held in ids
    assert re.search(r'href="tel:\+35840\d+"', page.text)
    assert "Hello, this is Ann from Pumps." in page.text and 'name="a-need" value="high"' in page.text
    for key, label in enumerate(("No answer", "Busy", "Call back", "Wrong number", "Not interested", "Qualified",
                                 "Do not call"), start=1):
        assert re.search(rf'aria-keyshortcuts="{key}"[^>]*><kbd class="key">{key}</kbd> {label}</button>', page.text)
    again = client.get(f"/call-lists/{list_id}/call")
    assert int(LEAD.search(again.text).group(1)) == held  # re-opening returns the lead they hold


def test_a_plain_post_records_the_outcome_fills_bant_and_says_what_it_did(client, auth, factory):
    list_id, ids, ann, _ = _calling(client, auth, factory, script_id=_script(client, auth))
    sign_in(client, ann.email)
    page = client.get(f"/call-lists/{list_id}/call")
    held = int(LEAD.search(page.text).group(1))
    token = form_token(client, f"/call-lists/{list_id}/call")
    r = client.post(f"/call-lists/{list_id}/call", data={
        "csrf_token": token, "lead_id": str(held), "outcome": "qualified", "a-need": "high", "a-budget": "yes",
        "a-role": "Head of buying", "note": "Wants a quote"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    result = client.get(r.headers["location"])
    assert "Recorded: Qualified" in result.text and "filled BANT need, BANT budget, job title" in result.text
    assert 'id="next-lead"' in result.text
    bant = client.get(f"/api/v1/leads/{held}", headers=auth).json()
    assert bant["job_title"] == "Head of buying"
    nxt = client.get(f"/call-lists/{list_id}/call")
    assert int(LEAD.search(nxt.text).group(1)) == next(i for i in ids if i != held)


def test_a_wrong_field_is_shown_beside_it_and_nothing_typed_is_lost(client, auth, factory):
    list_id, _, ann, _ = _calling(client, auth, factory, script_id=_script(client, auth))
    sign_in(client, ann.email)
    held = int(LEAD.search(client.get(f"/call-lists/{list_id}/call").text).group(1))
    token = form_token(client, f"/call-lists/{list_id}/call")
    r = client.post(f"/call-lists/{list_id}/call", data={
        "csrf_token": token, "lead_id": str(held), "outcome": "call_back", "a-budget": "about 40k",
        "note": "Call after lunch"})
    assert r.status_code == 422
    assert 'id="callback-at-error"' in r.text and "a call-back needs its time" in r.text
    assert 'value="about 40k"' in r.text and "Call after lunch</textarea>" in r.text
    nothing = client.post(f"/call-lists/{list_id}/call", data={"csrf_token": token, "lead_id": str(held)})
    assert nothing.status_code == 422 and "choose an outcome" in nothing.text


def test_a_call_back_typed_in_the_leads_time_is_scheduled_for_the_agent(client, auth, factory):
    list_id, _, ann, _ = _calling(client, auth, factory)
    sign_in(client, ann.email)
    held = int(LEAD.search(client.get(f"/call-lists/{list_id}/call").text).group(1))
    token = form_token(client, f"/call-lists/{list_id}/call")
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    helsinki = datetime(day.year, day.month, day.day, 10, 30, tzinfo=ZoneInfo("Europe/Helsinki"))
    r = client.post(f"/call-lists/{list_id}/call", data={"csrf_token": token, "lead_id": str(held),
                                                         "callback_at": helsinki.strftime("%Y-%m-%dT%H:%M")},
                    follow_redirects=False)  # Enter in the call-back time: no outcome button
    assert r.status_code == 303, re.findall(r'field-error[^>]*>([^<]*)', r.text)
    assert "Recorded: Call back" in client.get(r.headers["location"]).text
    lists_page = client.get("/call-lists").text
    mine = lists_page.split('id="my-callbacks"')[1]
    assert helsinki.astimezone(UTC).strftime("%Y-%m-%d %H:%M") in mine  # the lead's (+358) time, shown in UTC


def test_skip_lets_the_lead_go_and_claims_the_one_after_it(client, auth, factory):
    list_id, ids, ann, _ = _calling(client, auth, factory)
    sign_in(client, ann.email)
    first = int(LEAD.search(client.get(f"/call-lists/{list_id}/call").text).group(1))
    token = form_token(client, f"/call-lists/{list_id}/call")
    r = client.post(f"/call-lists/{list_id}/call/skip", data={"csrf_token": token, "lead_id": str(first)})
    assert r.status_code == 200
    assert int(LEAD.search(r.text).group(1)) == next(i for i in ids if i != first)


def test_the_screen_renews_the_claim_and_refuses_a_lead_the_agent_does_not_hold(client, auth, factory):
    list_id, _, ann, bob = _calling(client, auth, factory)
    sign_in(client, ann.email)
    held = int(LEAD.search(client.get(f"/call-lists/{list_id}/call").text).group(1))
    token = form_token(client, f"/call-lists/{list_id}/call")
    renewed = client.post(f"/call-lists/{list_id}/call/renew", data={"lead_id": str(held)},
                          headers={"X-CSRF-Token": token})
    assert renewed.status_code == 200 and "held_until" in renewed.json()
    client.cookies.clear()
    sign_in(client, bob.email)
    token = form_token(client, "/call-lists")
    refused = client.post(f"/call-lists/{list_id}/call/renew", data={"lead_id": str(held)},
                          headers={"X-CSRF-Token": token})
    assert refused.status_code == 409


def test_when_nobody_is_left_the_screen_says_why(client, auth, factory):
    list_id, _, ann, _ = _calling(client, auth, factory, leads=1)
    sign_in(client, ann.email)
    held = int(LEAD.search(client.get(f"/call-lists/{list_id}/call").text).group(1))
    token = form_token(client, f"/call-lists/{list_id}/call")
    client.post(f"/call-lists/{list_id}/call", data={"csrf_token": token, "lead_id": str(held),
                                                     "outcome": "wrong_number"})
    page = client.get(f"/call-lists/{list_id}/call")
    assert 'id="none-now"' in page.text and "Nobody to call now" in page.text and "Nobody to call now." in page.text


def test_the_screen_is_for_agents_of_the_list_only(client, auth, factory):
    list_id, _, _, _ = _calling(client, auth, factory)
    _, (stranger,) = agents(factory, 1)
    sign_in(client, stranger.email)
    assert client.get(f"/call-lists/{list_id}/call").status_code == 404
    client.cookies.clear()
    from tests.integration.people.factories import person
    sign_in(client, person(factory, "sales_rep").email)
    assert client.get(f"/call-lists/{list_id}/call").status_code == 403
