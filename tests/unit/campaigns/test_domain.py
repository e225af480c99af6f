"""Which channel a campaign found through a capture belongs to."""

from __future__ import annotations

import pytest

from leadflow.campaigns.domain import channel_for, code_key


@pytest.mark.parametrize("medium,source,capture,expected", [
    ("cpc", None, "api", "paid_search"), ("Email", None, "form", "email"), (None, "linkedin", "form", "social"),
    (None, None, "trade_fair", "trade_fair"), (None, None, "meta", "social"), (None, None, "api", "other"),
])
def test_channel_from_the_touch(medium, source, capture, expected):
    assert channel_for(capture_channel=capture, utm_medium=medium, utm_source=source) == expected


def test_codes_compare_without_case():
    assert code_key(" Spring-26 ") == code_key("SPRING-26")
