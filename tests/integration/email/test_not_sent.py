"""Why a message is not sent (kept on it, in words a marketer reads), and when it is sent later: do-not-contact,
consent withdrawn, no address, the frequency cap, quiet hours in the lead's time zone, per-domain throttles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.email.conftest import NOON, at, lead, message, queue, send_pass, template, withdraw


def test_do_not_contact_withdrawn_consent_and_no_address_are_skipped_with_the_reason(client, auth, session, factory,
                                                                                      smtp):
    at(NOON)
    template_id = template(client, auth, purpose="newsletter")
    blocked = queue(client, auth, lead(session, do_not_contact=True), template_id)
    withdrawn_lead = lead(session)
    withdraw(session, withdrawn_lead, "newsletter")
    withdrawn = queue(client, auth, withdrawn_lead, template_id)
    other_purpose_lead = lead(session)
    withdraw(session, other_purpose_lead, "surveys")  # another purpose: the newsletter still goes
    other = queue(client, auth, other_purpose_lead, template_id)
    nowhere = queue(client, auth, lead(session, email=None), template_id)
    send_pass(factory)

    assert message(client, auth, blocked)["status"] == "skipped"
    assert message(client, auth, blocked)["reason"] == "the lead is marked do not contact"
    assert message(client, auth, withdrawn)["reason"] == "the lead withdrew consent for newsletter"
    assert message(client, auth, nowhere)["reason"] == "the lead has no email address"
    assert message(client, auth, other)["status"] == "sent"
    assert len(smtp.messages) == 1


def test_the_frequency_cap_skips_what_is_over_it(client, auth, session, factory, smtp):
    at(NOON)
    assert client.put("/api/v1/email/settings", headers=auth,
                      json={"cap_messages": 2, "cap_days": 7}).status_code == 200
    template_id = template(client, auth)
    lead_id = lead(session)
    first = queue(client, auth, lead_id, template_id, key="a")
    send_pass(factory)
    at(NOON + timedelta(days=1))
    second = queue(client, auth, lead_id, template_id, key="b")
    third = queue(client, auth, lead_id, template_id, key="c")
    send_pass(factory)
    statuses = [message(client, auth, m)["status"] for m in (first, second, third)]
    assert statuses == ["sent", "sent", "skipped"]
    assert message(client, auth, third)["reason"].startswith("frequency cap: 2 emails sent to the lead in the last 7")
    at(NOON + timedelta(days=8))  # the first two are out of the window
    fourth = queue(client, auth, lead_id, template_id, key="d")
    send_pass(factory)
    assert message(client, auth, fourth)["status"] == "sent" and len(smtp.messages) == 3


def test_quiet_hours_postpone_to_their_end_in_the_leads_time_zone(client, auth, session, factory, smtp):
    assert client.put("/api/v1/email/settings", headers=auth, json={
        "quiet_start": 21 * 60, "quiet_end": 8 * 60, "time_zone": "UTC"}).status_code == 200
    template_id = template(client, auth)
    evening = datetime(2026, 3, 4, 22, 30, tzinfo=UTC)
    at(evening)
    here = queue(client, auth, lead(session), template_id)
    # 22:30 UTC is 09:30 in Auckland (UTC+13 in March): not quiet there.
    auckland = queue(client, auth, lead(session, custom={"time_zone": "Pacific/Auckland"}), template_id)
    send_pass(factory)
    waiting = message(client, auth, here)
    assert waiting["status"] == "queued" and waiting["send_after"] == "2026-03-05T08:00:00Z"
    assert waiting["reason"].startswith("waiting: quiet hours")
    assert message(client, auth, auckland)["status"] == "sent"
    at(datetime(2026, 3, 5, 7, 59, tzinfo=UTC))
    send_pass(factory)
    assert message(client, auth, here)["status"] == "queued"
    at(datetime(2026, 3, 5, 8, 0, 30, tzinfo=UTC))
    send_pass(factory)
    assert message(client, auth, here)["status"] == "sent" and len(smtp.messages) == 2


def test_a_domains_throttle_postpones_what_is_over_its_rate(client, auth, session, factory, smtp):
    at(NOON)
    assert client.put("/api/v1/email/domains/example.com", headers=auth, json={"per_minute": 2}).status_code == 200
    template_id = template(client, auth)
    ids = [queue(client, auth, lead(session), template_id) for _ in range(3)]
    other = queue(client, auth, lead(session, email="someone@elsewhere.org"), template_id)
    send_pass(factory)
    statuses = [message(client, auth, m)["status"] for m in ids]
    assert statuses.count("sent") == 2 and statuses.count("queued") == 1
    late = ids[statuses.index("queued")]
    assert message(client, auth, late)["reason"].startswith("waiting: example.com takes 2 emails a minute")
    assert message(client, auth, other)["status"] == "sent"
    at(NOON + timedelta(seconds=30))
    send_pass(factory)
    assert message(client, auth, late)["status"] == "queued"
    at(NOON + timedelta(minutes=1, seconds=1))
    send_pass(factory)
    assert message(client, auth, late)["status"] == "sent" and len(smtp.messages) == 4
