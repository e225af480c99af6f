"""Salesforce Web-to-Lead posts (oid, retURL, standard Lead fields, 00N... custom fields) read into a Submission.

Pure: no database, no HTTP framework, no clock.
"""

from __future__ import annotations

import re

from leadflow.capture.compat.common import Read, grouped, http_url, joined, touch_from
from leadflow.capture.domain import ATTRIBUTION_FIELDS, Submission
from leadflow.errors import FieldError, Invalid

ORG_ID = re.compile(r"^00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$")
CUSTOM_FIELD_ID = re.compile(r"^00N[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$")

# Salesforce's Lead field -> the lead field it fills.
LEAD_FIELDS = {
    "first_name": "first_name", "last_name": "last_name", "email": "email", "company": "company",
    "title": "job_title", "phone": "phone", "mobile": "mobile", "street": "street", "city": "city",
    "state": "region", "state_code": "region", "zip": "postal_code", "country": "country",
    "country_code": "country",
}
# Salesforce's Lead field -> the custom field it is kept as.
CUSTOM_NAMES = {
    "URL": "website", "description": "description", "lead_source": "lead_source", "industry": "industry",
    "employees": "employees", "revenue": "revenue", "rating": "rating", "salutation": "salutation",
    "member_status": "campaign_member_status", "recordType": "record_type", "fax": "fax",
}
# Routing, debugging and buttons: read here, never kept on the lead.
TECHNICAL = {"oid", "orgid", "retURL", "encoding", "debug", "debugEmail", "submit", "Campaign_ID",
             "emailOptOut", "doNotCall", "faxOptOut", "captcha_settings", "g-recaptcha-response"}
OPT_OUTS = {"emailOptOut": ("email_marketing", "Email Opt Out"), "doNotCall": ("phone_calls", "Do Not Call"),
            "faxOptOut": ("fax", "Fax Opt Out")}


def read(pairs: list[tuple[str, str]], *, referer: str | None = None) -> Read:
    values = grouped(pairs)
    first = {name: joined(found) for name, found in values.items()}
    errors = []
    oid = (first.get("oid") or first.get("orgid") or "").strip()
    if not oid:
        errors.append(FieldError("oid", "is required (your Salesforce organization id, 00D...)"))
    elif not ORG_ID.match(oid):
        errors.append(FieldError("oid", "is not a Salesforce organization id (00D followed by 12 or 15 letters)"))
    try:
        return_url = http_url(first.get("retURL"), "retURL")
    except Invalid as exc:
        errors.extend(exc.errors)
        return_url = None
    if errors:
        raise Invalid(errors)

    fields: dict[str, object] = {}
    names: dict[str, str] = {}
    custom: dict[str, object] = {}
    for name, value in first.items():
        if name in TECHNICAL or name in ATTRIBUTION_FIELDS:
            continue
        if name in LEAD_FIELDS:
            target = LEAD_FIELDS[name]
            if value and not fields.get(target):
                fields[target], names[target] = value, name
        elif CUSTOM_FIELD_ID.match(name) or name not in CUSTOM_NAMES:
            custom[name] = value
        else:
            custom[CUSTOM_NAMES[name]] = value
            names[f"custom_fields.{CUSTOM_NAMES[name]}"] = name
    consents = [{"purpose": purpose, "granted": False, "text": f"{label} (Salesforce Web-to-Lead)"}
                for name, (purpose, label) in OPT_OUTS.items() if first.get(name, "").strip() in ("1", "on", "true")]
    touch = touch_from(first, landing_page=referer, urls=(first.get("URL"), return_url))
    submission = Submission(fields=fields, custom_fields=custom, attribution=touch, consents=consents,
                            campaign=(first.get("Campaign_ID") or "").strip() or None)
    return Read(submission=submission, names=names, client=f"salesforce:{oid}", return_url=return_url)
