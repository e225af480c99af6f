"""A segment reads the lead's survey answers as journeys do (`survey.<question>`): a lead enters when its answer
matches and leaves when it answers again otherwise, each told once; the preview and the saved segment agree."""

from __future__ import annotations

from leadflow.events import SEGMENT_ENTERED, SEGMENT_LEFT
from tests.integration.people.factories import lead
from tests.integration.segments.helpers import api_members, drain, segment, told
from tests.integration.surveys.helpers import link, make_survey

QUESTIONS = [
    {"key": "budget", "label": "Your budget (EUR)?", "kind": "number"},
    {"key": "next_step", "label": "What next?", "kind": "single", "required": True,
     "options": [{"value": "quote", "label": "A quote"}, {"value": "nothing", "label": "Nothing"}]},
]


def test_a_lead_enters_a_segment_on_its_survey_answer_and_leaves_when_it_answers_again(client, auth, factory):
    budgets = segment(client, auth, "survey.budget >= 10000", name="Big budgets")
    quotes = segment(client, auth, 'survey.next_step == "quote" and country == "FI"', name="Finns for a quote")
    survey = make_survey(client, auth, key="budget-check", questions=QUESTIONS)
    big = lead(client, auth, first_name="Aino", country="FI")
    small = lead(client, auth, first_name="Bo", country="FI")
    silent = lead(client, auth, first_name="Cai", country="FI")
    drain(factory)
    assert api_members(client, auth, budgets) == set() and api_members(client, auth, quotes) == set()

    for lead_id, budget, step in ((big, "25 000", "quote"), (small, "5000", "nothing")):
        r = client.post(link(client, auth, survey["id"], lead_id), data={"budget": budget, "next_step": step})
        assert r.status_code == 200, r.text
    drain(factory)
    assert api_members(client, auth, budgets) == {big}
    assert api_members(client, auth, quotes) == {big}
    assert told(factory, SEGMENT_ENTERED, budgets) == [big]

    # Answering again (the same link) changes the answer: the lead leaves, told once.
    again = client.post(link(client, auth, survey["id"], big), data={"budget": "900", "next_step": "quote"})
    assert again.status_code == 200
    drain(factory)
    assert api_members(client, auth, budgets) == set() and api_members(client, auth, quotes) == {big}
    assert told(factory, SEGMENT_LEFT, budgets) == [big]

    preview = client.post("/api/v1/segments/preview", headers=auth,
                          json={"condition": "survey.budget < 1000 or survey.budget is unknown"})
    assert preview.status_code == 200, preview.text
    assert preview.json()["matched"] == 2 and set(preview.json()["sample"]) == {big, silent}


def test_a_new_segment_on_survey_answers_is_worked_out_over_the_leads_who_answered(client, auth, factory):
    survey = make_survey(client, auth, key="budget-check", questions=QUESTIONS)
    rich, poor = lead(client, auth), lead(client, auth)
    for lead_id, budget in ((rich, "12,500"), (poor, "80")):
        assert client.post(link(client, auth, survey["id"], lead_id),
                           data={"budget": budget, "next_step": "nothing"}).status_code == 200
    drain(factory)
    built = segment(client, auth, "survey.budget >= 10000", name="Big budgets")
    drain(factory)
    assert api_members(client, auth, built) == {rich}


def test_a_survey_name_with_no_question_is_refused_by_its_field(client, auth):
    r = client.post("/api/v1/segments", headers=auth, json={"name": "Odd", "condition": "survey >= 1"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "condition"
    r = client.post("/api/v1/segments", headers=auth, json={"name": "Odd", "condition": "survey.a.b == 1"})
    assert r.status_code == 422 and "one name after the dot" in r.json()["errors"][0]["reason"]
