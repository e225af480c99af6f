"""What makes a lead, and attribution from a submission, without a database."""

from __future__ import annotations

import pytest

from leadflow.capture.domain import Submission, attribution_from, normalize
from leadflow.errors import Invalid


@pytest.mark.parametrize("fields", [
    {"email": "a@b.example"}, {"phone": "+4722334455"}, {"mobile": "+4791234567"},
    {"first_name": "Kari", "company": "Equinor"}, {"last_name": "Nordmann", "postal_code": "0150"},
    {"first_name": "Kari", "street": "Storgata 1"},
])
def test_these_are_leads(fields):
    assert normalize(Submission(fields=fields)).fields


@pytest.mark.parametrize("fields", [{}, {"first_name": "Kari"}, {"company": "Equinor"}, {"city": "Oslo"}])
def test_these_are_not_leads(fields):
    with pytest.raises(Invalid) as exc:
        normalize(Submission(fields=fields))
    assert exc.value.errors[0].field == "lead"


def test_every_bad_field_is_named_at_once():
    with pytest.raises(Invalid) as exc:
        normalize(Submission(fields={"email": "nope", "first_name": "x" * 500}, consents=[{"granted": True}]))
    assert {e.field for e in exc.value.errors} == {"email", "first_name", "consents.0.purpose"}


def test_default_country_reads_national_numbers():
    lead = normalize(Submission(fields={"phone": "040 123 4567"}), default_country="FI")
    assert lead.fields["phone"] == "+358401234567"


def test_utm_in_the_landing_page_fills_missing_attribution_only():
    touch = attribution_from({"utm_source": "newsletter",
                              "landing_page": "https://x.example/?utm_source=ads&utm_medium=cpc&gclid=G1"})
    assert touch["utm_source"] == "newsletter"
    assert touch["utm_medium"] == "cpc" and touch["gclid"] == "G1"
