"""The vendor readers, directly: form bodies, field mapping, the sender's field names, Meta signatures."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from leadflow.capture.compat import hubspot, mautic, meta, salesforce
from leadflow.capture.compat.common import form_pairs, in_sender_words, touch_from
from leadflow.errors import FieldError, Invalid

FORM = "application/x-www-form-urlencoded"


def test_url_encoded_and_multipart_forms_give_the_same_pairs():
    encoded = form_pairs(b"a=1&b=x+y&a=2&c=", FORM)
    body = (b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nx y\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n\r\n--B--\r\n")
    assert form_pairs(body, "multipart/form-data; boundary=B") == encoded == [("a", "1"), ("b", "x y"), ("a", "2"),
                                                                              ("c", "")]


@pytest.mark.parametrize("raw, content_type, field", [
    (b"{}", "application/json", "content-type"),
    (b"a=1&b", FORM, "body"),
    (b"a=%FF", FORM, "body"),
    (b"a=1", FORM + "; charset=klingon", "encoding"),
])
def test_bodies_that_are_no_readable_form_name_the_problem(raw, content_type, field):
    with pytest.raises(Invalid) as caught:
        form_pairs(raw, content_type)
    assert caught.value.errors[0].field == field


def test_salesforce_fields_map_to_lead_fields_and_custom_fields():
    post = salesforce.read([("oid", "00D5g000004XyZa"), ("title", "Buyer"), ("state", "Viken"), ("zip", "0150"),
                            ("URL", "https://nordmann.example"), ("00N5g00000AbCdE", "25000"),
                            ("00N5g00000AbCdG", "a"), ("00N5g00000AbCdG", "b"), ("doNotCall", "1")])
    assert post.submission.fields == {"job_title": "Buyer", "region": "Viken", "postal_code": "0150"}
    assert post.submission.custom_fields == {"website": "https://nordmann.example", "00N5g00000AbCdE": "25000",
                                             "00N5g00000AbCdG": "a;b"}
    assert post.submission.consents == [{"purpose": "phone_calls", "granted": False,
                                         "text": "Do Not Call (Salesforce Web-to-Lead)"}]
    assert post.client == "salesforce:00D5g000004XyZa" and post.return_url is None


def test_errors_are_named_as_the_sender_named_the_field():
    post = salesforce.read([("oid", "00D5g000004XyZa"), ("title", "x"), ("URL", "y")])
    errors = in_sender_words([FieldError("job_title", "too long"), FieldError("custom_fields.website", "bad"),
                              FieldError("custom_fields.00N5g00000AbCdE", "bad")], post.names)
    assert [e.field for e in errors] == ["title", "URL", "00N5g00000AbCdE"]


def test_hubspot_company_name_fills_the_company_and_consents_are_read():
    post = hubspot.read({"fields": [{"objectTypeId": "0-2", "name": "name", "value": "Acme BV"},
                                    {"name": "email", "value": "a@acme.example"}],
                         "legalConsentOptions": {"legitimateInterest": {
                             "value": True, "subscriptionTypeId": 7, "legalBasis": "LEGITIMATE_INTEREST_PQL",
                             "text": "We may email you"}}},
                        portal_id="1", form_guid="abc-1")
    assert post.submission.fields == {"company": "Acme BV", "email": "a@acme.example"}
    assert post.submission.consents == [{"purpose": "subscription:7", "granted": True,
                                         "text": "We may email you (legal basis: LEGITIMATE_INTEREST_PQL)"}]
    assert post.idempotency_key is None and post.submission.campaign == "hubspot-form-abc-1"


def test_hubspot_error_types_follow_hubspots_names():
    assert hubspot.error_type("fields.email", "not valid") == "INVALID_EMAIL"
    assert hubspot.error_type("fields", "needs an email, a phone, ...") == "REQUIRED_FIELD"
    assert hubspot.error_type("legalConsentOptions.consent.text", "is required") == "INVALID_LEGAL_OPTION_FORMAT"
    assert hubspot.error_type("fields.jobtitle", "longer than 300 characters") == "INPUT_TOO_LARGE"


def test_meta_signature_is_checked_against_the_raw_body():
    body = b'{"object": "page"}'
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert meta.signature_problem("s3cret", body, good) is None
    assert meta.signature_problem("s3cret", body + b" ", good) == "does not match the body signed with the app secret"
    assert meta.signature_problem("s3cret", body, None) == "X-Hub-Signature-256 is missing"
    assert "sha256=" in meta.signature_problem("s3cret", body, "sha1=abc")


def test_meta_full_name_is_split_and_work_email_is_a_fallback():
    [lead] = meta.read({"id": "42", "field_data": [
        {"name": "full_name", "values": ["Maarten de Vries"]},
        {"name": "work_email", "values": ["m@devries.example"]},
        {"name": "favourite_colours", "values": ["red", "blue"]}]})
    assert lead.submission.fields == {"email": "m@devries.example", "first_name": "Maarten", "last_name": "de Vries"}
    assert lead.submission.custom_fields == {"favourite_colours": ["red", "blue"]}
    assert lead.submission.external_id == "42"


def test_meta_webhook_entries_without_field_data_carry_only_ids():
    leads = meta.read({"object": "page", "entry": [{"id": "9", "changes": [
        {"field": "feed", "value": {}},
        {"field": "leadgen", "value": {"leadgen_id": 7, "form_id": "5"}}]}]})
    assert [(lead.leadgen_id, lead.page_id, lead.form_id, lead.submission) for lead in leads] == [("7", "9", "5", None)]


def test_mautic_aliases_map_and_hidden_fields_stay_out():
    post = mautic.read([("mauticform[firstname]", "Sofie"), ("mauticform[position]", "CEO"),
                        ("mauticform[interests][]", "a"), ("mauticform[interests][]", "b"),
                        ("mauticform[formId]", "3"), ("mauticform[return]", ""), ("other", "x")], form_id=None)
    assert post.submission.fields == {"first_name": "Sofie", "job_title": "CEO"}
    assert post.submission.custom_fields == {"interests": ["a", "b"]}
    assert post.client == "mautic:3"


def test_utm_parameters_are_found_in_urls_but_posted_fields_win():
    touch = touch_from({"utm_source": "posted"}, landing_page="https://x.example/?utm_source=url&utm_medium=cpc",
                       urls=("https://x.example/thanks?utm_campaign=q4", "http://[broken"))
    assert touch["utm_source"] == "posted" and touch["utm_medium"] == "cpc" and touch["utm_campaign"] == "q4"


def test_google_ads_work_email_stands_in_only_when_email_is_not_asked():
    from leadflow.capture.compat import google_ads

    def columns(**values):
        return {"lead_id": "L1", "user_column_data": [{"column_id": k, "string_value": v} for k, v in values.items()]}

    alone = google_ads.read(columns(WORK_EMAIL="w@acme.example", FULL_NAME="Emma Jansen"))
    assert alone.submission.fields == {"email": "w@acme.example", "first_name": "Emma", "last_name": "Jansen"}
    both = google_ads.read(columns(EMAIL="e@home.example", WORK_EMAIL="w@acme.example"))
    assert both.submission.fields == {"email": "e@home.example"}
    assert both.submission.custom_fields == {"WORK_EMAIL": "w@acme.example"}
    assert both.idempotency_key == "google_ads:L1"
