"""A lead answers a survey through their signed link: the page, the answers filling BANT and the lead's fields, the
timeline, the event, errors by question, forged links, answering again."""

from __future__ import annotations

import re

from sqlalchemy import select

from leadflow.events import SURVEY_SUBMITTED
from leadflow.outbox import OutboxMessage
from leadflow.surveys.models import SurveyResponse, SurveySubmission
from leadflow.tracking.models import Event
from tests.integration.people.factories import lead
from tests.integration.surveys.helpers import link, make_survey, responses

ANSWERS = {"need": "high", "role": "Head of Purchasing", "staff": "1,200", "topics": ["pumps", "valves"],
           "next_step": "quote"}


def _published(session, lead_id: int) -> list[dict]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == SURVEY_SUBMITTED)
                           .order_by(OutboxMessage.id)).all()
    return [row.payload for row in rows if row.payload["lead_id"] == lead_id]


def test_the_page_shows_every_question_with_no_inline_script_or_style(client, auth):
    lead_id = lead(client, auth, email="ann@pumps.example")
    survey = make_survey(client, auth)
    r = client.get(link(client, auth, survey["id"], lead_id))
    assert r.status_code == 200
    assert "style-src 'self'" in r.headers["content-security-policy"]
    assert "<script" not in r.text and "style=" not in r.text and "<style" not in r.text
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in r.text
    for question in ("How much do you need it?", "Your job title", "How many people work there?", "What next?"):
        assert question in r.text
    assert 'type="radio" name="need"' in r.text and 'type="checkbox" name="topics"' in r.text
    assert client.get("/s/assets/survey.css").status_code == 200


def test_answers_fill_bant_the_lead_and_custom_fields_show_on_the_timeline_and_go_out_as_an_event(
        client, auth, session):
    lead_id = lead(client, auth, email="bo@pumps.example", job_title="Buyer")
    survey = make_survey(client, auth)
    path = link(client, auth, survey["id"], lead_id, message_id=41)
    r = client.post(path, data=ANSWERS)
    assert r.status_code == 200, r.text
    assert "Thank you" in r.text

    bant = client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()
    assert bant["criteria"]["need"]["value"] == "high" and bant["criteria"]["need"]["source"] == "lead"
    assert bant["criteria"]["need"]["actor"] == "survey:pumps-check"
    person = client.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
    assert person["job_title"] == "Head of Purchasing"
    assert person["custom_fields"]["staff"] == 1200 and person["custom_fields"]["topics"] == ["pumps", "valves"]
    timeline = client.get(f"/api/v1/leads/{lead_id}/activities", headers=auth).json()
    answered = [a for a in timeline if a["kind"] == "survey_answered"]
    assert len(answered) == 1 and "Send me a quote" in answered[0]["summary"]
    assert {"bant_changed", "field_changed"} <= {a["kind"] for a in timeline}

    [response] = responses(client, auth, survey["id"])
    assert response["answers"] == {"need": "high", "role": "Head of Purchasing", "staff": 1200,
                                   "topics": ["pumps", "valves"], "next_step": "quote"}
    assert response["message_id"] == 41 and response["survey_version"] == 1
    [event] = _published(session, lead_id)
    assert event == {"survey_id": survey["id"], "survey_key": "pumps-check", "lead_id": lead_id,
                     "response_id": response["id"], "answers": response["answers"], "message_id": 41}
    tracked = session.scalars(select(Event).where(Event.lead_id == lead_id, Event.type == "survey_answer")).all()
    assert len(tracked) == 1 and tracked[0].properties["next_step"] == "quote"


def test_a_survey_answer_brings_sales_ready_up_to_date_at_once(client, auth):
    assert client.put("/api/v1/sales-ready-rule", headers=auth,
                      json={"expression": "bant.known >= 1 and job_title has words (\"head\")"}).status_code == 200
    lead_id = lead(client, auth, email="cy@pumps.example")
    survey = make_survey(client, auth)
    before = client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()
    assert before["sales_ready_at"] is None
    assert client.post(link(client, auth, survey["id"], lead_id), data=ANSWERS).status_code == 200
    after = client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()
    assert after["sales_ready_at"] is not None and after["stage"] == "sql"


def test_a_required_question_left_out_shows_the_form_again_with_its_error_and_the_raw_post_is_kept(
        client, auth, session):
    lead_id = lead(client, auth, email="di@pumps.example")
    survey = make_survey(client, auth)
    path = link(client, auth, survey["id"], lead_id)
    r = client.post(path, data={"role": "CEO", "next_step": "quote"})
    assert r.status_code == 422
    assert re.search(r'id="q-need-error"[^>]*>Choose an answer<', r.text)
    assert 'value="CEO"' in r.text or ">CEO</textarea>" in r.text  # what was typed is shown again
    assert 'value="quote" checked' in r.text
    api = client.post(path, json={"answers": {"need": "maybe", "next_step": "quote"}})
    assert api.status_code == 422
    [error] = api.json()["errors"]
    assert error["field"] == "answers.need" and error["question"] == "How much do you need it?"
    assert "choose one of high, low" in error["reason"]
    assert responses(client, auth, survey["id"]) == []
    kept = session.scalars(select(SurveySubmission).where(SurveySubmission.survey_id == survey["id"])
                           .order_by(SurveySubmission.id)).all()
    assert [s.outcome for s in kept] == ["refused", "refused"]
    assert "role=CEO" in kept[0].raw["body"] and kept[0].errors[0]["field"] == "need"
    assert _published(session, lead_id) == []


def test_bad_answers_are_named_by_question(client, auth):
    lead_id = lead(client, auth, email="ed@pumps.example")
    survey = make_survey(client, auth)
    path = link(client, auth, survey["id"], lead_id)
    r = client.post(path, json={"answers": {"need": "high", "next_step": "quote", "staff": "many",
                                            "topics": ["pumps", "gears"]}})
    assert r.status_code == 422
    assert {e["field"]: e["reason"] for e in r.json()["errors"]} == {
        "answers.staff": "must be a number", "answers.topics": "choose among pumps, valves"}
    assert client.post(path, content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    assert client.post(path, content=b"x", headers={"content-type": "text/plain"}).status_code == 415


def test_a_forged_or_altered_link_is_not_found(client, auth, session):
    lead_id = lead(client, auth, email="fi@pumps.example")
    survey = make_survey(client, auth)
    path = link(client, auth, survey["id"], lead_id)
    token = path.rsplit("/", 1)[1]
    # a character of the claims changed (the signature's last character may carry padding bits only)
    altered = token[:2] + ("x" if token[2] != "x" else "y") + token[3:]
    from leadflow.surveys import links

    foreign = links.survey_token("another-installation-" + "z" * 40, survey["id"], lead_id)
    for bad in (altered, foreign, "nothing", token + "x"):
        assert client.get(f"/s/{bad}").status_code == 404
        assert client.post(f"/s/{bad}", data={"need": "high", "next_step": "quote"}).status_code == 404
    assert responses(client, auth, survey["id"]) == []
    assert session.scalar(select(SurveySubmission.outcome).where(SurveySubmission.outcome == "forged")) == "forged"
    switched_off = client.patch(f"/api/v1/surveys/{survey['id']}", headers=auth, json={"active": False})
    assert switched_off.status_code == 200
    assert client.get(path).status_code == 404


def test_answering_again_updates_the_one_response_and_announces_only_a_change(client, auth, session):
    lead_id = lead(client, auth, email="gu@pumps.example")
    survey = make_survey(client, auth)
    path = link(client, auth, survey["id"], lead_id, message_id=7)
    assert client.post(path, data={"need": "low", "next_step": "nothing"}).status_code == 200
    assert client.post(path, data={"need": "high", "next_step": "quote"}).status_code == 200
    assert client.post(path, data={"need": "high", "next_step": "quote"}).status_code == 200  # the same again
    [response] = responses(client, auth, survey["id"])
    assert response["answers"] == {"need": "high", "next_step": "quote"} and response["times"] == 3
    events = _published(session, lead_id)
    assert [e["answers"]["next_step"] for e in events] == ["nothing", "quote"]
    assert client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()["criteria"]["need"]["value"] == "high"
    # another email's link (or one with no message) is another response
    assert client.post(link(client, auth, survey["id"], lead_id, message_id=8),
                       data={"need": "low", "next_step": "nothing"}).status_code == 200
    assert client.post(link(client, auth, survey["id"], lead_id),
                       data={"need": "low", "next_step": "nothing"}).status_code == 200
    assert sorted(r["message_id"] or 0 for r in responses(client, auth, survey["id"])) == [0, 7, 8]
    tracked = session.scalars(select(Event).where(Event.lead_id == lead_id, Event.type == "survey_answer")).all()
    assert len(tracked) == 3  # one per response, however often it was sent


def test_a_response_keeps_the_version_it_answered(client, auth, session):
    lead_id = lead(client, auth, email="ha@pumps.example")
    survey = make_survey(client, auth, questions=[
        {"key": "need", "label": "Need?", "kind": "single", "required": True, "maps_to": "bant.need",
         "options": [{"value": "high"}, {"value": "low"}]}])
    assert client.post(link(client, auth, survey["id"], lead_id), data={"need": "high"}).status_code == 200
    changed = client.patch(f"/api/v1/surveys/{survey['id']}", headers=auth, json={"questions": [
        {"key": "need", "label": "Need?", "kind": "single", "required": True, "maps_to": "bant.need",
         "options": [{"value": "high"}, {"value": "low"}]},
        {"key": "when", "label": "When?", "kind": "single", "maps_to": "bant.timeline",
         "options": [{"value": "3m"}, {"value": "later"}]}]})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    renamed = client.patch(f"/api/v1/surveys/{survey['id']}", headers=auth, json={"name": "Need check"})
    assert renamed.json()["version"] == 2  # only new questions make a version
    other = lead(client, auth, email="hb@pumps.example")
    assert client.post(link(client, auth, survey["id"], other), data={"need": "low", "when": "3m"}).status_code == 200
    by_lead = {r["lead_id"]: r["survey_version"] for r in responses(client, auth, survey["id"])}
    assert by_lead == {lead_id: 1, other: 2}
    stored = session.scalar(select(SurveyResponse).where(SurveyResponse.lead_id == lead_id))
    assert stored.answers == {"need": "high"}


def test_a_merged_leads_link_answers_for_the_survivor(client, auth):
    a = lead(client, auth, email="ia@pumps.example")
    b = lead(client, auth, email="ib@valves.example")
    survey = make_survey(client, auth)
    path = link(client, auth, survey["id"], b)
    assert client.post(f"/api/v1/leads/{a}/merge", headers=auth, json={"other_id": b}).status_code == 201
    assert client.post(path, data={"need": "high", "next_step": "quote"}).status_code == 200
    assert [r["lead_id"] for r in responses(client, auth, survey["id"])] == [a]


def test_the_public_page_is_rate_limited_like_other_public_endpoints(database, factory, auth, client):
    from fastapi.testclient import TestClient

    from leadflow.app import create_app
    from tests.conftest import make_settings

    lead_id = lead(client, auth, email="ju@pumps.example")
    survey = make_survey(client, auth)
    path = link(client, auth, survey["id"], lead_id)
    strict = create_app(make_settings(database.url, rate_limit_per_minute=3), sessionmaker=factory)
    with TestClient(strict, raise_server_exceptions=False) as limited:
        statuses = [limited.post(path, data={"need": "high", "next_step": "quote"}).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
