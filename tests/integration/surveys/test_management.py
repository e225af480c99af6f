"""Managing surveys: the API (create, check, change, delete, responses, links, who may), the pages (list, editor,
preview, responses, CSV export) and the shipped brochure follow-up."""

from __future__ import annotations

import csv
import io
import re

from leadflow.surveys import service as survey_service
from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in
from tests.integration.surveys.helpers import QUESTIONS, link, make_survey, responses


def test_a_survey_is_made_read_changed_and_listed_through_the_api(client, auth):
    made = make_survey(client, auth, intro="Two minutes.", thanks="Thanks!")
    assert made["version"] == 1 and made["active"] and made["title"] == "Survey pumps-check"
    assert made["questions"][0] == {"key": "need", "label": "How much do you need it?", "kind": "single",
                                    "options": [{"value": "high", "label": "A lot"},
                                                {"value": "low", "label": "A little"}],
                                    "maps_to": "bant.need", "required": True}
    assert client.get(f"/api/v1/surveys/{made['id']}", headers=auth).json()["intro"] == "Two minutes."
    assert [s["key"] for s in client.get("/api/v1/surveys", headers=auth).json()] == ["pumps-check"]
    assert client.post("/api/v1/surveys", headers=auth, json={
        "key": "pumps-check", "name": "Again", "questions": QUESTIONS}).status_code == 409
    assert client.get("/api/v1/surveys/999999", headers=auth).status_code == 404


def test_wrong_questions_are_refused_naming_the_question_and_the_field(client, auth):
    def refused(questions, key="bad"):
        r = client.post("/api/v1/surveys", headers=auth, json={"key": key, "name": "Bad", "questions": questions})
        assert r.status_code == 422, r.text
        return {e["field"]: e["reason"] for e in r.json()["errors"]}

    assert "questions.0.maps_to" in refused([{"key": "a", "label": "A", "kind": "text", "maps_to": "salary"}])
    assert "questions.0.options.1.value" in refused([
        {"key": "a", "label": "A", "kind": "single", "maps_to": "bant.need",
         "options": [{"value": "high"}, {"value": "a lot"}]}])
    assert "questions.1.key" in refused([{"key": "a", "label": "A", "kind": "text"},
                                         {"key": "a", "label": "B", "kind": "text"}])
    assert "questions.0.options" in refused([{"key": "next_step", "label": "Next?", "kind": "single",
                                              "options": [{"value": "quote"}, {"value": "lunch"}]}])
    assert "questions.0.maps_to" in refused([{"key": "a", "label": "A", "kind": "multiple", "maps_to": "job_title",
                                              "options": [{"value": "x"}]}])
    assert "questions.0.kind" in refused([{"key": "a", "label": "A", "kind": "essay"}])
    assert "key" in refused([{"key": "a", "label": "A", "kind": "text"}], key="Not A Slug")


def test_a_survey_without_responses_may_be_deleted_one_with_them_is_switched_off(client, auth):
    empty = make_survey(client, auth, key="empty")
    assert client.delete(f"/api/v1/surveys/{empty['id']}", headers=auth).status_code == 204
    used = make_survey(client, auth, key="used")
    lead_id = lead(client, auth)
    assert client.post(link(client, auth, used["id"], lead_id), data={"need": "high", "next_step": "quote"}
                       ).status_code == 200
    r = client.delete(f"/api/v1/surveys/{used['id']}", headers=auth)
    assert r.status_code == 409 and "switch it off" in r.json()["errors"][0]["reason"]


def test_only_marketing_and_admins_manage_surveys_and_links_are_for_leads_one_sees(client, auth, factory):
    survey = make_survey(client, auth)
    lead_id = lead(client, auth)
    marketer, rep = person(factory, "marketing"), person(factory, "sales_rep")
    assert client.get("/api/v1/surveys", headers=marketer.headers).status_code == 200
    assert client.get("/api/v1/surveys", headers=rep.headers).status_code == 403
    assert client.post(f"/api/v1/surveys/{survey['id']}/links", headers=rep.headers,
                       json={"lead_id": lead_id}).status_code == 403
    assert client.post(f"/api/v1/surveys/{survey['id']}/links", headers=auth,
                       json={"lead_id": 987654}).status_code == 404
    assert client.get("/api/v1/surveys").status_code == 401


def test_the_brochure_follow_up_is_made_once(client, auth, factory):
    with factory() as session:
        first = survey_service.ensure_brochure_template(session=session)
        again = survey_service.ensure_brochure_template(session=session)
        session.commit()
    assert first.id == again.id
    body = client.get(f"/api/v1/surveys/{first.id}", headers=auth).json()
    assert body["key"] == "brochure-followup"
    assert [q["key"] for q in body["questions"]] == ["need", "timeline", "budget", "authority", "next_step"]
    assert [q["maps_to"] for q in body["questions"]] == ["bant.need", "bant.timeline", "bant.budget",
                                                         "bant.authority", None]
    assert [o["value"] for o in body["questions"][4]["options"]] == ["quote", "meeting", "call", "nothing"]
    lead_id = lead(client, auth)
    r = client.post(link(client, auth, first.id, lead_id), data={
        "need": "high", "timeline": "3m", "budget": "10k-50k", "authority": "decision_maker", "next_step": "meeting"})
    assert r.status_code == 200
    bant = client.get(f"/api/v1/leads/{lead_id}/bant", headers=auth).json()["criteria"]
    assert {c: v["value"] for c, v in bant.items()} == {"budget": "10k-50k", "authority": "decision_maker",
                                                        "need": "high", "timeline": "3m"}


def _signed_in(client, factory, role="marketing"):
    who = person(factory, role)
    assert sign_in(client, who.email).status_code == 303
    return who


def test_the_editor_adds_moves_and_removes_questions_and_saves_a_new_version(client, auth, factory):
    _signed_in(client, factory)
    page = client.get("/surveys")
    assert page.status_code == 200 and "No surveys yet" in page.text
    token = form_token(client, "/surveys/new")
    form = {"csrf_token": token, "count": "1", "name": "Webinar check", "key": "webinar-check", "active": "yes",
            "q0-key": "need", "q0-label": "Do you need it?", "q0-kind": "single", "q0-target": "bant.need",
            "q0-options": "high | Very much\nlow | Not really", "q0-required": "yes"}
    added = client.post("/surveys/new", data={**form, "op": "add_next_step"})
    assert added.status_code == 200 and 'name="q1-key" value="next_step"' in added.text
    form.update({"count": "2", "q1-key": "next_step", "q1-label": "What next?", "q1-kind": "single",
                 "q1-options": "quote | A quote\ncall | A call", "q1-target": ""})
    moved = client.post("/surveys/new", data={**form, "op": "up:1"})
    assert moved.text.index('value="next_step"') < moved.text.index('name="q1-key" value="need"')
    wrong = client.post("/surveys/new", data={**form, "q0-options": "high\nsoon-ish | Soonish", "op": "save"})
    assert wrong.status_code == 422 and re.search(r'id="q0-options-error"[^>]*>.*soon-ish', wrong.text)
    saved = client.post("/surveys/new", data={**form, "op": "save"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    survey_id = int(saved.headers["location"].rsplit("/", 1)[1])
    body = client.get(f"/api/v1/surveys/{survey_id}", headers=auth).json()
    assert [q["key"] for q in body["questions"]] == ["need", "next_step"] and body["version"] == 1
    edit = client.get(f"/surveys/{survey_id}")
    assert edit.status_code == 200 and "high | Very much" in edit.text
    token = form_token(client, f"/surveys/{survey_id}")
    changed = client.post(f"/surveys/{survey_id}", data={**form, "csrf_token": token, "op": "save",
                                                          "q1-label": "What would you like next?"},
                          follow_redirects=False)
    assert changed.status_code == 303
    assert client.get(f"/api/v1/surveys/{survey_id}", headers=auth).json()["version"] == 2
    assert client.post("/surveys/new", data={**form, "op": "save", "csrf_token": "forged"}).status_code == 403
    preview = client.get(f"/surveys/{survey_id}/preview")
    assert preview.status_code == 200 and "Preview: this is what a lead sees" in preview.text
    assert "<script" not in preview.text


def test_responses_show_their_answers_and_export_with_formulas_made_harmless(client, auth, factory):
    survey = make_survey(client, auth)
    lead_id = lead(client, auth, first_name="Ada", last_name="Pumps", email="ada@pumps.example")
    assert client.post(link(client, auth, survey["id"], lead_id), data={
        "need": "high", "role": "=HYPERLINK(\"http://evil.example\")", "topics": "valves", "next_step": "quote",
    }).status_code == 200
    _signed_in(client, factory)
    page = client.get(f"/surveys/{survey['id']}/responses")
    assert page.status_code == 200
    assert "Ada Pumps" in page.text and "A lot" in page.text and "Send me a quote" in page.text
    assert "=HYPERLINK(&#34;http://evil.example&#34;)" in page.text or "=HYPERLINK(&quot;" in page.text
    exported = client.get(f"/surveys/{survey['id']}/responses.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 1
    assert rows[0]["role"] == "'=HYPERLINK(\"http://evil.example\")" and rows[0]["need"] == "high"
    assert rows[0]["lead_email"] == "ada@pumps.example" and rows[0]["topics"] == "valves"
    listed = client.get("/surveys")
    assert 'href="/surveys"' in listed.text and "pumps-check" in listed.text


def test_a_page_makes_a_leads_link_and_the_pages_are_for_marketing_and_admins(client, auth, factory):
    survey = make_survey(client, auth)
    lead_id = lead(client, auth)
    _signed_in(client, factory)
    token = form_token(client, f"/surveys/{survey['id']}")
    made = client.post(f"/surveys/{survey['id']}/link", data={"csrf_token": token, "lead_id": str(lead_id)})
    assert made.status_code == 200
    card = made.text[made.text.index('id="link"'):]  # the link is shown in the card the person used
    found = re.search(r'id="made-link".*?value="(http://[^"]+/s/[A-Za-z0-9_.-]+)"', card, re.S)
    assert found, card
    missing = client.post(f"/surveys/{survey['id']}/link", data={"csrf_token": token, "lead_id": "999999"})
    assert missing.status_code == 422 and 'id="link-error"' in missing.text and "No lead with that number" in (
        missing.text)
    path = "/s/" + found.group(1).rsplit("/s/", 1)[1]
    assert client.get(path).status_code == 200
    client.cookies.clear()
    _signed_in(client, factory, "sales_rep")
    assert client.get("/surveys").status_code == 403
    assert client.get(f"/surveys/{survey['id']}/responses.csv").status_code == 403
    assert 'href="/surveys"' not in client.get("/my-day").text
    assert responses(client, auth, survey["id"]) == []
