"""What handoff sends: the events an endpoint may subscribe to, the webhook body (built once, then frozen), what
an endpoint's settings must be, and how a lead with its history maps onto HubSpot's contact and note and onto
Salesforce's Lead.

Pure: standard library only; it never touches the database, the network or the clock (time comes in)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from urllib.parse import urlsplit

from leadflow import events

WEBHOOK, HUBSPOT, SALESFORCE = "webhook", "hubspot", "salesforce"
KINDS = (WEBHOOK, HUBSPOT, SALESFORCE)
KIND_LABELS = {WEBHOOK: "Webhook", HUBSPOT: "HubSpot", SALESFORCE: "Salesforce"}
ALL = "*"

# The events an endpoint may subscribe to (their topic names), with what each means for the receiver.
EVENTS: dict[str, str] = {
    events.LEAD_CAPTURED: "a capture created a new lead",
    events.LEAD_RECAPTURED: "a returning person's capture was folded into their lead",
    events.LEAD_UPDATED: "someone edited the lead's fields",
    events.LEAD_STAGE_CHANGED: "the lead moved to another stage",
    events.LEAD_SALES_READY: "the lead became Sales Ready",
    events.LEAD_ASSIGNED: "the lead got an owner or went to a queue",
    events.LEADS_MERGED: "two leads became one (the survivor is the lead)",
    events.LEADS_UNMERGED: "a merge was undone",
    events.FOLLOWUP_OVERDUE: "the owner did not follow the lead up by its due time",
    events.CONTACT_LOGGED: "a salesperson logged a call, email, meeting or visit with its outcome",
    events.TASK_CREATED: "a task was made for the lead (by hand, by a policy or by a contact's outcome)",
    events.TASK_COMPLETED: "a task was done or canceled",
    events.LEAD_RECYCLED: "sales handed the lead back to marketing, with a reason and a date to revisit",
    events.OPPORTUNITY_CHANGED: "an opportunity was made, edited or moved to another stage",
    events.OPPORTUNITY_WON: "an opportunity was won (the lead became a customer)",
    events.OPPORTUNITY_LOST: "an opportunity was lost, with the reason",
    events.QUOTE_CHANGED: "a quote was made or its status changed",
    events.COMPETITOR_NOTED: "a competitor was reported in play",
}
# Connectors push a lead to a CRM: by default when it becomes Sales Ready.
CONNECTOR_EVENTS = (events.LEAD_SALES_READY,)
STATUSES = ("pending", "failed", "delivered", "dead")
REPLAYABLE = ("failed", "dead", "delivered")

MAX_SECRET = 500
MIN_SECRET = 16
API_VERSION = re.compile(r"^v\d{2,3}\.\d$")
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
DEFAULT_SALESFORCE = {"api_version": "v60.0", "external_id_field": "Leadflow_Id__c"}
NOT_PROVIDED = "[not provided]"


def lead_of(topic: str, payload: dict) -> int | None:
    """The lead an event is about (a merge's survivor)."""
    value = payload.get("survivor_id") if topic in (events.LEADS_MERGED, events.LEADS_UNMERGED) else None
    value = value or payload.get("lead_id")
    return value if isinstance(value, int) else None


def occurred_at(payload: dict, moment: datetime) -> str:
    """When it happened: the event's own time where it carries one, else when handoff took it up."""
    for name in ("sales_ready_at", "occurred_at", "at"):
        if isinstance(payload.get(name), str):
            return payload[name]
    return moment.isoformat()


def source_key(topic: str, payload: dict, lead_version: str | None) -> str:
    """One event's key: a second fan-out of the same message (a retried job) makes no second delivery. The lead's
    last change is part of it, so the same edit made again later is a new event."""
    text = json.dumps([topic, payload, lead_version], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def wants(endpoint_events: list[str], topic: str) -> bool:
    return ALL in endpoint_events or topic in endpoint_events


def body(*, delivery_id: str, event: str, occurred: str, payload: dict, lead: dict | None,
         history: list[dict] | None = None) -> str:
    """The JSON text sent (and signed) on every attempt and replay: built once at the fan-out."""
    data = {**payload, "lead": lead}
    if history is not None:
        data["history"] = history
    return json.dumps({"id": delivery_id, "event": event, "occurred_at": occurred, "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str)


def lead_summary(lead: dict, *, owner_email: str | None, base_url: str) -> dict:
    """The lead as receivers see it (`lead` of every body)."""
    name = " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p) or None
    return {"id": lead["id"], "name": name, "first_name": lead.get("first_name"), "last_name": lead.get("last_name"),
            "email": lead.get("email"), "phone": lead.get("phone") or lead.get("mobile"),
            "job_title": lead.get("job_title"), "company": lead.get("company"), "city": lead.get("city"),
            "country": lead.get("country"), "stage": lead.get("stage"), "score": lead.get("score"),
            "band": lead.get("band"), "grade": lead.get("grade"), "owner_id": lead.get("owner_id"),
            "owner_email": owner_email, "url": f"{base_url.rstrip('/')}/leads/{lead['id']}"}


# --- an endpoint's settings ------------------------------------------------------------------------------------------

def url_problem(url: str) -> str | None:
    if not url or len(url) > 2000:
        return "must be an http or https URL of at most 2000 characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http or https URL (https://...)"
    if parts.username or parts.password:
        return "must not carry a user name or password: use the secret or token"
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number from 0 to 65535)
        parts.hostname.encode("idna")
    except (ValueError, UnicodeError):
        return "has a port or host name that cannot be reached (https://host:443/path)"
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "must not contain spaces or control characters"
    return None


def events_problem(names: list[str]) -> str | None:
    if not names:
        return "choose at least one event (or * for all)"
    unknown = [n for n in names if n != ALL and n not in EVENTS]
    if unknown:
        return f"unknown event {unknown[0]!r}: one of {', '.join(EVENTS)} or *"
    return None


def secret_problem(secret: str, *, kind: str) -> str | None:
    if len(secret) > MAX_SECRET:
        return f"must be at most {MAX_SECRET} characters"
    if kind == WEBHOOK and len(secret) < MIN_SECRET:
        return f"must be at least {MIN_SECRET} characters"
    if not secret.strip():
        return "is required"
    if not secret.isascii() or any(ord(c) < 32 for c in secret):
        return "must be printable ASCII (it goes into a header)"
    return None


def options_problems(kind: str, options: dict) -> dict[str, str]:
    """Field -> reason for a connector's options (Salesforce: api_version, external_id_field)."""
    problems: dict[str, str] = {}
    allowed = set(DEFAULT_SALESFORCE) if kind == SALESFORCE else set()
    for name in options:
        if name not in allowed:
            problems[f"options.{name}"] = "is not an option of this kind of endpoint"
    if kind == SALESFORCE:
        if not API_VERSION.match(str(options.get("api_version", DEFAULT_SALESFORCE["api_version"]))):
            problems["options.api_version"] = "must look like v60.0"
        if not FIELD_NAME.match(str(options.get("external_id_field", DEFAULT_SALESFORCE["external_id_field"]))):
            problems["options.external_id_field"] = "must be a field's API name, such as Leadflow_Id__c"
    return problems


def with_defaults(kind: str, options: dict) -> dict:
    return {**DEFAULT_SALESFORCE, **options} if kind == SALESFORCE else dict(options)


# --- the connectors' requests ----------------------------------------------------------------------------------------

def history_text(data: dict, *, limit: int = 20) -> str:
    """The lead's history as plain text for a CRM note: why it is Sales Ready, its score and the recent timeline."""
    lead = data.get("lead") or {}
    lines = [f"Sales Ready lead from leadflow: {lead.get('url', '')}".rstrip()]
    facts = [f"{label} {lead[key]}" for key, label in (("score", "score"), ("band", "band"), ("grade", "grade"),
                                                          ("stage", "stage")) if lead.get(key) is not None]
    if facts:
        text = ", ".join(facts)
        lines.append(text[:1].upper() + text[1:] + ".")
    why = [part.get("text") for part in data.get("explanation") or []
           if isinstance(part, dict) and part.get("text") and part.get("result", True)]  # the tests that held
    if why:
        lines.append("Why Sales Ready: " + "; ".join(why) + ".")
    history = data.get("history") or []
    reasons = [r for r in history if r.get("kind") == "score"]
    for reason in reasons[:limit]:
        lines.append(f"Score: {reason.get('summary')}")
    timeline = [e for e in history if e.get("kind") != "score"]
    if timeline:
        lines.append("Recent timeline:")
        lines.extend(f"- {(e.get('at') or '')[:16].replace('T', ' ')} {e.get('summary') or e.get('kind')}"
                     for e in timeline[:limit])
    return "\n".join(lines)


def hubspot_contact(data: dict) -> dict:
    """The batch upsert's body: one input, the contact found (or created) by its email."""
    lead = data.get("lead") or {}
    properties = {"email": lead.get("email"), "firstname": lead.get("first_name"), "lastname": lead.get("last_name"),
                  "phone": lead.get("phone"), "company": lead.get("company"), "jobtitle": lead.get("job_title"),
                  "city": lead.get("city"), "country": lead.get("country")}
    return {"inputs": [{"idProperty": "email", "id": lead.get("email"),
                        "properties": {k: str(v) for k, v in properties.items() if v not in (None, "")}}]}


def hubspot_note(data: dict, contact_id: str, moment: datetime) -> dict:
    return {"properties": {"hs_timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                           "hs_note_body": history_text(data)},
            "associations": [{"to": {"id": str(contact_id)},
                              "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}]}


def salesforce_lead(data: dict) -> dict:
    """The Lead's fields for the upsert (never Id nor the external id field: they are in the URL). LastName and
    Company are required by Salesforce: the email, or "[not provided]", stands in when they are unknown."""
    lead = data.get("lead") or {}
    fallback = lead.get("email") or NOT_PROVIDED
    fields = {"FirstName": lead.get("first_name"), "LastName": (lead.get("last_name") or fallback)[:80],
              "Company": (lead.get("company") or fallback)[:255], "Email": lead.get("email"),
              "Phone": lead.get("phone"), "Title": lead.get("job_title"), "City": lead.get("city"),
              "Country": lead.get("country"), "LeadSource": "leadflow", "Description": history_text(data)[:32000]}
    return {k: v for k, v in fields.items() if v not in (None, "")}
