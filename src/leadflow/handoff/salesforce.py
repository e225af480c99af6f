"""The Salesforce connector: a Sales Ready lead upserted as a Lead sObject over REST, by an external id field that
holds leadflow's lead id (`PATCH /services/data/{version}/sobjects/Lead/{field}/{id}`), its history in Description.
201: created; 200 or 204: updated. `Authorization: Bearer <access token>`."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from leadflow.handoff import payloads
from leadflow.handoff.backoff import Outcome, clip, is_permanent, is_success


def push(client: httpx.Client, *, base_url: str, token: str, options: dict, data: dict) -> Outcome:
    lead = data.get("lead") or {}
    if not lead.get("id"):
        return Outcome(False, None, "the event carries no lead to upsert", permanent=True)
    settings = payloads.with_defaults(payloads.SALESFORCE, options)
    path = (f"/services/data/{quote(settings['api_version'])}/sobjects/Lead/"
            f"{quote(settings['external_id_field'])}/{lead['id']}")
    response = client.patch(base_url.rstrip("/") + path, json=payloads.salesforce_lead(data),
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    if is_success(response.status_code):
        return Outcome(True, response.status_code)
    # 300: several Leads hold this external id (the data needs fixing); 400/404: the CRM refused the request.
    permanent = response.status_code == 300 or is_permanent(response.status_code)
    return Outcome(False, response.status_code,
                   clip(f"Salesforce Lead upsert: HTTP {response.status_code} {response.text}"), permanent=permanent)
