"""Mautic form posts (mauticform[alias] fields, formId) read into a Submission.

Pure: no database, no HTTP framework, no clock.
"""

from __future__ import annotations

import re

from leadflow.capture.compat.common import Read, http_url, touch_from
from leadflow.capture.domain import ATTRIBUTION_FIELDS, Submission
from leadflow.errors import FieldError, Invalid

FIELD = re.compile(r"^mauticform\[([^\[\]]+)\](?:\[[^\[\]]*\])*$")
FORM_ID = re.compile(r"^[0-9]{1,18}$")

# A form field alias (Mautic's contact field alias or the one its builder makes from a label) -> lead field.
LEAD_FIELDS = {
    "email": "email", "first_name": "first_name", "firstname": "first_name", "last_name": "last_name",
    "lastname": "last_name", "company": "company", "companyname": "company", "position": "job_title",
    "job_title": "job_title", "jobtitle": "job_title", "title": "job_title", "phone": "phone",
    "mobile": "mobile", "address1": "street", "street": "street", "address": "street", "city": "city",
    "state": "region", "region": "region", "zipcode": "postal_code", "zip": "postal_code",
    "postal_code": "postal_code", "postcode": "postal_code", "country": "country",
    "preferred_locale": "language", "language": "language",
}
TECHNICAL = {"submit", "formId", "formid", "return", "formName", "messenger"}


def read(pairs: list[tuple[str, str]], *, form_id: str | None, referer: str | None = None) -> Read:
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        match = FIELD.match(name)
        if match:
            values.setdefault(match.group(1), []).append(value)
    first = {alias: ", ".join(v for v in found if v.strip()) for alias, found in values.items()}
    errors = []
    form_id = (form_id or first.get("formId") or first.get("formid") or "").strip()
    if not FORM_ID.match(form_id):
        errors.append(FieldError("formId", "is required: the Mautic form's number (?formId=N)"))
    try:
        return_url = http_url(first.get("return"), "mauticform[return]")
    except Invalid as exc:
        errors.extend(exc.errors)
        return_url = None
    if errors:
        raise Invalid(errors)
    if return_url is None:
        try:
            return_url = http_url(referer, "referer")
        except Invalid:
            return_url = None

    fields: dict[str, object] = {}
    custom: dict[str, object] = {}
    names: dict[str, str] = {}
    for alias, value in first.items():
        if alias in TECHNICAL or alias in ATTRIBUTION_FIELDS:
            continue
        target = LEAD_FIELDS.get(alias.lower())
        if target:
            if value and not fields.get(target):
                fields[target], names[target] = value, f"mauticform[{alias}]"
        else:
            custom[alias] = value if len(values[alias]) == 1 else values[alias]
            names[f"custom_fields.{alias}"] = f"mauticform[{alias}]"
    touch = touch_from(first, landing_page=referer)
    submission = Submission(fields=fields, custom_fields=custom, attribution=touch,
                            campaign=None if touch.get("utm_campaign") else f"mautic-form-{form_id}")
    return Read(submission=submission, names=names, client=f"mautic:{form_id}", return_url=return_url)


def form_name(pairs: list[tuple[str, str]]) -> str | None:
    for name, value in pairs:
        if name == "mauticform[formName]" and value.strip():
            return value.strip()[:200]
    return None
