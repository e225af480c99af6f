"""The pure tracking rules: how far a browser's clock is believed, and which email opens are a machine's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow.tracking import domain

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.mark.parametrize(("value", "expected", "claimed"), [
    (None, NOW, None),
    (ms(NOW - timedelta(minutes=4)), NOW - timedelta(minutes=4), None),
    (ms(NOW + timedelta(minutes=4)), NOW, None),  # a clock a little ahead: now, nothing to note
    (ms(NOW - timedelta(minutes=6)), NOW, (NOW - timedelta(minutes=6)).isoformat()),
    (ms(NOW + timedelta(minutes=6)), NOW, (NOW + timedelta(minutes=6)).isoformat()),
    (946684800000, NOW, "2000-01-01T00:00:00+00:00"),
    ("2026-11-25T09:58:00Z", NOW - timedelta(minutes=2), None),
    (10 ** 30, NOW, str(10 ** 30)),
])
def test_a_browsers_time_is_believed_only_near_the_servers(value, expected, claimed):
    assert domain.beacon_moment(value, NOW) == (expected, None, claimed)


@pytest.mark.parametrize("value", ["yesterday", "2026-11-25T09:58:00", True, {"at": 1}])
def test_an_unreadable_time_is_a_problem(value):
    moment, problem, _ = domain.beacon_moment(value, NOW)
    assert moment is None and problem


@pytest.mark.parametrize(("agent", "sent_at", "reason"), [
    (None, None, "no User-Agent"),
    ("  ", None, "no User-Agent"),
    ("Mozilla/5.0", None, "Apple Mail Privacy Protection"),
    ("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", None,
     "Google Image Proxy"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", None, "a crawler or link scanner"),
    ("Thunderbird/128.3.0", int(NOW.timestamp()) - 5, "within 20 seconds of sending"),
    ("Thunderbird/128.3.0", int(NOW.timestamp()) - 3600, None),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
     None, None),
])
def test_machine_opens_say_why(agent, sent_at, reason):
    assert domain.machine_open(agent, sent_at=sent_at, at=NOW) == reason


def test_open_tokens_carry_when_they_were_made_and_old_ones_still_read():
    payload = domain.open_payload(7, message_id="m-1", sent_at=1_800_000_000)
    claims = domain.read_claims(payload, with_url=False)
    assert (claims.lead_id, claims.message_id, claims.sent_at) == (7, "m-1", 1_800_000_000)
    old = domain.read_claims({"l": 7, "m": "m-1"}, with_url=False)
    assert old.sent_at is None and domain.open_key(old) == domain.open_key(claims)
    assert domain.open_key(claims) != domain.open_key(domain.read_claims({"l": 7, "m": "m-2"}, with_url=False))
