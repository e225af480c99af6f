"""Analytics' fixtures: a story told through the API at chosen moments, the real clock back after each test."""

from __future__ import annotations

import pytest

from leadflow import clock
from tests.integration.analytics.story import Story


@pytest.fixture
def story(client, auth):
    yield Story(client, auth)
    clock.set_clock(None)
