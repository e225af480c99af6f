"""The seeds' brochure journey as a definition: someone requests a brochure; seven days later an email with a short
survey; bounced: discard; asks for a quote or a meeting: straight to sales; answered otherwise: nurture; not
opened: discard; opened but not filled in: telemarketing.

Pure: builds the definition JSON from the ids the template's records got.
"""

from __future__ import annotations

from leadflow import events

BROCHURE_NAME = "Brochure follow-up"


def brochure(*, template_id: int, call_list_id: int, form_id: int | None = None) -> dict:
    entry: list[dict] = [{"kind": "manual"}]
    if form_id is not None:
        entry.insert(0, {"kind": "form", "form_id": form_id})
    return {
        "entry": entry,
        "reentry": {"mode": "never"},
        "goals": [{"name": "Became an SQL", "condition": "stage == \"sql\""}],
        "start": "wait7",
        "steps": [
            {"id": "wait7", "type": "wait", "name": "Wait a week", "duration": "P7D", "next": "survey"},
            {"id": "survey", "type": "send_email", "name": "Send the survey email", "template_id": template_id,
             "next": "answer"},
            {"id": "answer", "type": "wait_until", "name": "Wait for an answer", "events": [events.SURVEY_SUBMITTED],
             "timeout": "P3D", "next": "route"},
            {"id": "route", "type": "branch", "name": "What happened?",
             "branches": [
                 {"when": {"happened": "bounced", "step": "survey"}, "next": "discard_bounced"},
                 {"when": {"condition": "survey.next_step in (\"quote\", \"meeting\")"}, "next": "sales"},
                 {"when": {"happened": "survey_submitted"}, "next": "nurture"},
                 {"when": {"happened": "not_opened", "step": "survey"}, "next": "discard_unopened"},
             ],
             "else": "call"},
            {"id": "discard_bounced", "type": "change_stage", "name": "Discard: bounced", "stage": "disqualified",
             "reason": "the brochure follow-up email bounced", "next": None},
            {"id": "discard_unopened", "type": "change_stage", "name": "Discard: not opened",
             "stage": "disqualified", "reason": "the brochure follow-up email was not opened", "next": None},
            {"id": "sales", "type": "hand_to_sales", "name": "Straight to sales",
             "reason": "asked for a quote or a meeting in the brochure survey", "next": None},
            {"id": "call", "type": "add_to_call_list", "name": "Telemarketing: opened, not answered",
             "call_list_id": call_list_id, "next": None},
            {"id": "nurture", "type": "change_stage", "name": "Nurture", "stage": "nurture",
             "reason": "answered the brochure survey, not ready for sales yet", "next": "points"},
            {"id": "points", "type": "add_points", "name": "Points for answering", "points": 10,
             "reason": "answered the brochure survey", "next": None},
        ],
    }
