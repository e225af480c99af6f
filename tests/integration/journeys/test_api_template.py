"""The brochure template through the API: its journey made as a draft (a telemarketer owns its call list)."""

from __future__ import annotations

from tests.integration.people.factories import person
def test_the_brochure_template_makes_its_journey_as_a_draft(client, auth, factory):
    person(factory, "telemarketer")
    r = client.post("/api/v1/journeys/template/brochure", headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Brochure follow-up" and r.json()["status"] == "draft"
    assert r.json()["draft"]["definition"]["start"] == "wait7"


def test_the_brochure_email_counts_the_questions_its_survey_asks(client, auth, factory):
    person(factory, "telemarketer")
    assert client.post("/api/v1/journeys/template/brochure", headers=auth).status_code == 201
    survey = client.get("/api/v1/surveys", headers=auth).json()[0]
    template = next(t for t in client.get("/api/v1/email/templates", headers=auth).json()
                    if t["name"] == "Brochure follow-up survey")
    words = {3: "Three", 4: "Four", 5: "Five", 6: "Six"}[len(survey["questions"])]
    assert survey["intro"].startswith(words) and template["preheader"].startswith(words)
    assert f"{words} quick questions" in template["body_mjml"]
