"""Journeys' test helpers: a valid definition (the brochure flow with a given template and call list) and a
journey made through the API."""

from __future__ import annotations

import copy

BROCHURE = {
    "entry": [{"kind": "manual"}], "reentry": {"mode": "never"},
    "goals": [{"name": "Became an SQL", "condition": 'stage == "sql"'}], "start": "wait7",
    "steps": [
        {"id": "wait7", "type": "wait", "duration": "P7D", "next": "survey"},
        {"id": "survey", "type": "send_email", "template_id": 1, "next": "answer"},
        {"id": "answer", "type": "wait_until", "events": ["survey.submitted"], "timeout": "P3D", "next": "route"},
        {"id": "route", "type": "branch",
         "branches": [{"when": {"happened": "bounced", "step": "survey"}, "next": "discard"},
                      {"when": {"condition": 'survey.next_step in ("quote", "meeting")'}, "next": "sales"},
                      {"when": {"happened": "survey_submitted"}, "next": "nurture"},
                      {"when": {"happened": "not_opened", "step": "survey"}, "next": "discard"}],
         "else": "call"},
        {"id": "discard", "type": "change_stage", "stage": "disqualified", "reason": "bounced or not opened",
         "next": None},
        {"id": "sales", "type": "hand_to_sales", "next": None},
        {"id": "call", "type": "add_to_call_list", "call_list_id": 1, "next": None},
        {"id": "nurture", "type": "add_points", "points": 10, "reason": "answered the survey", "next": None}]}


def brochure() -> dict:
    return copy.deepcopy(BROCHURE)


def make(client, headers, name: str = "Brochure follow-up", definition: dict | None = None) -> dict:
    r = client.post("/api/v1/journeys", headers=headers, json={"name": name, "definition": definition or brochure()})
    assert r.status_code == 201, r.text
    return r.json()
