"""The sender's decision: skip with the reason, later (quiet hours, throttles), or send."""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.email import rules

NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
ANN = rules.Recipient(1, "ann@example.com")


def _decide(recipient=ANN, purpose="marketing", moment=NOON, policy=None, suppressed=None, sent_lately=0,
            domain_sent=0):
    return rules.decide(recipient, purpose, moment, policy or rules.Policy(), suppressed=suppressed or {},
                        sent_lately=sent_lately, domain_sent=domain_sent)


def test_each_reason_not_to_send_comes_with_its_words():
    assert _decide(None).reason.startswith("the lead no longer exists")
    assert _decide(rules.Recipient(1, "a@b.c", do_not_contact=True)).reason == "the lead is marked do not contact"
    assert _decide(rules.Recipient(1, "a@b.c", withdrawn=frozenset({"marketing"}))).reason == \
        "the lead withdrew consent for marketing"
    assert _decide(rules.Recipient(1, None)).reason == "the lead has no email address"
    assert _decide(suppressed={"ann@example.com": "it bounced hard"}).reason == \
        "the address ann@example.com is suppressed: it bounced hard"
    assert _decide(policy=rules.Policy(cap_messages=3), sent_lately=3).action == "skip"
    assert _decide(policy=rules.Policy(cap_messages=3), sent_lately=2) == rules.SEND


def test_do_not_contact_wins_over_everything_else():
    person = rules.Recipient(1, None, do_not_contact=True, withdrawn=frozenset({"marketing"}))
    assert _decide(person).reason == "the lead is marked do not contact"


def test_quiet_hours_across_midnight_end_the_next_morning_in_the_leads_zone():
    policy = rules.Policy(quiet_start=21 * 60, quiet_end=8 * 60, time_zone="Europe/Helsinki")
    late = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)  # 22:00 in Helsinki
    decision = _decide(moment=late, policy=policy)
    assert decision.action == "later" and decision.at == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)  # 08:00 there
    assert _decide(moment=datetime(2026, 3, 4, 10, 0, tzinfo=UTC), policy=policy) == rules.SEND
    early = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)  # 05:00 in Helsinki: still quiet, ends the same morning
    assert _decide(moment=early, policy=policy).at == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    in_new_york = rules.Recipient(1, "a@b.c", time_zone="America/New_York")  # 15:00 there
    assert _decide(in_new_york, moment=late, policy=policy) == rules.SEND


def test_an_unknown_time_zone_falls_back_to_the_settings_one():
    policy = rules.Policy(quiet_start=0, quiet_end=23 * 60 + 59, time_zone="UTC")
    assert _decide(rules.Recipient(1, "a@b.c", time_zone="Mars/Olympus"), policy=policy).action == "later"


def test_a_domain_over_its_rate_waits_a_minute_and_its_own_limit_beats_the_default():
    policy = rules.Policy(default_per_minute=100, per_minute={"example.com": 2})
    decision = _decide(policy=policy, domain_sent=2)
    assert decision.action == "later" and decision.reason == "example.com takes 2 emails a minute"
    assert _decide(rules.Recipient(1, "x@other.org"), policy=policy, domain_sent=2) == rules.SEND
    assert _decide(policy=rules.Policy(), domain_sent=10_000) == rules.SEND
