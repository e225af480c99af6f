"""Google Ads lead form webhooks (lead_id, user_column_data, google_key) read into a Submission.

Pure: no database, no HTTP framework, no clock.
"""

from __future__ import annotations

import hmac

from nameparser import HumanName

from leadflow.capture.compat.common import Read
from leadflow.capture.domain import Submission
from leadflow.errors import FieldError, Invalid
from leadflow.leads.domain import clean_text

TEST_REASON = "test data from Google Ads ('Send test data'): checked and stored, not made a lead"

# Google's stable column_id -> the lead field it fills.
LEAD_FIELDS = {
    "FIRST_NAME": "first_name", "LAST_NAME": "last_name", "EMAIL": "email", "PHONE_NUMBER": "phone",
    "POSTAL_CODE": "postal_code", "STREET_ADDRESS": "street", "CITY": "city", "REGION": "region",
    "COUNTRY": "country", "COMPANY_NAME": "company", "JOB_TITLE": "job_title",
}
# A work column -> the column it stands in for when that one is not asked.
FALLBACKS = {"WORK_EMAIL": "EMAIL", "WORK_PHONE": "PHONE_NUMBER"}


def key_matches(data: object, expected: str) -> bool:
    given = data.get("google_key") if isinstance(data, dict) else None
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def read(data: object) -> Read:
    if not isinstance(data, dict):
        raise Invalid.one("body", "must be a JSON object")
    lead_id = data.get("lead_id")
    errors = []
    if not isinstance(lead_id, str | int) or not str(lead_id).strip():
        errors.append(FieldError("lead_id", "is required"))
    columns = data.get("user_column_data")
    if not isinstance(columns, list):
        errors.append(FieldError("user_column_data", "must be a list of {column_id, string_value}"))
        columns = []
    answers: dict[str, str] = {}
    for index, column in enumerate(columns):
        if not isinstance(column, dict) or not clean_text(column.get("column_id") or column.get("column_name")):
            errors.append(FieldError(f"user_column_data[{index}].column_id", "is required"))
            continue
        answers[clean_text(column.get("column_id") or column.get("column_name"))] = column.get("string_value")
    if errors:
        raise Invalid(errors)

    fields: dict[str, object] = {}
    custom: dict[str, object] = {}
    names: dict[str, str] = {}
    for column_id, value in answers.items():
        primary = FALLBACKS.get(column_id.upper(), column_id.upper())
        target = LEAD_FIELDS.get(primary) if primary == column_id.upper() or primary not in answers else None
        if target and clean_text(value):
            fields[target], names[target] = value, f"user_column_data.{column_id}"
        elif column_id.upper() != "FULL_NAME":
            custom[column_id] = value
            names[f"custom_fields.{column_id}"] = f"user_column_data.{column_id}"
    full_name = clean_text(answers.get("FULL_NAME"))
    if full_name and "first_name" not in fields and "last_name" not in fields:
        parsed = HumanName(full_name)
        fields["first_name"] = parsed.first or None
        fields["last_name"] = " ".join(p for p in (parsed.middle, parsed.last) if p) or None
        names["first_name"] = names["last_name"] = "user_column_data.FULL_NAME"
    touch = {"utm_source": "google", "utm_medium": "cpc"}
    if clean_text(data.get("gcl_id")):
        touch["gclid"] = clean_text(data["gcl_id"])[:2000]
    for name in ("campaign_id", "adgroup_id", "creative_id", "form_id"):
        if isinstance(data.get(name), str | int) and str(data[name]).strip() not in ("", "0"):
            touch[f"google_ads_{name}"] = str(data[name]).strip()[:200]
    campaign = f"google-ads-{touch['google_ads_campaign_id']}" if "google_ads_campaign_id" in touch else None
    external_id = str(lead_id).strip()[:300]
    submission = Submission(fields=fields, custom_fields=custom, attribution=touch, campaign=campaign,
                            external_id=external_id)
    return Read(submission=submission, names=names, client=f"google_ads:{touch.get('google_ads_form_id', '-')}",
                external_id=external_id, idempotency_key=f"google_ads:{external_id}")


def is_test(data: dict) -> bool:
    return data.get("is_test") is True
