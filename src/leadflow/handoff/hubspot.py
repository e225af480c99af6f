"""The HubSpot connector: a Sales Ready lead upserted as a contact by its email (CRM v3 batch upsert), then a note
with its history associated with that contact. `Authorization: Bearer <private app token>`."""

from __future__ import annotations

from datetime import datetime

import httpx

from leadflow.handoff import payloads
from leadflow.handoff.backoff import Outcome, clip, is_permanent, is_success

UPSERT = "/crm/v3/objects/contacts/batch/upsert"
NOTES = "/crm/v3/objects/notes"
NOTE_TO_CONTACT = 202  # HUBSPOT_DEFINED association type: note to contact


def _failed(response: httpx.Response, step: str) -> Outcome:
    return Outcome(False, response.status_code, clip(f"HubSpot {step}: HTTP {response.status_code} {response.text}"),
                   permanent=is_permanent(response.status_code))


def push(client: httpx.Client, *, base_url: str, token: str, data: dict, moment: datetime) -> Outcome:
    lead = data.get("lead") or {}
    if not lead.get("email"):
        return Outcome(False, None, "HubSpot upserts contacts by email and this lead has none", permanent=True)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    base = base_url.rstrip("/")
    response = client.post(base + UPSERT, json=payloads.hubspot_contact(data), headers=headers)
    if not is_success(response.status_code):
        return _failed(response, "contact upsert")
    try:
        contact_id = response.json()["results"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        return Outcome(False, response.status_code, clip(f"HubSpot contact upsert: no contact id in {response.text}"))
    response = client.post(base + NOTES, json=payloads.hubspot_note(data, contact_id, moment), headers=headers)
    if not is_success(response.status_code):
        return _failed(response, "note")
    return Outcome(True, response.status_code)
