"""Handoff's pure rules: the signature receivers check, the backoff and its 24-hour window, endpoint settings, the
body and the CRM mappings."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from leadflow.handoff import backoff, payloads, signing

NOW = datetime(2026, 12, 6, 0, 10, tzinfo=UTC)


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body_and_verifies_only_those_bytes():
    body = b'{"id":"x","event":"lead.assigned"}'
    expected = "sha256=" + hmac.new(b"s" * 20, body, hashlib.sha256).hexdigest()
    assert signing.signature("s" * 20, body) == expected
    assert signing.verify("s" * 20, body, expected)
    assert not signing.verify("s" * 20, body + b" ", expected)
    assert not signing.verify("t" * 20, body, expected) and not signing.verify("s" * 20, body, None)
    headers = signing.headers(secret="s" * 20, body=body, event="lead.assigned", delivery_id="d-1", moment=NOW)
    assert headers["X-Leadflow-Delivery"] == "d-1" and headers["X-Leadflow-Signature"] == expected
    assert headers["X-Leadflow-Timestamp"] == str(int(NOW.timestamp()))


def test_a_secret_is_shown_only_as_set_with_its_last_four_characters():
    assert signing.last4("whsec_abcdefghijklmnop") == "set (…mnop)"
    assert signing.last4("short") == "set" and signing.last4(None) == "not set"


def test_the_backoff_doubles_from_30_seconds_capped_at_an_hour_with_a_little_stable_jitter():
    waits = [backoff.delay(n, "d-1").total_seconds() for n in range(1, 12)]
    assert 30 <= waits[0] <= 33 and 60 <= waits[1] <= 66 and 120 <= waits[2] <= 132
    assert all(w <= 3600 for w in waits) and waits[-1] >= 3600 * 0.99
    assert backoff.delay(3, "d-1") == backoff.delay(3, "d-1")


def test_failures_are_retried_until_the_end_of_the_window_then_dead():
    until = NOW + backoff.WINDOW
    failed = backoff.Outcome(False, 500, "HTTP 500")
    first = backoff.after_failure(failed, attempts=1, moment=NOW, retry_until=until)
    assert not first.dead and first.at > NOW
    last = backoff.after_failure(failed, attempts=30, moment=until - timedelta(minutes=10), retry_until=until)
    assert not last.dead and last.at == until  # the last attempt at the very end of the window
    assert backoff.after_failure(failed, attempts=31, moment=until, retry_until=until).dead
    permanent = backoff.Outcome(False, 400, "refused", permanent=True)
    assert backoff.after_failure(permanent, attempts=1, moment=NOW, retry_until=until).dead


def test_only_client_errors_that_cannot_pass_are_permanent_for_connectors():
    assert backoff.is_permanent(400) and backoff.is_permanent(404) and backoff.is_permanent(422)
    assert not any(backoff.is_permanent(code) for code in (401, 403, 408, 429, 500, 503))


def test_an_endpoints_url_events_secret_and_options_are_checked():
    assert payloads.url_problem("https://hooks.example.com/x") is None
    assert payloads.url_problem("ftp://x.example.com") and payloads.url_problem("https://u:p@x.example.com")
    assert payloads.url_problem("") and payloads.url_problem("/relative")
    assert payloads.events_problem(["*"]) is None and payloads.events_problem(["lead.assigned"]) is None
    assert "unknown event" in payloads.events_problem(["lead.exploded"]) and payloads.events_problem([])
    assert payloads.secret_problem("x" * 8, kind="webhook") and payloads.secret_problem("x" * 8, kind="hubspot") is None
    assert payloads.options_problems("salesforce", {"api_version": "v60.0"}) == {}
    assert set(payloads.options_problems("salesforce", {"api_version": "60", "external_id_field": "a b"})) == {
        "options.api_version", "options.external_id_field"}
    assert payloads.options_problems("hubspot", {"api_version": "v60.0"}) == {
        "options.api_version": "is not an option of this kind of endpoint"}


def test_the_same_event_has_the_same_source_key_and_another_edit_another():
    payload = {"lead_id": 1, "fields": ["city"]}
    assert payloads.source_key("lead.updated", payload, "t1") == payloads.source_key("lead.updated", dict(payload), "t1")
    assert payloads.source_key("lead.updated", payload, "t1") != payloads.source_key("lead.updated", payload, "t2")
    assert payloads.lead_of("leads.merged", {"survivor_id": 5, "merged_id": 6}) == 5


def test_the_body_carries_the_delivery_id_the_event_and_the_lead():
    lead = payloads.lead_summary({"id": 3, "first_name": "Ann", "email": "a@x.example", "stage": "sql"},
                                 owner_email="bob@x.example", base_url="https://leads.example.com/")
    text = payloads.body(delivery_id="d-1", event="lead.sales_ready", occurred="2026-12-06T00:10:00+00:00",
                         payload={"lead_id": 3}, lead=lead)
    body = json.loads(text)
    assert body["id"] == "d-1" and body["event"] == "lead.sales_ready" and body["data"]["lead_id"] == 3
    assert body["data"]["lead"]["url"] == "https://leads.example.com/leads/3" and "history" not in body["data"]


def test_the_crm_mappings_fill_what_the_crms_require():
    data = {"lead": {"id": 3, "email": "a@x.example", "first_name": "Ann", "url": "https://l.example.com/leads/3",
                     "grade": "A", "score": 70},
            "explanation": [{"text": "grade = \"A\"", "result": True}],
            "history": [{"kind": "score", "at": None, "summary": "Job title (+25)"},
                        {"kind": "note", "at": "2026-12-05T10:00:00+00:00", "summary": "Called"}]}
    contact = payloads.hubspot_contact(data)["inputs"][0]
    assert contact["idProperty"] == "email" and contact["id"] == "a@x.example"
    assert contact["properties"] == {"email": "a@x.example", "firstname": "Ann"}
    note = payloads.hubspot_note(data, "501", NOW)
    assert note["properties"]["hs_timestamp"] == "2026-12-06T00:10:00.000Z"
    assert note["associations"][0]["types"][0]["associationTypeId"] == 202
    assert "Job title (+25)" in note["properties"]["hs_note_body"] and "Called" in note["properties"]["hs_note_body"]
    fields = payloads.salesforce_lead(data)
    assert fields["LastName"] == fields["Company"] == "a@x.example" and "Id" not in fields
    assert payloads.salesforce_lead({"lead": {"id": 4}})["LastName"] == payloads.NOT_PROVIDED
