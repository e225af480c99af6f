"""What makes a lead: validate and normalize one submission as a channel read it.

Pure: no database, no HTTP, no clock; it returns decisions with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from leadflow import values as plain
from leadflow.errors import FieldError, Invalid
from leadflow.leads.domain import LEAD_FIELDS, clean_text, normalize_fields

ATTRIBUTION_FIELDS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "gclid", "fbclid", "msclkid", "referrer", "landing_page",
)
MAX_CUSTOM_FIELDS = 200
# A capture that could not be processed is tried again after these waits, then it is failed for good.
RETRY_WAITS = (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=15),
               timedelta(hours=1), timedelta(hours=4))

__all__ = ["ATTRIBUTION_FIELDS", "LEAD_FIELDS", "NormalizedLead", "Submission", "attribution_from", "normalize"]


@dataclass
class Submission:
    """A lead as a channel read it, before validation: plain strings as the sender wrote them."""

    fields: dict[str, object] = field(default_factory=dict)
    custom_fields: dict[str, object] = field(default_factory=dict)
    attribution: dict[str, str] = field(default_factory=dict)
    consents: list[dict] = field(default_factory=list)  # {purpose, granted, text}
    campaign: str | None = None  # a campaign code
    external_id: str | None = None
    do_not_contact: bool | None = None


@dataclass
class NormalizedLead:
    fields: dict[str, str]  # only non-empty values
    custom_fields: dict[str, object]
    attribution: dict[str, str]
    consents: list[dict]
    campaign: str | None
    do_not_contact: bool | None
    email_domain: str | None = None


def retry_wait(failures: int) -> timedelta | None:
    """How long to wait after this many failures before processing a capture again; None: give up."""
    return RETRY_WAITS[failures - 1] if 1 <= failures <= len(RETRY_WAITS) else None


def attribution_from(values: dict[str, object]) -> dict[str, str]:
    """The touch a submission carries; UTM parameters in the landing page's URL count too."""
    touch = {}
    for name in ATTRIBUTION_FIELDS:
        text = clean_text(values.get(name))
        if text:
            touch[name] = text[:2000]
    landing = touch.get("landing_page")
    if landing:
        query = parse_qs(urlsplit(landing).query)
        for name in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                     "gclid", "fbclid", "msclkid"):
            if name not in touch and query.get(name):
                touch[name] = query[name][0][:2000]
    return touch


def normalize(submission: Submission, *, default_country: str | None = None) -> NormalizedLead:
    """Validate one submission; raises Invalid naming every field that is wrong and why.

    This is the intake's one cleaning step for every channel: control characters are dropped from every text,
    and a lone surrogate, a non-finite number or JSON nested too deep is refused with the field it is in.
    """
    values, errors = normalize_fields(submission.fields, default_country=default_country)
    email_domain = values["email"].rsplit("@", 1)[1] if "email" in values else None
    given, problems = plain.plain_json(submission.custom_fields or {}, "custom_fields")
    errors.extend(problems)
    custom = {}
    for key, value in (given if isinstance(given, dict) else {}).items():
        key = clean_text(key)
        if not key:
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        if value is None:
            continue
        custom[key[:200]] = value
    if len(custom) > MAX_CUSTOM_FIELDS:
        errors.append(FieldError("custom_fields", f"more than {MAX_CUSTOM_FIELDS} fields"))
    for name, text in (("campaign", submission.campaign), ("external_id", submission.external_id),
                       *submission.attribution.items()):
        if isinstance(text, str) and plain.has_surrogate(text):
            errors.append(FieldError(name, plain.SURROGATE_REASON))

    consents = []
    for index, consent in enumerate(submission.consents or []):
        purpose = clean_text(consent.get("purpose"))
        text = consent.get("text")
        broken = [name for name, value in (("purpose", consent.get("purpose")), ("text", text))
                  if isinstance(value, str) and plain.has_surrogate(value)]
        for name in broken:
            errors.append(FieldError(f"consents.{index}.{name}", plain.SURROGATE_REASON))
        if not purpose:
            errors.append(FieldError(f"consents.{index}.purpose", "is required"))
            continue
        consents.append({"purpose": purpose[:100], "granted": bool(consent.get("granted", True)),
                         "text": plain.clean(text) if isinstance(text, str) else text})

    if errors:
        raise Invalid(errors)
    named = "first_name" in values or "last_name" in values
    placed = "street" in values or "postal_code" in values
    identifiable = (
        "email" in values or "phone" in values or "mobile" in values
        or (named and ("company" in values or placed or "city" in values))   # a trade-fair or bought list
        or ("company" in values and placed)                                    # an organisation at its address
    )
    if not identifiable:
        raise Invalid.one("lead", "needs an email, a phone, or a name with a company, an address or a city "
                                  "(or a company with its address)")
    campaign = clean_text(submission.campaign)
    return NormalizedLead(
        fields=values, custom_fields=custom, attribution=dict(submission.attribution), consents=consents,
        campaign=campaign[:200] if campaign else None, do_not_contact=submission.do_not_contact,
        email_domain=email_domain,
    )


