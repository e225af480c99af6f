"""Meta Lead Ads: the webhook's signature and verify token, its leadgen entries, and a lead's field_data.

Pure: no database, no HTTP framework, no clock.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from nameparser import HumanName

from leadflow.capture.domain import Submission
from leadflow.errors import FieldError, Invalid
from leadflow.leads.domain import clean_text

SIGNATURE_HEADER = "X-Hub-Signature-256"
PENDING_REASON = "fields to be fetched from Meta"

# Meta's standard question -> the lead field it fills.
LEAD_FIELDS = {
    "email": "email", "first_name": "first_name", "last_name": "last_name", "phone_number": "phone",
    "city": "city", "zip_code": "postal_code", "post_code": "postal_code", "zip": "postal_code",
    "country": "country", "state": "region", "province": "region", "street_address": "street",
    "company_name": "company", "job_title": "job_title",
}
# Used only when the standard one is absent: otherwise kept as custom fields.
FALLBACKS = {"work_email": "email", "work_phone_number": "phone"}
PLATFORMS = {"fb": "facebook", "ig": "instagram", "facebook": "facebook", "instagram": "instagram",
             "messenger": "facebook", "an": "audience_network"}


@dataclass
class Leadgen:
    """One lead a post tells of: its ids, and the Submission when the post carries the lead's field_data."""

    leadgen_id: str
    page_id: str | None = None
    form_id: str | None = None
    ad_id: str | None = None
    submission: Submission | None = None
    names: dict[str, str] | None = None

    @property
    def client(self) -> str:
        return f"meta:{self.page_id or '-'}/{self.form_id or '-'}"


def signature_problem(secret: str, body: bytes, header: str | None) -> str | None:
    """Why the post is not signed by Meta with this app secret, or None when it is."""
    if not header:
        return f"{SIGNATURE_HEADER} is missing"
    scheme, _, signature = header.strip().partition("=")
    if scheme.lower() != "sha256" or not signature:
        return f"{SIGNATURE_HEADER} must be sha256=<hex digest>"
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return "does not match the body signed with the app secret"
    return None


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def read(data: object) -> list[Leadgen]:
    """Every leadgen entry of a webhook post, or the lead(s) an integration forwards (id, field_data)."""
    if not isinstance(data, dict):
        raise Invalid.one("body", "must be a JSON object")
    if "entry" in data:
        return _webhook(data)
    if "field_data" in data:
        return [_lead(data, "")]
    if isinstance(data.get("data"), list):
        return [_lead(item, f"data[{index}].") for index, item in enumerate(data["data"])]
    raise Invalid.one("body", "is neither a Meta webhook (object, entry) nor a lead (id, field_data)")


def _webhook(data: dict) -> list[Leadgen]:
    entries = data["entry"]
    if not isinstance(entries, list):
        raise Invalid.one("entry", "must be a list")
    found, errors = [], []
    for e_index, entry in enumerate(entries):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            errors.append(FieldError(f"entry[{e_index}].changes", "must be a list"))
            continue
        for c_index, change in enumerate(changes):
            where = f"entry[{e_index}].changes[{c_index}]"
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                errors.append(FieldError(f"{where}.value", "must be an object"))
                continue
            if "field_data" in value:
                try:
                    lead = _lead(value, f"{where}.value.")
                except Invalid as exc:
                    errors.extend(exc.errors)
                    continue
                lead.page_id = lead.page_id or _id(entry.get("id"))
                found.append(lead)
                continue
            leadgen_id = _id(value.get("leadgen_id"))
            if not leadgen_id:
                errors.append(FieldError(f"{where}.value.leadgen_id", "is required"))
                continue
            found.append(Leadgen(leadgen_id=leadgen_id, page_id=_id(value.get("page_id")) or _id(entry.get("id")),
                                 form_id=_id(value.get("form_id")), ad_id=_id(value.get("ad_id"))))
    if errors:
        raise Invalid(errors)
    return found


def _lead(lead: object, where: str) -> Leadgen:
    if not isinstance(lead, dict):
        raise Invalid.one(where.rstrip(".") or "body", "must be an object")
    leadgen_id = _id(lead.get("leadgen_id")) or _id(lead.get("id"))
    if not leadgen_id:
        raise Invalid.one(f"{where}id", "is required (the leadgen id)")
    items = lead.get("field_data")
    if not isinstance(items, list):
        raise Invalid.one(f"{where}field_data", "must be a list of {name, values}")
    answers: dict[str, list[str]] = {}
    errors = []
    for index, item in enumerate(items):
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not clean_text(item.get("name")) or not isinstance(values, list):
            errors.append(FieldError(f"{where}field_data[{index}]", "needs a name and a list of values"))
            continue
        answers[clean_text(item["name"])] = [str(v) for v in values if isinstance(v, str | int | float)]
    if errors:
        raise Invalid(errors)
    return Leadgen(leadgen_id=leadgen_id, page_id=_id(lead.get("page_id")), form_id=_id(lead.get("form_id")),
                   ad_id=_id(lead.get("ad_id")), **_submission(lead, answers, leadgen_id))


def _submission(lead: dict, answers: dict[str, list[str]], leadgen_id: str) -> dict:
    fields: dict[str, object] = {}
    custom: dict[str, object] = {}
    names: dict[str, str] = {}
    for name, values in answers.items():
        key = name.lower()
        text = ", ".join(v for v in values if v.strip())
        target = LEAD_FIELDS.get(key)
        if target and text:
            fields[target], names[target] = text, name
        elif key not in ("full_name", *FALLBACKS):
            custom[name] = values[0] if len(values) == 1 else values
    for name, target in FALLBACKS.items():
        text = ", ".join(answers.get(name) or [])
        if text and target not in fields:
            fields[target], names[target] = text, name
        elif text:
            custom[name] = text
    full_name = ", ".join(answers.get("full_name") or [])
    if full_name and "first_name" not in fields and "last_name" not in fields:
        parsed = HumanName(full_name)
        fields["first_name"] = parsed.first or None
        fields["last_name"] = " ".join(p for p in (parsed.middle, parsed.last) if p) or None
        names["first_name"] = names["last_name"] = "full_name"
    consents = []
    for item in lead.get("custom_disclaimer_responses") or []:
        if isinstance(item, dict) and clean_text(item.get("checkbox_key")):
            consents.append({"purpose": clean_text(item["checkbox_key"]),
                             "granted": str(item.get("is_checked")).lower() in ("1", "true"),
                             "text": None})
    source = PLATFORMS.get(str(lead.get("platform") or "fb").lower(), "facebook")
    touch = {"utm_source": source, "utm_medium": "social" if lead.get("is_organic") is True else "paid_social"}
    for name, key in (("campaign_name", "utm_campaign"), ("ad_name", "utm_content")):
        if clean_text(lead.get(name)):
            touch[key] = clean_text(lead.get(name))[:2000]
    for name in ("ad_id", "form_id", "campaign_id"):
        if _id(lead.get(name)):
            touch[f"meta_{name}"] = _id(lead.get(name))
    form_id = _id(lead.get("form_id"))
    campaign = None if "utm_campaign" in touch else (f"meta-form-{form_id}" if form_id else None)
    submission = Submission(fields=fields, custom_fields=custom, attribution=touch, consents=consents,
                            campaign=campaign, external_id=leadgen_id)
    return {"submission": submission, "names": names}


def _id(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text[:200] or None
