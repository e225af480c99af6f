"""Surveys' test helpers: a survey made through the API, a lead's signed link through the API, its path."""

from __future__ import annotations

from urllib.parse import urlsplit

QUESTIONS = [
    {"key": "need", "label": "How much do you need it?", "kind": "single", "maps_to": "bant.need", "required": True,
     "options": [{"value": "high", "label": "A lot"}, {"value": "low", "label": "A little"}]},
    {"key": "role", "label": "Your job title", "kind": "text", "maps_to": "job_title"},
    {"key": "staff", "label": "How many people work there?", "kind": "number", "maps_to": "custom.staff"},
    {"key": "topics", "label": "What interests you?", "kind": "multiple", "maps_to": "custom.topics",
     "options": [{"value": "pumps", "label": "Pumps"}, {"value": "valves", "label": "Valves"}]},
    {"key": "next_step", "label": "What next?", "kind": "single", "required": True,
     "options": [{"value": "quote", "label": "Send me a quote"}, {"value": "nothing", "label": "Nothing"}]},
]


def make_survey(client, auth, key: str = "pumps-check", questions=None, **extra) -> dict:
    r = client.post("/api/v1/surveys", headers=auth, json={"key": key, "name": f"Survey {key}",
                                                           "questions": questions or QUESTIONS, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def link(client, auth, survey_id: int, lead_id: int, message_id: int | None = None) -> str:
    r = client.post(f"/api/v1/surveys/{survey_id}/links", headers=auth,
                    json={"lead_id": lead_id, **({"message_id": message_id} if message_id else {})})
    assert r.status_code == 200, r.text
    return urlsplit(r.json()["url"]).path


def responses(client, auth, survey_id: int) -> list[dict]:
    r = client.get(f"/api/v1/surveys/{survey_id}/responses", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["items"]
