"""HubSpot Forms API v3 submissions (fields[], context, legalConsentOptions) read into a Submission.

Pure: no database, no HTTP framework, no clock.
"""

from __future__ import annotations

import re

from leadflow.capture.compat.common import Read, touch_from
from leadflow.capture.domain import ATTRIBUTION_FIELDS, Submission
from leadflow.errors import FieldError, Invalid
from leadflow.leads.domain import clean_text

PORTAL_ID = re.compile(r"^[0-9]{1,20}$")
FORM_GUID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
HUTK = re.compile(r"^[0-9a-fA-F]{32}$")
MAX_FIELDS = 1000

# HubSpot contact property -> the lead field it fills; company (0-2) properties are custom but for the name.
CONTACT = {
    "email": "email", "firstname": "first_name", "lastname": "last_name", "company": "company",
    "jobtitle": "job_title", "phone": "phone", "mobilephone": "mobile", "address": "street", "city": "city",
    "state": "region", "zip": "postal_code", "country": "country", "hs_language": "language",
}
COMPANY = {"name": "company"}

# A lead field's problem -> HubSpot's errorType for it.
ERROR_TYPES = {"fields.email": "INVALID_EMAIL", "context.hutk": "INVALID_HUTK",
               "context.pageUri": "INVALID_PAGE_URI", "context.ipAddress": "INVALID_IP_ADDRESS"}


def read(data: object, *, portal_id: str, form_guid: str) -> Read:
    errors: list[FieldError] = []
    if not PORTAL_ID.match(portal_id):
        errors.append(FieldError("portalId", "must be a number"))
    if not FORM_GUID.match(form_guid):
        errors.append(FieldError("formGuid", "is not a form GUID"))
    if not isinstance(data, dict):
        raise Invalid([*errors, FieldError("body", "must be a JSON object")])
    submitted_at = data.get("submittedAt")
    if submitted_at is not None and not re.fullmatch(r"[0-9]{1,16}", str(submitted_at)):
        errors.append(FieldError("submittedAt", "must be a time in milliseconds since 1970"))
    fields, custom, names = _fields(data.get("fields"), errors)
    context = data.get("context") or {}
    if not isinstance(context, dict):
        errors.append(FieldError("context", "must be an object"))
        context = {}
    hutk = _text(context, "hutk", errors)
    if hutk and not HUTK.match(hutk):
        errors.append(FieldError("context.hutk", "must be the 32-character hubspotutk cookie value"))
    page_uri = _text(context, "pageUri", errors)
    page_name = _text(context, "pageName", errors)
    _text(context, "ipAddress", errors)
    consents = _consents(data.get("legalConsentOptions"), errors)
    if errors:
        raise Invalid(errors)

    touch = touch_from(custom, landing_page=page_uri)
    for name in ATTRIBUTION_FIELDS:
        custom.pop(name, None)
    if page_name:
        touch["page_name"] = page_name[:300]
    if hutk:
        touch["hutk"] = hutk
    external_id = ":".join(str(part) for part in (hutk, submitted_at) if part) or None
    key = f"hubspot:{portal_id}/{form_guid}:{hutk}:{submitted_at}" if hutk and submitted_at else None
    submission = Submission(fields=fields, custom_fields=custom, attribution=touch, consents=consents,
                            campaign=None if touch.get("utm_campaign") else f"hubspot-form-{form_guid}",
                            external_id=external_id)
    return Read(submission=submission, names=names, client=f"hubspot:{portal_id}/{form_guid}",
                external_id=external_id, idempotency_key=key)


def _fields(items: object, errors: list[FieldError]) -> tuple[dict, dict, dict]:
    fields: dict[str, object] = {}
    custom: dict[str, object] = {}
    names: dict[str, str] = {"lead": "fields"}
    if not isinstance(items, list):
        errors.append(FieldError("fields", "must be a list of {name, value}"))
        return fields, custom, names
    if len(items) > MAX_FIELDS:
        errors.append(FieldError("fields", f"more than {MAX_FIELDS} values"))
        return fields, custom, names
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            errors.append(FieldError(f"fields[{index}].name", "is required"))
            continue
        name, value = item["name"].strip(), item.get("value")
        if value is not None and not isinstance(value, str | int | float | bool):
            errors.append(FieldError(f"fields.{name}", "must be text, a number or true/false"))
            continue
        mapping = COMPANY if str(item.get("objectTypeId", "0-1")) == "0-2" else CONTACT
        target = mapping.get(name)
        if target and clean_text(value) and not fields.get(target):
            fields[target], names[target] = value, f"fields.{name}"
        elif not target:
            custom[name] = value
            names[f"custom_fields.{name}"] = f"fields.{name}"
    return fields, custom, names


def _text(values: dict, name: str, errors: list[FieldError]) -> str | None:
    value = values.get(name)
    if value is not None and not isinstance(value, str):
        errors.append(FieldError(f"context.{name}", "must be text"))
        return None
    return clean_text(value)


def _consents(options: object, errors: list[FieldError]) -> list[dict]:
    if options is None:
        return []
    if not isinstance(options, dict):
        errors.append(FieldError("legalConsentOptions", "must be an object"))
        return []
    consents = []
    consent = options.get("consent")
    if consent is not None:
        if not isinstance(consent, dict) or not isinstance(consent.get("consentToProcess"), bool):
            errors.append(FieldError("legalConsentOptions.consent.consentToProcess", "must be true or false"))
            return []
        if not clean_text(consent.get("text")):
            errors.append(FieldError("legalConsentOptions.consent.text", "is required"))
        consents.append({"purpose": "processing", "granted": consent["consentToProcess"],
                         "text": consent.get("text")})
        communications = consent.get("communications") or []
        if not isinstance(communications, list):
            errors.append(FieldError("legalConsentOptions.consent.communications", "must be a list"))
            communications = []
        for index, item in enumerate(communications):
            where = f"legalConsentOptions.consent.communications[{index}]"
            if not isinstance(item, dict) or not isinstance(item.get("value"), bool) \
                    or item.get("subscriptionTypeId") in (None, ""):
                errors.append(FieldError(where, "needs value (true or false) and subscriptionTypeId"))
                continue
            if not clean_text(item.get("text")):
                errors.append(FieldError(f"{where}.text", "is required"))
            consents.append({"purpose": f"subscription:{item['subscriptionTypeId']}", "granted": item["value"],
                             "text": item.get("text")})
    interest = options.get("legitimateInterest")
    if interest is not None:
        where = "legalConsentOptions.legitimateInterest"
        if not isinstance(interest, dict) or interest.get("subscriptionTypeId") in (None, ""):
            errors.append(FieldError(where, "needs subscriptionTypeId, legalBasis and text"))
            return consents
        if not clean_text(interest.get("text")):
            errors.append(FieldError(f"{where}.text", "is required"))
        basis = clean_text(interest.get("legalBasis")) or "LEGITIMATE_INTEREST"
        consents.append({"purpose": f"subscription:{interest['subscriptionTypeId']}",
                         "granted": interest.get("value", True) is not False,
                         "text": f"{interest.get('text')} (legal basis: {basis})"})
    return consents


def error_type(field_name: str, reason: str) -> str:
    """HubSpot's errorType for one problem, so a sender's own handling of HubSpot errors keeps working."""
    if field_name in ERROR_TYPES:
        return ERROR_TYPES[field_name]
    if field_name == "fields" and reason.startswith("needs"):
        return "REQUIRED_FIELD"
    if field_name.startswith("legalConsentOptions"):
        return "INVALID_LEGAL_OPTION_FORMAT"
    if field_name == "body" and reason.startswith("larger"):
        return "INPUT_TOO_LARGE"
    if field_name.startswith("fields.") and reason.startswith("longer than"):
        return "INPUT_TOO_LARGE"
    if field_name == "portalId":
        return "INVALID_PORTAL_ID"
    if field_name == "formGuid":
        return "INVALID_FORM_ID"
    return "INVALID_METADATA"
