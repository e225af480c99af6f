"""One change on a lead's page, every panel that shows it: the panel that made the change names itself in the
`lead-changed` event, and every other panel reloads from its own address and shows the new facts at once."""

from __future__ import annotations

import json
import re

from leadflow import worker
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in

HTMX = {"HX-Request": "true"}
PANELS = ("head", "section-person", "section-contact", "section-address", "section-status", "timeline", "score",
          "qualification", "prediction")


def _changed(response) -> str:
    return json.loads(response.headers["HX-Trigger"])["lead-changed"]["panel"]


def _panel(client, lead_id: int, address: str) -> str:
    r = client.get(f"/leads/{lead_id}{address}", headers=HTMX)
    assert r.status_code == 200, r.text
    assert "<html" not in r.text
    return r.text


def test_every_panel_of_the_page_reloads_itself_from_its_own_address(client, auth, factory):
    lead_id = lead(client, auth, first_name="Pia")
    sign_in(client, person(factory, "marketing").email)
    page = client.get(f"/leads/{lead_id}").text
    parts = {"score": "/score", "qualification": "/qualification", "prediction": "/prediction",
             "timeline": "/timeline", "head": "/head", "section-person": "/section/person"}
    for panel, address in parts.items():
        found = page if panel in ("head", "timeline", "section-person") else _panel(client, lead_id, address)
        assert re.search(rf'data-lead-panel="{panel}" hx-get="/leads/{lead_id}{address}" hx-trigger="lead-refresh"',
                         found), panel
    assert client.get(f"/leads/{lead_id}/head", follow_redirects=False).status_code == 303  # a page without htmx


def test_an_edit_in_place_shows_the_new_title_and_score_in_every_panel_without_the_worker(client, auth, factory):
    lead_id = lead(client, auth, first_name="Pia", last_name="Holm", job_title="Assistant", company="Holm AS")
    worker.drain(factory)
    sign_in(client, person(factory, "marketing").email)
    assert "Assistant at Holm AS" in _panel(client, lead_id, "/head")
    token = form_token(client, f"/leads/{lead_id}")
    r = client.post(f"/leads/{lead_id}/edit/person", headers=HTMX, data={
        "csrf_token": token, "first_name": "Pia", "last_name": "Holm", "job_title": "VP Sales", "language": ""})
    assert r.status_code == 200 and "Saved job title." in r.text
    assert _changed(r) == "section-person"
    # the other panels, reloaded at once (no worker has run): the head, the score and the qualification panel
    assert "VP Sales at Holm AS" in _panel(client, lead_id, "/head")
    score = _panel(client, lead_id, "/score")
    assert "Vice president or head of" in score
    body = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert body["score"] == 18 + 5 or body["score"] == 18  # seniority (and a target country when known)
    assert f'<strong class="score-number">{body["score"]}</strong>' in score
    assert f"score is {body['score']}" in _panel(client, lead_id, "/qualification")


def test_saving_bant_updates_the_score_panel_and_the_head_with_the_stage(client, auth, factory):
    lead_id = lead(client, auth, first_name="Ola", job_title="CEO")
    assert client.put("/api/v1/sales-ready-rule", headers=auth,
                      json={"expression": "bant.known >= 3 and grade in ('A', 'B')"}).status_code == 200
    sign_in(client, person(factory, "marketing").email)
    before = _panel(client, lead_id, "/score")
    token = form_token(client, f"/leads/{lead_id}")
    r = client.post(f"/leads/{lead_id}/qualification/bant", headers=HTMX, data={
        "csrf_token": token, "budget": "25k", "authority": "decision_maker", "need": "high", "timeline": "3m"})
    assert r.status_code == 200 and "moved to SQL" in r.text
    assert _changed(r) == "qualification"
    after = _panel(client, lead_id, "/score")
    assert after != before and "Three or more BANT answers known" in after
    head = _panel(client, lead_id, "/head")
    assert "SQL" in head and "Sales Ready" in head
    assert re.search(r"<dd>\s*SQL\s*</dd>", _panel(client, lead_id, "/section/status"))


def test_a_stage_move_names_its_panel_and_the_head_follows(client, auth, factory):
    lead_id = lead(client, auth, first_name="Ola")
    marketer = person(factory, "marketing")
    sign_in(client, marketer.email)
    token = form_token(client, f"/leads/{lead_id}")
    r = client.post(f"/leads/{lead_id}/qualification/stage", headers=HTMX, data={"csrf_token": token, "to": "mql"})
    assert r.status_code == 200 and _changed(r) == "qualification"
    assert re.search(r'class="badge lead-stage[^"]*"><span class="visually-hidden">Stage: </span>MQL',
                     _panel(client, lead_id, "/head"))
    assert f"by marketing {marketer.email}" in _panel(client, lead_id, "/timeline")


def test_a_refused_edit_or_nothing_changed_sends_no_event(client, auth, factory):
    lead_id = lead(client, auth, first_name="Ola")
    sign_in(client, person(factory, "marketing").email)
    token = form_token(client, f"/leads/{lead_id}")
    refused = client.post(f"/leads/{lead_id}/edit/contact", headers=HTMX,
                          data={"csrf_token": token, "email": "not an email", "phone": "", "mobile": ""})
    assert refused.status_code == 422 and "HX-Trigger" not in refused.headers
    same = client.post(f"/leads/{lead_id}/edit/person", headers=HTMX, data={
        "csrf_token": token, "first_name": "Ola", "last_name": "", "job_title": "", "language": ""})
    assert same.status_code == 200 and "Nothing changed." in same.text and "HX-Trigger" not in same.headers
