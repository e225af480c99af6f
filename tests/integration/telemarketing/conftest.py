"""Telemarketing's fixtures: a clock the test moves (calling hours, call-backs and claims depend on the time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow import clock

MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 11:00 in Helsinki, 04:00 in New York


class Clock:
    def __init__(self, at: datetime):
        self.at = at
        clock.set_clock(lambda: self.at)

    def forward(self, **span) -> datetime:
        self.at += timedelta(**span)
        return self.at


@pytest.fixture
def moment():
    yield Clock(MONDAY)
    clock.set_clock(None)
